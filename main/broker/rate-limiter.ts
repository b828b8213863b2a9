// Token bucket per connection: a flood from one client is answered with one
// RATE_LIMITED error and then dropped, so it cannot starve the others.

export interface RateLimit {
  /** Sustained messages per second per connection. */
  perSecond: number;
  /** Messages allowed in a burst above the sustained rate. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 20_000, burst: 20_000 };

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Set once the client was told it is limited; cleared when it may send again. */
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

  /** Takes one token; false when the connection is over its limit. */
  take(now: number): boolean {
    this.lastUsedAt = now;
    if (now > this.last) {
      this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) * this.limit.perSecond) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.warned = false;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available. */
  retryAfterMs(): number {
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.limit.perSecond));
  }
}
