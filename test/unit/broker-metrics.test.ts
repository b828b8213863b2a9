// Broker metrics over the protocol (METRICS) and as Prometheus text over HTTP from a
// real `hubscope broker --metrics-port 0` child; `--trace` logging every exchange.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { percentile } from '../../main/shared/percentile.js';
import { Child } from './hub-fixtures/child.js';
import { tempDir, uniqueName } from './hub-fixtures/helpers.js';
import { RawClient } from './hub-fixtures/raw-client.js';

type Metrics = {
  requestsByType: Record<string, number>;
  errorsByCode: Record<string, number>;
  notifications: number;
  sessions: number;
  registrations: Record<string, number>;
  connections: Array<{
    client?: string;
    requests: number;
    errorsByCode: Record<string, number>;
    bytesIn: number;
    bytesOut: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
  }>;
};

describe('percentile', () => {
  it('takes the nearest rank', () => {
    expect(percentile([], 0.5)).toBe(0);
    expect(percentile([5, 1, 3], 0.5)).toBe(3);
    expect(
      percentile(
        [...Array(100).keys()].map((i) => i + 1),
        0.99,
      ),
    ).toBe(99);
  });
});

describe('METRICS over the protocol', () => {
  let broker: Broker;
  const raws: RawClient[] = [];
  beforeAll(async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', heartbeatIntervalMs: 60_000 });
  });
  afterAll(async () => {
    raws.forEach((r) => r.close());
    await broker.close();
  });

  async function client(name: string): Promise<RawClient> {
    const r = RawClient.forBroker(broker.endpoint, broker.serverKey);
    raws.push(r);
    const hello = await r.request('HELLO', { ...r.helloBody(name), capabilities: ['metrics', 'trace'] });
    expect(hello.type).toBe('HELLO_OK');
    return r;
  }

  it('counts the requests of each type a connection sent and its errors by code', async () => {
    const name = uniqueName('metrics');
    const r = await client(name);
    const before = (await r.request('METRICS', {})).body as Metrics;
    for (let i = 0; i < 7; i++) expect((await r.request('PING', {})).type).toBe('PING_OK');
    for (let i = 0; i < 3; i++) {
      const e = await r.request('DISCOVER', { channel: uniqueName('metrics.none') });
      expect(e.body.code).toBe('NOT_FOUND');
    }
    expect((await r.request('SCHEMA_GET', { id: uniqueName('nope') })).body.code).toBe('NOT_FOUND');
    const reply = await r.request('METRICS', {});
    expect(reply.type).toBe('METRICS_OK');
    const m = reply.body as Metrics;
    expect(m.requestsByType.PING! - (before.requestsByType.PING ?? 0)).toBe(7);
    expect(m.requestsByType.DISCOVER! - (before.requestsByType.DISCOVER ?? 0)).toBe(3);
    expect(m.errorsByCode.NOT_FOUND! - (before.errorsByCode.NOT_FOUND ?? 0)).toBe(4);
    const mine = m.connections.find((c) => c.client === name)!;
    // HELLO, METRICS, 7 PING, 3 DISCOVER, SCHEMA_GET, METRICS.
    expect(mine.requests).toBe(14);
    expect(mine.errorsByCode).toEqual({ NOT_FOUND: 4 });
    expect(mine.bytesIn).toBeGreaterThan(0);
    expect(mine.bytesOut).toBeGreaterThan(0);
    expect(mine.latencyP99Ms).toBeGreaterThanOrEqual(mine.latencyP50Ms);
    expect(m.sessions).toBeGreaterThanOrEqual(1);
  });

  it('counts live registrations by kind and the notifications sent', async () => {
    const channel = uniqueName('metrics.reg');
    const r = await client(uniqueName('consumer'));
    const before = (await r.request('METRICS', {})).body as Metrics;
    const reg = await r.request('CONSUMER_REGISTER', {
      channel,
      consumerId: 'c1',
      host: 'testhost',
      pid: process.pid,
    });
    expect(reg.type).toBe('CONSUMER_REGISTER_OK');
    const m = (await r.request('METRICS', {})).body as Metrics;
    expect(m.registrations.consumers! - before.registrations.consumers!).toBe(1);
    expect(m.registrations.channels!).toBeGreaterThanOrEqual(1);
    expect(broker.metricsSnapshot().registrations.consumers).toBe(m.registrations.consumers);
  });

  it('needs capability "metrics" from HELLO', async () => {
    const r = RawClient.forBroker(broker.endpoint, broker.serverKey);
    raws.push(r);
    await r.request('HELLO', r.helloBody('no-capabilities'));
    const refused = await r.request('METRICS', {});
    expect(refused.body.code).toBe('BAD_REQUEST');
    expect(String(refused.body.message)).toMatch(/capability "metrics"/);
  });

  it('is refused before HELLO like every request', async () => {
    const r = RawClient.forBroker(broker.endpoint, broker.serverKey);
    raws.push(r);
    expect((await r.request('METRICS', {})).body.code).toBe('HELLO_REQUIRED');
  });
});

describe('hubscope broker --metrics-port and --trace (real process)', () => {
  const tmp = tempDir();
  const children: Child[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  });
  afterAll(() => tmp.cleanup());

  async function brokerChild(extra: string[]): Promise<{ child: Child; endpoint: string }> {
    const child = new Child('broker-process.ts', [
      '--endpoint',
      'tcp://127.0.0.1:0',
      '--open',
      '--discovery-dir',
      join(tmp.dir, 'discovery'),
      '--json',
      ...extra,
    ]);
    children.push(child);
    const endpoint = await child.waitForLine('endpoint', (l) => l.startsWith('tcp://'), 20_000);
    return { child, endpoint };
  }

  it('serves the metrics in the Prometheus text format on the port it prints', async () => {
    const { child, endpoint } = await brokerChild(['--metrics-port', '0']);
    const line = await child.waitForLine('metrics URL', (l) => l.startsWith('metrics '));
    const url = line.slice('metrics '.length);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const r = new RawClient(endpoint);
    try {
      expect((await r.request('HELLO', r.helloBody('prom-test'))).type).toBe('HELLO_OK');
      for (let i = 0; i < 5; i++) await r.request('PING', {});
      await r.request('DISCOVER', { channel: 'prom.absent' });
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      for (const name of [
        'hubscope_broker_requests_total',
        'hubscope_broker_requests_per_second',
        'hubscope_broker_errors_total',
        'hubscope_broker_notifications_total',
        'hubscope_broker_sessions',
        'hubscope_broker_registrations',
        'hubscope_broker_received_bytes_total',
        'hubscope_broker_sent_bytes_total',
        'hubscope_broker_connection_latency_ms',
      ]) {
        expect(text).toContain(`# TYPE ${name} `);
      }
      expect(text).toMatch(/^hubscope_broker_requests_total\{type="PING"\} 5$/m);
      expect(text).toMatch(/^hubscope_broker_errors_total\{code="NOT_FOUND"\} 1$/m);
      expect(text).toMatch(/^hubscope_broker_sessions 1$/m);
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      r.close();
    }
  });

  it('rejects a bad --metrics-port and --metrics-host without --metrics-port', async () => {
    const { parseBrokerArgs } = await import('../../main/cli/broker.js');
    expect(() => parseBrokerArgs(['--metrics-port', '70000'])).toThrow(/--metrics-port "70000"/);
    expect(() => parseBrokerArgs(['--metrics-port', 'x'])).toThrow(/--metrics-port "x"/);
    expect(() => parseBrokerArgs(['--metrics-host', '0.0.0.0'])).toThrow(/--metrics-host needs --metrics-port/);
    expect(parseBrokerArgs(['--metrics-port=0', '--metrics-host', '::1'])).toMatchObject({
      metricsPort: 0,
      metricsHost: '::1',
    });
  });

  it('--trace logs every exchange (type, correlation id, reply latency, error code)', async () => {
    const { child, endpoint } = await brokerChild(['--trace']);
    const r = new RawClient(endpoint);
    try {
      await r.request('HELLO', r.helloBody('trace-log-test'));
      const ping = await r.request('PING', {});
      await r.request('DISCOVER', { channel: 'trace.absent' });
      const traced = () =>
        child.stderr
          .split('\n')
          .filter((l) => l.includes('"msg":"trace"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      await expect.poll(() => traced().filter((e) => e.errorCode === 'NOT_FOUND').length, { timeout: 10_000 }).toBe(1);
      const entries = traced();
      expect(entries).toContainEqual(
        expect.objectContaining({ direction: 'in', type: 'PING', correlationId: ping.correlationId }),
      );
      expect(entries).toContainEqual(
        expect.objectContaining({
          direction: 'out',
          type: 'PING_OK',
          correlationId: ping.correlationId,
          requestType: 'PING',
          client: 'trace-log-test',
        }),
      );
      expect(entries).toContainEqual(
        expect.objectContaining({ direction: 'in', type: 'DISCOVER', channel: 'trace.absent' }),
      );
    } finally {
      r.close();
    }
  });
});
