// How a dense series is drawn: once there are more points than pixel columns,
// each column is one 1-pixel-wide rectangle from its minimum to its maximum (joined
// to the previous column's last value), the way oscilloscopes draw. The rectangles
// are filled one by one with whole-pixel coordinates: the fastest thing a software
// canvas does, where stroking thousands of self-overlapping zigzag segments, or
// filling one path of them, is the slowest (measured: ~10 ms a frame for 8 series
// on the loaded test machine, against ~1 ms). Sparse series keep uPlot's lines.
import uPlot from 'uplot';

const linear = uPlot.paths.linear!();
const EMPTY = { stroke: undefined, fill: undefined, flags: 0 } as unknown as uPlot.Series.Paths;

/** Per chart and series, the columns to fill at draw time: x, top, height triples. */
const columns = new WeakMap<uPlot, Map<number, { rects: Int32Array; count: number }>>();

export const envelopePaths: uPlot.Series.PathBuilder = (u, seriesIdx, idx0, idx1) => {
  const byChart = columns.get(u) ?? new Map<number, { rects: Int32Array; count: number }>();
  columns.set(u, byChart);
  const xs = u.data[0];
  const ys = u.data[seriesIdx] as ArrayLike<number | null | undefined>;
  if (idx1 - idx0 < u.bbox.width * 0.75) {
    byChart.delete(seriesIdx);
    return linear(u, seriesIdx, idx0, idx1);
  }
  const scaleKey = u.series[seriesIdx]?.scale ?? 'y';
  const need = 3 * (Math.ceil(u.bbox.width) + 2);
  let entry = byChart.get(seriesIdx);
  if (!entry || entry.rects.length < need) entry = { rects: new Int32Array(need), count: 0 };
  const rects = entry.rects;
  let n = 0;
  let col = Number.NaN;
  let lo = 0;
  let hi = 0;
  let last = Number.NaN;
  const flush = () => {
    if (Number.isNaN(col) || n + 3 > rects.length) return;
    const top = Math.floor(lo);
    rects[n] = col;
    rects[n + 1] = top;
    rects[n + 2] = Math.max(1, Math.ceil(hi) - top);
    n += 3;
  };
  for (let i = idx0; i <= idx1; i++) {
    const y = ys[i];
    if (y === null || y === undefined || Number.isNaN(y)) {
      // A gap: lost records. Nothing is drawn across it.
      flush();
      col = Number.NaN;
      last = Number.NaN;
      continue;
    }
    const px = Math.round(u.valToPos(xs[i] as number, 'x', true));
    const py = u.valToPos(y, scaleKey, true);
    if (px !== col) {
      flush();
      col = px;
      lo = Number.isNaN(last) ? py : Math.min(py, last);
      hi = Number.isNaN(last) ? py : Math.max(py, last);
    } else {
      if (py < lo) lo = py;
      if (py > hi) hi = py;
    }
    last = py;
  }
  flush();
  entry.count = n;
  byChart.set(seriesIdx, entry);
  return EMPTY;
};

/** uPlot hook: fills the columns of a dense series, clipped to the plot area. */
export function drawEnvelope(u: uPlot, seriesIdx: number): void {
  const entry = columns.get(u)?.get(seriesIdx);
  const series = u.series[seriesIdx];
  if (!entry || entry.count === 0 || !series?.show) return;
  const stroke = series.stroke;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.fillStyle = (typeof stroke === 'function' ? stroke(u, seriesIdx) : stroke) ?? '#888';
  const r = entry.rects;
  for (let k = 0; k < entry.count; k += 3) ctx.fillRect(r[k] as number, r[k + 1] as number, 1, r[k + 2] as number);
  ctx.restore();
}
