// What one MessageHub client saw of its broker connection: requests, errors by code,
// timeouts, round trips, reconnects and bytes (the broker counts the same from its side
// in METRICS; the two differ by what was lost on the way and by the time on the wire),
// and its own trace ring of the messages it sent and received. Counts span reconnects:
// they belong to the hub (one pooled connection per endpoint), not to one socket.
import { nearestRankOfSorted } from '../shared/percentile.js';
import { channelOf, TraceRing, type TraceEntry, type TraceFilter } from '../protocol/trace.js';
import { REPLY_SUFFIX } from '../protocol/messages.js';

/** Round trips kept for the percentiles (the most recent ones). */
export const RTT_WINDOW = 256;
/** Messages kept in the client's trace ring. */
export const CLIENT_TRACE_CAPACITY = 1000;

export interface ClientConnectionMetrics {
  endpoint: string;
  /** Requests sent (HELLO and heartbeats included). */
  requests: number;
  /** Requests answered with their `<TYPE>_OK`. */
  replies: number;
  /** Failed requests by code: the broker's ERROR codes, and this client's own (UNAVAILABLE, PROTOCOL_ERROR...). */
  errorsByCode: Record<string, number>;
  /** Requests that got no reply within their timeout. */
  timeouts: number;
  /** Notifications received. */
  notifications: number;
  /** Connections after the first (a lost connection re-established, or a restarted broker). */
  reconnects: number;
  /** Bytes received and sent on the wire (all frames). */
  bytesIn: number;
  bytesOut: number;
  /** Time from sending a request to its reply (OK or ERROR), over the last RTT_WINDOW replies; null before any. */
  rttP50Ms: number | null;
  rttP99Ms: number | null;
  /** Replies the percentiles are computed over. */
  rttSamples: number;
}

/** The size of a message on the wire: all its frames. */
export function frameBytes(frames: ReadonlyArray<Buffer | string>): number {
  let n = 0;
  for (const f of frames) n += typeof f === 'string' ? Buffer.byteLength(f) : f.length;
  return n;
}

export class ConnectionMetrics {
  readonly trace: TraceRing;
  private requests = 0;
  private replies = 0;
  private timeouts = 0;
  private notifications = 0;
  private reconnects = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly errors = new Map<string, number>();
  /** Ring of the recent round trips; `rttNext` is where the next one goes. */
  private readonly rtts: number[] = [];
  private rttNext = 0;

  constructor(
    readonly endpoint: string,
    private readonly clientName: string,
    traceCapacity: number = CLIENT_TRACE_CAPACITY,
  ) {
    this.trace = new TraceRing(traceCapacity);
  }

  /** A request went out. */
  sent(type: string, correlationId: string, body: unknown, bytes: number): void {
    this.requests++;
    this.bytesOut += bytes;
    this.push('out', type, correlationId, channelOf(body), bytes);
  }

  /** A message came in (counted before it is understood, so malformed ones count too). */
  received(bytes: number): void {
    this.bytesIn += bytes;
  }

  /** A reply or ERROR answered a request sent `latencyMs` ago. */
  answered(
    type: string,
    correlationId: string,
    request: { type: string; channel: string | undefined },
    bytes: number,
    latencyMs: number,
    errorCode?: string,
  ): void {
    if (errorCode === undefined) this.replies++;
    else this.error(errorCode);
    this.rtt(latencyMs);
    this.push('in', type, correlationId, request.channel, bytes, {
      requestType: request.type,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      ...(errorCode !== undefined ? { errorCode } : {}),
    });
  }

  /** A reply to no outstanding request came in (its request timed out): traced, not counted as an answer. */
  unmatched(type: string, correlationId: string, body: unknown, bytes: number): void {
    // The request type, where the reply names it (`<TYPE>_OK`), so that a filter by type finds it.
    const requestType = type.endsWith(REPLY_SUFFIX) ? type.slice(0, -REPLY_SUFFIX.length) : undefined;
    this.push('in', type, correlationId, channelOf(body), bytes, requestType !== undefined ? { requestType } : {});
  }

  /** A notification came in. */
  notified(type: string, body: unknown, bytes: number): void {
    this.notifications++;
    this.push('in', type, '', channelOf(body), bytes);
  }

  timedOut(): void {
    this.timeouts++;
  }

  /** A request failed on this side (not sent, connection lost, malformed reply). */
  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  reconnected(): void {
    this.reconnects++;
  }

  snapshot(): ClientConnectionMetrics {
    const sorted = [...this.rtts].sort((a, b) => a - b);
    const p = (q: number) => {
      const v = nearestRankOfSorted(sorted, q);
      return v === undefined ? null : Math.round(v * 1000) / 1000;
    };
    return {
      endpoint: this.endpoint,
      requests: this.requests,
      replies: this.replies,
      errorsByCode: Object.fromEntries(this.errors),
      timeouts: this.timeouts,
      notifications: this.notifications,
      reconnects: this.reconnects,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      rttP50Ms: p(0.5),
      rttP99Ms: p(0.99),
      rttSamples: sorted.length,
    };
  }

  /** The client's trace, oldest first. */
  entries(filter?: TraceFilter): TraceEntry[] {
    return this.trace.entries(filter);
  }

  private rtt(ms: number): void {
    if (this.rtts.length < RTT_WINDOW) this.rtts.push(ms);
    else this.rtts[this.rttNext] = ms;
    this.rttNext = (this.rttNext + 1) % RTT_WINDOW;
  }

  private push(
    direction: TraceEntry['direction'],
    type: string,
    correlationId: string,
    channel: string | undefined,
    bytes: number,
    reply: Pick<TraceEntry, 'requestType' | 'latencyMs' | 'errorCode'> = {},
  ): void {
    this.trace.push({
      at: Date.now(),
      direction,
      connection: this.endpoint,
      client: this.clientName,
      type,
      correlationId,
      ...(channel !== undefined ? { channel } : {}),
      bytes,
      ...reply,
    });
  }
}
