// Per-connection flood control. Two token buckets per ROUTER identity:
//  - messages: a connection sending faster than the limit is told once (RATE_LIMITED)
//    and its excess is dropped silently, so it cannot starve the others;
//  - rejections: malformed or oversized input is answered with ERROR until the
//    connection has used up its budget (weighted by size, since big garbage costs more
//    to read); then it is told once and ignored, undecoded, for a while. A peer that
//    keeps sending garbage after being told thus costs the broker almost nothing.

export interface RateLimit {
  /** Sustained messages per second per connection. */
  perSecond: number;
  /** Messages allowed in a burst above the sustained rate. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 20_000, burst: 20_000 };

/**
 * Rejected messages answered per connection before it is muted, in tokens: a rejected
 * message costs 1 token plus 1 per REJECTION_TOKEN_BYTES of its size.
 */
export const DEFAULT_REJECTION_LIMIT: RateLimit = { perSecond: 500, burst: 5_000 };
export const REJECTION_TOKEN_BYTES = 4096;
/** How long a connection that used up its rejection budget is ignored. */
export const DEFAULT_MUTE_MS = 5_000;

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Set once the client was told it is limited; cleared when the bucket is full again. */
  warned = false;
  lastUsedAt: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.last = now;
    this.lastUsedAt = now;
  }

  /** Takes `cost` tokens; false (and takes none) when the connection is over its limit. */
  take(now: number, cost = 1): boolean {
    this.lastUsedAt = now;
    if (now > this.last) {
      this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) * this.limit.perSecond) / 1000);
      this.last = now;
    }
    // Only a full bucket ends an episode: a flood just above the rate would otherwise
    // alternate between one accepted and one refused message, and be told every time.
    if (this.tokens >= this.limit.burst) this.warned = false;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available. */
  retryAfterMs(): number {
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.limit.perSecond));
  }
}

/** What the broker should do with a rejected message. */
export type RejectionVerdict = 'answer' | 'mute';

/** Flood-control state of one connection (one ROUTER identity). */
export class ConnectionGuard {
  readonly messages: TokenBucket;
  private readonly rejections: TokenBucket;
  private mutedUntil = 0;

  constructor(
    messages: RateLimit,
    rejections: RateLimit,
    readonly muteMs: number,
    now: number,
  ) {
    this.messages = new TokenBucket(messages, now);
    this.rejections = new TokenBucket(rejections, now);
  }

  get lastUsedAt(): number {
    return this.messages.lastUsedAt;
  }

  /** True while the connection is being ignored for sending too much garbage. */
  muted(now: number): boolean {
    return now < this.mutedUntil;
  }

  /**
   * Charges a rejected message of `bytes` bytes: 'answer' it with ERROR while within
   * the budget; 'mute' when the budget has run out: tell the peer once, then ignore it
   * (see muted()) for muteMs.
   */
  reject(now: number, bytes: number): RejectionVerdict {
    if (this.rejections.take(now, 1 + Math.floor(bytes / REJECTION_TOKEN_BYTES))) return 'answer';
    this.mutedUntil = now + this.muteMs;
    return 'mute';
  }
}
