// Reconnection delays: exponential backoff with jitter, so that many clients of a
// restarted broker do not all reconnect in the same millisecond.

export interface BackoffOptions {
  /** First delay (ms). */
  initialDelayMs: number;
  /** Upper bound of the delay before jitter (ms). */
  maxDelayMs: number;
  /** Fraction of the delay added or removed at random, 0..1. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.2 };

/** Delay before reconnection attempt number `attempt` (0-based). */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** Math.min(attempt, 30));
  const spread = base * o.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}
