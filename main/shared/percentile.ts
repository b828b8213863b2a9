// Nearest-rank percentiles, shared by the broker's metrics, the client's health and
// the benchmarks (bench/stats.ts), so every figure HubScope reports ranks alike.

/** The nearest-rank p-th percentile (p a fraction 0..1) of an ascending list; undefined when empty. */
export function nearestRankOfSorted(sorted: ArrayLike<number>, p: number): number | undefined {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

/** The p-th percentile (0..1) of `values` (nearest rank), 0 when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  return nearestRankOfSorted(
    [...values].sort((a, b) => a - b),
    p,
  )!;
}
