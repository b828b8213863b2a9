// Number formatting shared by the views.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let v = n;
  let unit = 0;
  while (Math.abs(v) >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${unit === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

export function formatRate(perSec: number | null | undefined, unit = '/s'): string {
  if (perSec === null || perSec === undefined || !Number.isFinite(perSec)) return '—';
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M${unit}`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(2)} k${unit}`;
  return `${perSec.toFixed(perSec < 10 ? 1 : 0)}${unit}`;
}

export function formatByteRate(perSec: number | null | undefined): string {
  return perSec === null || perSec === undefined ? '—' : `${formatBytes(perSec)}/s`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

export { formatNumber } from '../../../common/number-format.js';
