// The Channels table's rate spread (min…max ± standard deviation over the last
// minute): unknown rates are not samples, so a new row does not start at "0…".
import { describe, expect, it } from 'vitest';
import { lastRecordText, spreadOf, withRateSample } from '../../renderer/src/lib/channel-table.js';

describe('rate spread of the Channels table', () => {
  it('skips unknown rates instead of counting them as 0', () => {
    let list: number[] = [];
    for (const rate of [null, 30, 29.5, null, 30.5]) list = withRateSample(list, rate, 60);
    expect(list).toEqual([30, 29.5, 30.5]);
    const spread = spreadOf(list);
    expect(spread?.min).toBe(29.5);
    expect(spread?.max).toBe(30.5);
    expect(spread?.jitter).toBeCloseTo(Math.sqrt(1 / 6), 9);
    expect(spread?.samples).toBe(3);
  });

  it("keeps a stopped producer's 0 and only the last `keep` samples", () => {
    let list: number[] = [];
    for (let k = 0; k < 70; k++) list = withRateSample(list, k < 65 ? 10 : 0, 60);
    expect(list).toHaveLength(60);
    expect(list.slice(-5)).toEqual([0, 0, 0, 0, 0]);
    expect(spreadOf(list)?.min).toBe(0);
  });

  it('needs two samples for a spread', () => {
    expect(spreadOf(withRateSample([], 5, 60))).toBeNull();
    expect(spreadOf(undefined)).toBeNull();
  });
});

describe('age of the last record in the Channels table', () => {
  const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  it('says "< 1 s ago" for a count that moved within the last sample, not "0 ms ago"', () => {
    expect(lastRecordText(0, fmt)).toBe('< 1 s ago');
    expect(lastRecordText(999, fmt)).toBe('< 1 s ago');
  });
  it('gives the time a count has stood still, and a dash before two samples', () => {
    expect(lastRecordText(3200, fmt)).toBe('3.2 s ago');
    expect(lastRecordText(null, fmt)).toBe('—');
    expect(lastRecordText(undefined, fmt)).toBe('—');
  });
});
