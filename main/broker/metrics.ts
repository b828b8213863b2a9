// Broker metrics: what every connection sent and was answered (requests, errors by
// code, bytes in and out, reply latency p50/p99) and broker-wide totals (requests by
// type and per second, errors by code, notifications). Fed by the broker for every
// message it receives and sends; read by METRICS and the Prometheus endpoint.
import type { ReplyBody } from '../protocol/messages.js';
import type { Session } from './session.js';
import { percentile } from '../shared/percentile.js';

/** Requests still waiting for their reply, remembered at most (the oldest are forgotten). */
const MAX_PENDING = 10_000;
/** Latency samples kept per connection for the percentiles. */
const LATENCY_SAMPLES = 256;
/** Requests per second are averaged over this many whole seconds. */
const RATE_WINDOW_S = 10;

export interface ConnectionMetrics {
  connection: string;
  requests: number;
  errorsByCode: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Recent reply latencies in ms (a ring of LATENCY_SAMPLES). */
  latencies: number[];
  latencyHead: number;
}

/** What a sent message answered, when it is a reply or ERROR to a request seen earlier. */
export interface Answered {
  requestType: string;
  latencyMs: number;
}

function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export class BrokerMetrics {
  readonly connections = new Map<string, ConnectionMetrics>();
  readonly requestsByType: Record<string, number> = {};
  readonly errorsByCode: Record<string, number> = {};
  readonly notificationsByType: Record<string, number> = {};
  requests = 0;
  notifications = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Requests awaiting a reply: connection + correlation id -> type and arrival time. */
  private readonly pending = new Map<string, { type: string; at: number }>();
  /** Per whole second (epoch s): requests by type, the last RATE_WINDOW_S + 1 seconds. */
  private readonly perSecond = new Map<number, Record<string, number>>();

  private connection(key: string, now: number): ConnectionMetrics {
    let c = this.connections.get(key);
    if (!c) {
      c = {
        connection: key,
        requests: 0,
        errorsByCode: {},
        bytesIn: 0,
        bytesOut: 0,
        firstSeenAt: now,
        lastSeenAt: now,
        latencies: [],
        latencyHead: 0,
      };
      this.connections.set(key, c);
    }
    return c;
  }

  /** A request arrived from `connection` (hex routing id). */
  received(connection: string, type: string, correlationId: string, bytes: number, now: number): void {
    const c = this.connection(connection, now);
    c.requests++;
    c.bytesIn += bytes;
    c.lastSeenAt = now;
    this.requests++;
    this.bytesIn += bytes;
    bump(this.requestsByType, type);
    const second = Math.floor(now / 1000);
    let bucket = this.perSecond.get(second);
    if (!bucket) {
      bucket = {};
      this.perSecond.set(second, bucket);
      for (const s of this.perSecond.keys()) if (s < second - RATE_WINDOW_S) this.perSecond.delete(s);
    }
    bump(bucket, type);
    if (correlationId === '') return;
    if (this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
    this.pending.set(connection + '\n' + correlationId, { type, at: now });
  }

  /**
   * A message was sent to `connection`: a reply or ERROR (non-empty correlation id)
   * or a notification. Returns the request it answers, when that was seen.
   */
  sent(
    connection: string,
    type: string,
    correlationId: string,
    bytes: number,
    errorCode: string | undefined,
    now: number,
  ): Answered | undefined {
    const c = this.connection(connection, now);
    c.bytesOut += bytes;
    this.bytesOut += bytes;
    if (errorCode !== undefined) {
      bump(c.errorsByCode, errorCode);
      bump(this.errorsByCode, errorCode);
    }
    if (correlationId === '') {
      this.notifications++;
      bump(this.notificationsByType, type);
      return undefined;
    }
    const key = connection + '\n' + correlationId;
    const request = this.pending.get(key);
    if (!request) return undefined;
    this.pending.delete(key);
    const latencyMs = Math.max(0, now - request.at);
    if (c.latencies.length < LATENCY_SAMPLES) c.latencies.push(latencyMs);
    else {
      c.latencies[c.latencyHead] = latencyMs;
      c.latencyHead = (c.latencyHead + 1) % LATENCY_SAMPLES;
    }
    return { requestType: request.type, latencyMs };
  }

  /**
   * Forgets the connections without a session (BYE, expired, never said HELLO), so
   * that connections coming and going do not grow the map; broker totals stay.
   */
  prune(hasSession: (connection: string) => boolean): void {
    for (const key of this.connections.keys()) if (!hasSession(key)) this.connections.delete(key);
  }

  /** Requests per second by type, averaged over the last RATE_WINDOW_S whole seconds. */
  requestsPerSecond(now: number): Record<string, number> {
    const current = Math.floor(now / 1000);
    const sums: Record<string, number> = {};
    for (const [second, bucket] of this.perSecond) {
      if (second >= current || second < current - RATE_WINDOW_S) continue;
      for (const [type, n] of Object.entries(bucket)) bump(sums, type, n);
    }
    for (const type of Object.keys(sums)) sums[type] = sums[type]! / RATE_WINDOW_S;
    return sums;
  }
}

/** What a METRICS reply is assembled from (a part of the broker core). */
export interface MetricsSources {
  readonly metrics: BrokerMetrics;
  readonly sessions: ReadonlyMap<string, Session>;
  readonly counters: { readonly dropped: number };
  readonly startedAt: number;
  readonly channels: { countByState(): { total: number } };
  readonly schemas: { readonly size: number };
}

/** The METRICS_OK body: broker-wide totals and each connection that has a session. */
export function metricsReply(src: MetricsSources, now: number): ReplyBody<'METRICS'> {
  const m = src.metrics;
  let producers = 0;
  let consumers = 0;
  const connections: ReplyBody<'METRICS'>['connections'] = [];
  for (const s of src.sessions.values()) {
    producers += s.producers.size;
    consumers += s.consumers.size;
    const c = m.connections.get(s.identity.toString('hex'));
    if (!c) continue;
    connections.push({
      connection: c.connection,
      client: s.name,
      host: s.host,
      pid: s.pid,
      requests: c.requests,
      errorsByCode: { ...c.errorsByCode },
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      latencyP50Ms: percentile(c.latencies, 0.5),
      latencyP99Ms: percentile(c.latencies, 0.99),
      firstSeenAt: c.firstSeenAt,
      lastSeenAt: c.lastSeenAt,
    });
  }
  connections.sort((a, b) => b.requests - a.requests);
  return {
    brokerTime: now,
    uptimeMs: now - src.startedAt,
    sessions: src.sessions.size,
    requests: m.requests,
    requestsByType: { ...m.requestsByType },
    requestsPerSecond: m.requestsPerSecond(now),
    errorsByCode: { ...m.errorsByCode },
    notifications: m.notifications,
    notificationsByType: { ...m.notificationsByType },
    dropped: src.counters.dropped,
    bytesIn: m.bytesIn,
    bytesOut: m.bytesOut,
    registrations: { producers, consumers, channels: src.channels.countByState().total, schemas: src.schemas.size },
    connections,
  };
}
