// The broker's metrics in the Prometheus text format over HTTP (`hubscope broker
// --metrics-port`). prom-client writes the format; every value is read from the
// broker's METRICS snapshot at scrape time, so the endpoint and METRICS never disagree.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ReplyBody } from '../protocol/messages.js';

export type MetricsSnapshot = ReplyBody<'METRICS'>;

/** A registry whose metrics are filled from `snapshot()` on every scrape. */
export function brokerRegistry(snapshot: () => MetricsSnapshot): Registry {
  const registry = new Registry();
  let current: MetricsSnapshot | undefined;
  // One snapshot per scrape, taken by the first collect() of it.
  const take = (): MetricsSnapshot => (current ??= snapshot());
  const counter = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (m: MetricsSnapshot, set: (labels: Record<string, string>, v: number) => void) => void,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(take(), (labels, v) => this.inc(labels, v));
      },
    });
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (m: MetricsSnapshot, set: (labels: Record<string, string>, v: number) => void) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(take(), (labels, v) => this.set(labels, v));
      },
    });
  const each = (counts: Record<string, number>, label: string, set: (l: Record<string, string>, v: number) => void) => {
    for (const [k, v] of Object.entries(counts)) set({ [label]: k }, v);
  };
  counter('hubscope_broker_requests_total', 'Requests received, by type.', ['type'], (m, set) =>
    each(m.requestsByType, 'type', set),
  );
  gauge('hubscope_broker_requests_per_second', 'Requests per second by type (10 s average).', ['type'], (m, set) =>
    each(m.requestsPerSecond, 'type', set),
  );
  counter('hubscope_broker_errors_total', 'ERROR replies sent, by code.', ['code'], (m, set) =>
    each(m.errorsByCode, 'code', set),
  );
  counter('hubscope_broker_notifications_total', 'Notifications sent, by type.', ['type'], (m, set) =>
    each(m.notificationsByType, 'type', set),
  );
  counter('hubscope_broker_dropped_total', 'Messages dropped (rate limits, full queues).', [], (m, set) =>
    set({}, m.dropped),
  );
  counter('hubscope_broker_received_bytes_total', 'Bytes of requests received.', [], (m, set) => set({}, m.bytesIn));
  counter('hubscope_broker_sent_bytes_total', 'Bytes of replies and notifications sent.', [], (m, set) =>
    set({}, m.bytesOut),
  );
  gauge('hubscope_broker_sessions', 'Client sessions (connections that said HELLO).', [], (m, set) =>
    set({}, m.sessions),
  );
  gauge('hubscope_broker_registrations', 'Live registrations by kind.', ['kind'], (m, set) =>
    each(m.registrations, 'kind', set),
  );
  gauge('hubscope_broker_uptime_seconds', 'Seconds since the broker started.', [], (m, set) =>
    set({}, m.uptimeMs / 1000),
  );
  gauge(
    'hubscope_broker_connection_latency_ms',
    'Per session: time from request to reply at the broker, p50 and p99.',
    ['client', 'connection', 'quantile'],
    (m, set) => {
      for (const c of m.connections) {
        const client = c.client ?? '';
        set({ client, connection: c.connection, quantile: '0.5' }, c.latencyP50Ms);
        set({ client, connection: c.connection, quantile: '0.99' }, c.latencyP99Ms);
      }
    },
  );
  gauge(
    'hubscope_broker_connection_requests',
    'Per session: requests received.',
    ['client', 'connection'],
    (m, set) => {
      for (const c of m.connections) set({ client: c.client ?? '', connection: c.connection }, c.requests);
    },
  );
  const metrics = registry.metrics.bind(registry);
  registry.metrics = async () => {
    current = undefined;
    try {
      return await metrics();
    } finally {
      current = undefined;
    }
  };
  return registry;
}

export interface MetricsServer {
  /** Where it listens, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `registry` at GET /metrics on host:port (port 0: a free one). */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
