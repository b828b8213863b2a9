// Sessions following the broker trace (TRACE_SUBSCRIBE): each matching entry goes to
// the subscriber as a TRACE_EVENT notification. Each subscriber gets at most
// maxEventsPerSecond events; the rest are dropped and counted in the next event it
// gets, so a slow or flooded subscriber costs the broker a bounded amount of work
// (ZeroMQ also drops what a peer that stopped reading leaves in its queue).
import type { NotificationBody } from '../protocol/messages.js';
import { TokenBucket } from './rate-limiter.js';
import type { Session } from './session.js';
import { matchesTrace, type TraceEntry, type TraceFilter, type TraceRing } from '../protocol/trace.js';

export const DEFAULT_TRACE_EVENTS_PER_SECOND = 500;

interface Subscription {
  session: Session;
  filter: TraceFilter;
  budget: TokenBucket;
  dropped: number;
}

export class TraceSubscriptions {
  private readonly subs = new Map<string, Subscription>();
  private stopFollowing: (() => void) | undefined;

  constructor(
    private readonly ring: TraceRing,
    private readonly send: (to: Session, body: NotificationBody<'TRACE_EVENT'>) => void,
    /** False once a session was dropped (BYE, expiry): its subscription goes too. */
    private readonly isLive: (s: Session) => boolean,
    readonly maxEventsPerSecond = DEFAULT_TRACE_EVENTS_PER_SECOND,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  subscribe(session: Session, filter: TraceFilter, now: number): void {
    this.subs.set(session.key, {
      session,
      filter,
      budget: new TokenBucket({ perSecond: this.maxEventsPerSecond, burst: this.maxEventsPerSecond }, now),
      dropped: 0,
    });
    this.stopFollowing ??= this.ring.follow((e) => this.deliver(e));
  }

  /** True when the session was subscribed. */
  unsubscribe(session: Session): boolean {
    const had = this.subs.delete(session.key);
    this.stopWhenIdle();
    return had;
  }

  private deliver(entry: TraceEntry): void {
    const now = entry.at;
    for (const [key, sub] of this.subs) {
      if (!this.isLive(sub.session)) {
        this.subs.delete(key);
        continue;
      }
      if (!matchesTrace(entry, sub.filter)) continue;
      if (!sub.budget.take(now)) {
        sub.dropped++;
        continue;
      }
      const dropped = sub.dropped;
      sub.dropped = 0;
      this.send(sub.session, { entry, dropped });
    }
    this.stopWhenIdle();
  }

  private stopWhenIdle(): void {
    if (this.subs.size > 0 || !this.stopFollowing) return;
    this.stopFollowing();
    this.stopFollowing = undefined;
  }
}
