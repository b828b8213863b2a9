// The decimator keeps the minimum and maximum of every pixel column, in the order
// they occurred, and marks lost records as gaps.
import { describe, expect, it } from 'vitest';
import { decimateMinMax, decimateTrace } from '../../main/core/decimate.js';
import { decodeBinaryFrame, encodeBinaryFrame, holdsTypedArray } from '../../preload/binary-frame.js';

describe('min/max decimation', () => {
  it('gives each pixel column its min and max in the order they came', () => {
    // 4 columns over t = 0..7, two samples each.
    const t = [0, 1, 2, 3, 4, 5, 6, 7];
    const a = [5, 1, 2, 9, 3, 3, -4, 8];
    const d = decimateMinMax({ t, columns: [a] }, 0, 8, 4);
    expect(Array.from(d.x)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // column 0: max 5 first then min 1; column 1: min 2 then max 9; column 2 flat; column 3: min then max.
    expect(Array.from(d.y[0]!)).toEqual([5, 1, 2, 9, 3, 3, -4, 8]);
    expect(d.samples).toBe(8);
  });

  it('reduces many samples to at most two points per column and keeps every spike', () => {
    const n = 100_000;
    const t = Float64Array.from({ length: n }, (_, i) => i / 1000);
    const v = Float64Array.from({ length: n }, (_, i) => (i === 54_321 ? 1000 : i === 12_345 ? -1000 : Math.sin(i)));
    const d = decimateMinMax({ t, columns: [v, t] }, 0, 100, 800);
    expect(d.x.length).toBeLessThanOrEqual(1600);
    expect(Math.max(...d.y[0]!)).toBe(1000);
    expect(Math.min(...d.y[0]!)).toBe(-1000);
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThanOrEqual(d.x[i - 1]!);
  });

  it('only uses samples inside [from, to] and marks lost records with a NaN gap', () => {
    const t = [0, 1, 2, 3, 4, 5];
    const v = [1, 2, 3, 4, 5, 6];
    const gapBefore = [0, 0, 0, 1, 0, 0];
    const d = decimateMinMax({ t, columns: [v], gapBefore }, 2, 4, 10);
    expect(d.samples).toBe(3);
    expect(Array.from(d.x)).toEqual([2, 3, 3, 4]);
    expect(Array.from(d.y[0]!).map((x) => (Number.isNaN(x) ? 'gap' : x))).toEqual([3, 'gap', 4, 5]);
  });

  it('decimates a 1024-sample trace to the pixel width', () => {
    const values = Float32Array.from({ length: 1024 }, (_, i) => (i === 500 ? 7 : 0));
    const d = decimateTrace(values, 100);
    expect(d.x.length).toBeLessThanOrEqual(200);
    expect(Math.max(...d.y)).toBe(7);
  });
});

describe('binary frames', () => {
  it('carry typed arrays as bytes and give them back as typed arrays', () => {
    const value = {
      t: 'res',
      id: 3,
      ok: true,
      result: { name: 'x', series: { x: Float64Array.of(1, 2.5), y: [Float32Array.of(3, 4), Float32Array.of()] } },
      pixels: Uint16Array.of(1, 65535, 7),
    };
    expect(holdsTypedArray(value)).toBe(true);
    expect(holdsTypedArray({ a: [1, 2, { b: 'c' }] })).toBe(false);
    const bytes = encodeBinaryFrame(value);
    const copy = bytes.slice().buffer as ArrayBuffer;
    const back = decodeBinaryFrame(copy) as typeof value;
    expect(back.result.series.x).toBeInstanceOf(Float64Array);
    expect(Array.from(back.result.series.x)).toEqual([1, 2.5]);
    expect(Array.from(back.result.series.y[0]!)).toEqual([3, 4]);
    expect(back.result.series.y[1]!.length).toBe(0);
    expect(Array.from(back.pixels)).toEqual([1, 65535, 7]);
    expect(back.result.name).toBe('x');
  });

  it('refuse a frame shorter than its arrays', () => {
    const bytes = encodeBinaryFrame({ a: Float64Array.of(1, 2, 3) });
    expect(() => decodeBinaryFrame(bytes.slice(0, bytes.length - 8).buffer as ArrayBuffer)).toThrow(/shorter/);
  });
});
