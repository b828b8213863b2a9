// What the Channels table adds to the rows main sends: the age of the last record
// and the spread of the rate over the last minute (min, max and standard deviation,
// the statistic `ros2 topic hz` gives, here from the header's counters sampled by
// main, not from subscribing), plus sorting, filtering and grouping by host.
import type { ChannelRow, DataBlockRow } from '../../../preload/contract.js';

export interface RateSpread {
  min: number;
  max: number;
  /** Standard deviation of the per-second rate samples. */
  jitter: number;
  samples: number;
}

/**
 * A segment's rate history with one more sample, the oldest dropped past `keep`. An
 * unknown rate (null: main has read the header once only, or could not) is no sample:
 * counted as 0 it made every new row's spread start at "0…".
 */
export function withRateSample(list: number[], rate: number | null, keep: number): number[] {
  if (rate === null || !Number.isFinite(rate)) return list;
  const next = [...list, rate];
  return next.length > keep ? next.slice(next.length - keep) : next;
}

export function spreadOf(values: number[] | undefined): RateSpread | null {
  if (!values || values.length < 2) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { min: Math.min(...values), max: Math.max(...values), jitter: Math.sqrt(variance), samples: values.length };
}

/**
 * The age of a segment's last record as the Channels table shows it. Main sees the
 * record count once per sample (about a second): a count that moved since the last
 * sample means "within that second", not "0 ms ago"; a count that stood still for
 * longer is as old as it has stood still.
 */
export function lastRecordText(idleMs: number | null | undefined, format: (ms: number) => string): string {
  if (idleMs === null || idleMs === undefined || !Number.isFinite(idleMs)) return '—';
  return idleMs < 1000 ? '< 1 s ago' : `${format(idleMs)} ago`;
}

export type SortKey = 'channel' | 'state' | 'rate' | 'bytes' | 'age' | 'consumers' | 'producer';

export interface ViewRow {
  row: ChannelRow;
  block: DataBlockRow | undefined;
  host: string;
}

export function sortValue(r: ViewRow, key: SortKey): string | number {
  switch (key) {
    case 'channel':
      return r.row.channel;
    case 'state':
      return r.row.state;
    case 'rate':
      return r.row.recordsPerSec ?? -1;
    case 'bytes':
      return r.row.bytesPerSec ?? -1;
    case 'age':
      return r.block?.idleMs ?? Number.MAX_SAFE_INTEGER;
    case 'consumers':
      return r.row.consumerCount ?? -1;
    case 'producer':
      return r.row.producer?.name ?? '';
  }
}

export function arrange(
  rows: ChannelRow[],
  blocks: DataBlockRow[],
  filter: string,
  key: SortKey,
  descending: boolean,
): ViewRow[] {
  const byName = new Map(blocks.map((b) => [b.name, b]));
  const needle = filter.trim().toLowerCase();
  const out = rows
    .map((row) => ({
      row,
      block: row.shmName ? byName.get(row.shmName) : undefined,
      host: row.producer?.host ?? 'this host',
    }))
    .filter(
      (r) =>
        needle === '' ||
        [r.row.channel, r.row.shmName ?? '', r.row.producer?.name ?? '', r.host, r.row.state]
          .join(' ')
          .toLowerCase()
          .includes(needle),
    );
  out.sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return descending ? -c : c;
  });
  return out;
}
