// Reduces samples to what a plot of `width` pixel columns can show, the way
// uPlot's and Lichtblick's decimators do: per column, the minimum and the maximum
// of each series in the order they occurred, so every spike stays visible and no
// more points are drawn than the screen has room for.

export interface DecimateInput {
  /** Sample times, non-decreasing. */
  t: ArrayLike<number>;
  /** One value column per series, each as long as t. */
  columns: ArrayLike<number>[];
  /** Optional: 1 where records were lost just before the sample. */
  gapBefore?: ArrayLike<number>;
  /** Only samples [start, end) are considered (defaults: all). */
  start?: number;
  end?: number;
}

export interface Decimated {
  x: Float64Array;
  y: Float32Array[];
  /** Samples inside [from, to]. */
  samples: number;
}

/** First index in [lo, hi) whose time is >= value. */
export function lowerBound(t: ArrayLike<number>, value: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((t[mid] as number) < value) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** First index in [lo, hi) whose time is > value. */
export function upperBound(t: ArrayLike<number>, value: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((t[mid] as number) <= value) a = mid + 1;
    else b = mid;
  }
  return a;
}

/**
 * Min/max per pixel column of every series over [from, to]. A column with one
 * sample gives one point, with more gives two: at the column's first and last
 * sample time, holding each series' extreme that came first and the one that
 * came last. Where records were lost a NaN point (a gap) comes first.
 */
export function decimateMinMax(input: DecimateInput, from: number, to: number, width: number): Decimated {
  const { t, columns } = input;
  const cols = Math.max(1, Math.floor(width));
  const lo = lowerBound(t, from, input.start ?? 0, input.end ?? t.length);
  const hi = upperBound(t, to, lo, input.end ?? t.length);
  const n = columns.length;
  // At most 3 points per column (gap, first extreme, second extreme).
  const cap = Math.min(3 * cols, 3 * (hi - lo));
  const x = new Float64Array(cap);
  const y = columns.map(() => new Float32Array(cap));
  const span = to - from || 1;
  const min = new Float64Array(n);
  const max = new Float64Array(n);
  const minAt = new Int32Array(n);
  const maxAt = new Int32Array(n);
  let out = 0;
  let i = lo;
  while (i < hi) {
    const col = Math.min(cols - 1, Math.floor((((t[i] as number) - from) / span) * cols));
    let gap = false;
    const first = i;
    for (let s = 0; s < n; s++) {
      const v = (columns[s] as ArrayLike<number>)[i] as number;
      min[s] = v;
      max[s] = v;
      minAt[s] = i;
      maxAt[s] = i;
    }
    let last = i;
    for (; i < hi; i++) {
      const ti = t[i] as number;
      if (i > first && Math.min(cols - 1, Math.floor(((ti - from) / span) * cols)) !== col) break;
      if (input.gapBefore && input.gapBefore[i]) gap = true;
      last = i;
      for (let s = 0; s < n; s++) {
        const v = (columns[s] as ArrayLike<number>)[i] as number;
        if (v < (min[s] as number)) {
          min[s] = v;
          minAt[s] = i;
        }
        if (v > (max[s] as number)) {
          max[s] = v;
          maxAt[s] = i;
        }
      }
    }
    if (gap) {
      x[out] = t[first] as number;
      for (const ys of y) ys[out] = Number.NaN;
      out++;
    }
    if (last === first) {
      x[out] = t[first] as number;
      for (let s = 0; s < n; s++) (y[s] as Float32Array)[out] = min[s] as number;
      out++;
    } else {
      x[out] = t[first] as number;
      x[out + 1] = t[last] as number;
      for (let s = 0; s < n; s++) {
        const minFirst = (minAt[s] as number) <= (maxAt[s] as number);
        (y[s] as Float32Array)[out] = (minFirst ? min[s] : max[s]) as number;
        (y[s] as Float32Array)[out + 1] = (minFirst ? max[s] : min[s]) as number;
      }
      out += 2;
    }
  }
  return { x: x.slice(0, out), y: y.map((ys) => ys.slice(0, out)), samples: hi - lo };
}

/** Min/max per pixel column of one array (a trace: sample index on x). */
export function decimateTrace(values: ArrayLike<number>, width: number): { x: Float32Array; y: Float32Array } {
  const index = Float64Array.from({ length: values.length }, (_, k) => k);
  const d = decimateMinMax({ t: index, columns: [values] }, 0, Math.max(0, values.length - 1), width);
  return { x: Float32Array.from(d.x), y: d.y[0] ?? new Float32Array(0) };
}
