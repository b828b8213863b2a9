// The client's broker health: reachable, slow or gone from its PING round trips.
import { describe, expect, it } from 'vitest';
import { HealthTracker, RTT_HISTORY, SLOW_RTT_MS } from '../../main/hub/health.js';

describe('HealthTracker', () => {
  it('is gone before any answer and after a failed PING, reachable when fast, slow when the recent median is slow', () => {
    const h = new HealthTracker();
    expect(h.health()).toEqual({ state: 'gone', rttHistoryMs: [], rttP50Ms: null, rttP99Ms: null });
    h.record(1.5);
    h.record(2.5);
    expect(h.health()).toMatchObject({ state: 'reachable', rttP50Ms: 1.5, rttP99Ms: 2.5 });
    for (let i = 0; i < 3; i++) h.record(SLOW_RTT_MS + 10);
    expect(h.health().state).toBe('slow');
    h.record(null);
    expect(h.health().state).toBe('gone');
    expect(h.health().rttHistoryMs.at(-1)).toBeNull();
  });

  it('keeps a bounded round-trip history', () => {
    const h = new HealthTracker();
    for (let i = 0; i < RTT_HISTORY + 10; i++) h.record(i);
    const history = h.health().rttHistoryMs;
    expect(history).toHaveLength(RTT_HISTORY);
    expect(history[0]).toBe(10);
  });
});
