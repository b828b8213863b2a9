// The client's view of its broker's health: reachable, slow or gone, judged from the
// round trips of its PINGs (the app pings on every refresh), with their recent history.
import { percentile } from '../shared/percentile.js';

export type BrokerHealthState = 'reachable' | 'slow' | 'gone';

/** A round trip at or above this many milliseconds (median of the recent ones) is slow. */
export const SLOW_RTT_MS = 250;
/** Round trips kept for the history. */
export const RTT_HISTORY = 30;

export interface BrokerHealth {
  state: BrokerHealthState;
  /** Oldest first; null for a PING that failed. */
  rttHistoryMs: Array<number | null>;
  rttP50Ms: number | null;
  rttP99Ms: number | null;
}

export class HealthTracker {
  private readonly history: Array<number | null> = [];

  /** A PING answered after `rttMs`, or (null) failed. */
  record(rttMs: number | null): void {
    this.history.push(rttMs);
    if (this.history.length > RTT_HISTORY) this.history.shift();
  }

  /** Gone when the last PING failed (or nothing answered yet); slow when the recent median is over SLOW_RTT_MS. */
  health(): BrokerHealth {
    const answered = this.history.filter((v): v is number => v !== null);
    const last = this.history[this.history.length - 1];
    const recent = answered.slice(-5);
    const state: BrokerHealthState =
      last === undefined || last === null ? 'gone' : percentile(recent, 0.5) >= SLOW_RTT_MS ? 'slow' : 'reachable';
    return {
      state,
      rttHistoryMs: [...this.history],
      rttP50Ms: answered.length ? percentile(answered, 0.5) : null,
      rttP99Ms: answered.length ? percentile(answered, 0.99) : null,
    };
  }
}
