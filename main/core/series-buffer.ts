// The history a live view can scroll back through: sample times and one value
// column per series, kept contiguous (oldest first) so the decimator reads them
// as plain arrays. Grows by doubling up to `limit` samples; past that the oldest
// fifth is dropped in one copy, which keeps appends O(1) amortised.
import { decimateMinMax, type Decimated } from './decimate.js';

const INITIAL = 4096;

export class SeriesBuffer {
  private t: Float64Array;
  private cols: Float64Array[];
  private gaps: Uint8Array;
  private len = 0;

  constructor(
    readonly seriesCount: number,
    /** Most samples kept (the longest window at the channel's rate, within a memory budget). */
    readonly limit: number,
  ) {
    const size = Math.min(INITIAL, limit);
    this.t = new Float64Array(size);
    this.cols = Array.from({ length: seriesCount }, () => new Float64Array(size));
    this.gaps = new Uint8Array(size);
  }

  get length(): number {
    return this.len;
  }

  /** Time of the newest sample, null when empty. */
  newestTime(): number | null {
    return this.len > 0 ? (this.t[this.len - 1] as number) : null;
  }

  oldestTime(): number | null {
    return this.len > 0 ? (this.t[0] as number) : null;
  }

  /** Appends one sample; `values` holds one number per series. */
  push(time: number, values: ArrayLike<number>, gapBefore: boolean): void {
    if (this.len === this.t.length) this.makeRoom();
    // Times must not go backwards for the binary searches; a clock step back is held flat.
    const last = this.len > 0 ? (this.t[this.len - 1] as number) : -Infinity;
    this.t[this.len] = time < last ? last : time;
    for (let s = 0; s < this.seriesCount; s++) (this.cols[s] as Float64Array)[this.len] = values[s] as number;
    this.gaps[this.len] = gapBefore ? 1 : 0;
    this.len++;
  }

  clear(): void {
    this.len = 0;
  }

  decimate(from: number, to: number, width: number): Decimated {
    return decimateMinMax(
      { t: this.t, columns: this.cols, gapBefore: this.gaps, start: 0, end: this.len },
      from,
      to,
      width,
    );
  }

  private makeRoom(): void {
    const size = this.t.length;
    if (size < this.limit) {
      const next = Math.min(size * 2, this.limit);
      this.t = grow(this.t, next);
      this.cols = this.cols.map((c) => grow(c, next));
      const g = new Uint8Array(next);
      g.set(this.gaps);
      this.gaps = g;
      return;
    }
    const drop = Math.max(1, Math.floor(size / 5));
    this.t.copyWithin(0, drop, this.len);
    for (const c of this.cols) c.copyWithin(0, drop, this.len);
    this.gaps.copyWithin(0, drop, this.len);
    this.len -= drop;
  }
}

function grow(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}
