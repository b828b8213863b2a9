// The broker's received-but-unhandled requests (capability "qos"): each gets the
// priority of the channel it names (its producer's QoS class), or, when it names
// none (HEARTBEAT, PING...), the best class among the connection's producers.
//
// The receive loop reads ahead: what ZeroMQ has ready comes into this queue (up to
// READ_AHEAD requests or READ_AHEAD_BYTES), and it serves SERVE_SLICE at a time,
// going back to reading between slices. So under a flood the backlog sits here,
// where a critical request overtakes it, and not in ZeroMQ's per-connection pipes,
// which know no priority (there it would wait its turn among all connections behind
// the batch being read, and the priority would only reorder that one batch).
// Within a class, connections take turns (priority-queue.ts), so reading ahead keeps
// ZeroMQ's fairness between connections. A critical request is served as soon as it
// is read, not after the rest of a burst (flooders starved of CPU send in bursts of
// their whole backlog), and a run of READ_RUN reads is followed by a slice even while
// ZeroMQ has more.
import type { RequestType } from '../protocol/messages.js';
import type { ChannelRegistry } from './channel-registry.js';
import type { RequestContext } from './handlers.js';
import { PriorityQueue } from './priority-queue.js';
import { DEFAULT_QOS, QOS_PRIORITY } from './qos.js';

export interface QueuedRequest {
  type: RequestType;
  body: unknown;
  ctx: RequestContext;
  correlationId: string;
  /** Size on the wire, for the read-ahead bound. */
  bytes: number;
}

/** Requests read ahead at most; past it the loop serves before reading on. */
export const READ_AHEAD = 4096;
/** ...and at most this many bytes of them (a flood of large requests stays bounded). */
export const READ_AHEAD_BYTES = 16 * 1024 * 1024;
/** Requests served back to back before the loop reads again: a critical request arriving waits behind at most this many. */
export const SERVE_SLICE = 32;
/** Requests read back to back at most before a slice is served. */
export const READ_RUN = 256;
const CRITICAL = QOS_PRIORITY.critical;

export class RequestQueue {
  private readonly queue = new PriorityQueue<QueuedRequest>(Object.keys(QOS_PRIORITY).length);
  private bytes = 0;
  private readSinceServed = 0;
  /** While set, requests wait (tests and benchmarks build a backlog with it). */
  paused = false;

  constructor(
    private readonly channels: ChannelRegistry,
    private readonly handle: (request: QueuedRequest) => void,
  ) {}

  get size(): number {
    return this.queue.size;
  }

  /** Read ahead as far as allowed: serve before reading on. Never while paused (a test builds a backlog). */
  get full(): boolean {
    return !this.paused && (this.queue.size >= READ_AHEAD || this.bytes >= READ_AHEAD_BYTES);
  }

  /** Something waits that serve() would handle now. */
  get ready(): boolean {
    return !this.paused && this.queue.size > 0;
  }

  /** Serve now, even though ZeroMQ has more to read: a critical request waits, or the read-ahead or read run is full. */
  get due(): boolean {
    return this.ready && (this.queue.sizeOf(CRITICAL) > 0 || this.readSinceServed >= READ_RUN || this.full);
  }

  push(request: QueuedRequest): void {
    this.bytes += request.bytes;
    this.readSinceServed++;
    this.queue.push(this.priorityOf(request), request, request.ctx.identity.toString('latin1'));
  }

  /** Handles up to `limit` queued requests, highest priority first, arrival order within one; returns how many. */
  serve(limit = Infinity): number {
    let n = 0;
    this.readSinceServed = 0;
    while (n < limit && !this.paused) {
      const next = this.queue.shift();
      if (!next) break;
      this.bytes -= next.bytes;
      n++;
      this.handle(next);
    }
    return n;
  }

  private priorityOf(request: QueuedRequest): number {
    const channel = (request.body as { channel?: unknown }).channel;
    if (typeof channel === 'string') return QOS_PRIORITY[this.channels.qosOf(channel) ?? DEFAULT_QOS];
    let best = QOS_PRIORITY[DEFAULT_QOS];
    for (const p of request.ctx.session?.producers ?? []) {
      if (p.qos !== undefined) best = Math.min(best, QOS_PRIORITY[p.qos]);
    }
    return best;
  }
}
