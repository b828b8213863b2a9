// Summary statistics shared by the benchmarks, so every p99 means the same thing.
import { nearestRankOfSorted } from '../main/shared/percentile.js';

/** Nearest-rank percentile of an ascending list: the smallest value with at least p % of samples at or below it. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return nearestRankOfSorted(sorted, p / 100) ?? NaN;
}

/** `x` rounded to `digits` decimals, for result files people read. */
export function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
