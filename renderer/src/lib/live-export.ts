// Saves what a live view shows (the current window or zoomed range) as CSV or JSON.
// When the range holds more samples than the plot has pixel columns, the file has
// what was drawn: the min and max of each column, and says so.
import type { LiveFrame, LiveStreamInfo } from '../../../preload/contract.js';

export function exportWindow(info: LiveStreamInfo, frame: LiveFrame, format: 'csv' | 'json'): void {
  const s = frame.series;
  if (!s) return;
  const labels = info.series.map((x) => (x.unit ? `${x.label} (${x.unit})` : x.label));
  const timeLabel = info.time.field ?? 'read_at_s';
  const decimated = s.samples > s.x.length;
  let text: string;
  if (format === 'csv') {
    const lines = [
      `# ${info.name}: ${s.samples} samples from ${s.from} to ${s.to}` +
        (decimated ? `, min/max per pixel column (${s.x.length} points)` : ''),
      [timeLabel, ...labels].map((l) => JSON.stringify(l)).join(','),
    ];
    for (let i = 0; i < s.x.length; i++) {
      lines.push([s.x[i], ...s.y.map((y) => y[i])].map((v) => (Number.isNaN(v) ? '' : String(v))).join(','));
    }
    text = lines.join('\n') + '\n';
  } else {
    text = JSON.stringify({
      segment: info.name,
      from: s.from,
      to: s.to,
      samples: s.samples,
      decimated,
      time: timeLabel,
      series: Object.fromEntries(
        labels.map((l, k) => [l, Array.from(s.y[k] ?? [], (v) => (Number.isNaN(v) ? null : v))]),
      ),
      x: Array.from(s.x),
    });
  }
  const url = URL.createObjectURL(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${info.name}.${format}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
