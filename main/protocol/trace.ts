// Message tracing: a bounded ring of the most recent messages one side of a MessageHub
// connection received and sent (direction, type, correlation id, channel, size, the
// latency of a reply, the error code of an ERROR). The broker keeps one for all its
// connections (main/broker/), every client one for its own (main/hub/), so both trace
// alike and filter alike. Only metadata is kept, never a body, so the trace shows what
// was exchanged without carrying anyone's data. Filters pick entries by type, channel,
// direction and connection; the ring exports as JSON lines.

export type TraceDirection = 'in' | 'out';

export interface TraceEntry {
  /** Increases by one per entry (gaps in a follower's view mean entries were dropped). */
  seq: number;
  /** Wall-clock time, ms since 1970. */
  at: number;
  /**
   * in: received by the side keeping the ring; out: sent by it. At the broker, requests
   * come in and replies, ERRORs and notifications go out; at a client the reverse.
   */
  direction: TraceDirection;
  /** At the broker: the connection's routing id, hex. At a client: the broker's endpoint. */
  connection: string;
  /** The client name given in HELLO (at the broker: when the connection has a session). */
  client?: string;
  type: string;
  /** Empty for notifications. */
  correlationId: string;
  /** The channel the message names, if any. */
  channel?: string;
  /** Size of the message on the wire (all frames but the routing id). */
  bytes: number;
  /** On a reply or ERROR: the request type it answers. */
  requestType?: string;
  /** On a reply or ERROR: ms since its request arrived (at a client: since it was sent). */
  latencyMs?: number;
  /** On an ERROR: its code. */
  errorCode?: string;
}

export interface TraceFilter {
  /** Only these message types (a request type also matches its reply and ERRORs answering it). */
  types?: readonly string[];
  /** Only messages naming this channel. */
  channel?: string;
  direction?: TraceDirection;
  connection?: string;
  /** The most recent this many matching entries. */
  limit?: number;
}

export const DEFAULT_TRACE_CAPACITY = 1000;

/** The channel a body names: a `channel` string, or the name of a `channel` info object. */
export function channelOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const ch = (body as { channel?: unknown }).channel;
  if (typeof ch === 'string') return ch;
  if (typeof ch === 'object' && ch !== null) {
    const name = (ch as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

export function matchesTrace(e: TraceEntry, f: TraceFilter): boolean {
  if (f.direction !== undefined && e.direction !== f.direction) return false;
  if (f.connection !== undefined && e.connection !== f.connection) return false;
  if (f.channel !== undefined && e.channel !== f.channel) return false;
  if (f.types !== undefined && f.types.length > 0) {
    const answered = e.requestType;
    if (!f.types.includes(e.type) && (answered === undefined || !f.types.includes(answered))) return false;
  }
  return true;
}

export class TraceRing {
  private readonly ring: TraceEntry[] = [];
  /** Index of the oldest entry once the ring is full. */
  private head = 0;
  private nextSeq = 1;
  private readonly listeners = new Set<(e: TraceEntry) => void>();

  constructor(readonly capacity: number = DEFAULT_TRACE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`trace capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Entries recorded since the ring was made (also those already overwritten). */
  get recorded(): number {
    return this.nextSeq - 1;
  }

  get size(): number {
    return this.ring.length;
  }

  /** Records an entry (seq assigned here), overwriting the oldest when full, and tells listeners. */
  push(entry: Omit<TraceEntry, 'seq'>): TraceEntry {
    const e: TraceEntry = { seq: this.nextSeq++, ...entry };
    if (this.ring.length < this.capacity) {
      this.ring.push(e);
    } else {
      this.ring[this.head] = e;
      this.head = (this.head + 1) % this.capacity;
    }
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Called with every entry from now on; returns the unsubscribe function. */
  follow(listener: (e: TraceEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Matching entries, oldest first. */
  entries(filter: TraceFilter = {}): TraceEntry[] {
    const ordered =
      this.ring.length < this.capacity ? this.ring : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
    const out = ordered.filter((e) => matchesTrace(e, filter));
    return filter.limit !== undefined && out.length > filter.limit ? out.slice(out.length - filter.limit) : out;
  }

  /** Matching entries as JSON lines (one object per line, newline-terminated). */
  toJsonLines(filter: TraceFilter = {}): string {
    return this.entries(filter)
      .map((e) => JSON.stringify(e) + '\n')
      .join('');
  }
}
