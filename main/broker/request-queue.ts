// The broker's received-but-unhandled requests (capability "qos"): each gets the
// priority of the channel it names (its producer's QoS class), or, when it names
// none (HEARTBEAT, PING...), the best class among the connection's producers. The
// receive loop pushes what ZeroMQ has ready, then serves it critical first.
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
}

/** Requests read before the batch is served: a critical one waits behind at most this many. */
export const REQUEST_BATCH = 128;

export class RequestQueue {
  private readonly queue = new PriorityQueue<QueuedRequest>(Object.keys(QOS_PRIORITY).length);
  /** While set, requests wait (tests and benchmarks build a backlog with it). */
  paused = false;

  constructor(
    private readonly channels: ChannelRegistry,
    private readonly handle: (request: QueuedRequest) => void,
  ) {}

  get size(): number {
    return this.queue.size;
  }

  get full(): boolean {
    return !this.paused && this.queue.size >= REQUEST_BATCH;
  }

  push(request: QueuedRequest): void {
    this.queue.push(this.priorityOf(request), request);
  }

  /** Handles every queued request, highest priority first, arrival order within one. */
  serve(): void {
    while (!this.paused) {
      const next = this.queue.shift();
      if (!next) return;
      this.handle(next);
    }
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
