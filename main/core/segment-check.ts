// One look at a channel's segment on this host, for `hubscope find`: the same row
// and diagnosis the Channels view shows, from two samples a moment apart (a rate
// needs two).
import type { DataBlockRow } from '../../preload/contract.js';
import { normaliseShmName } from '../discovery/merge.js';
import { DataBlockMonitor } from './datablock-monitor.js';
import { diagnoseSegment } from './diagnose.js';

export interface SegmentCheck {
  row: DataBlockRow | null;
  /** In words: the segment's state, then every diagnosis. */
  notes: string[];
}

export async function checkSegment(shmName: string, sampleGapMs = 500): Promise<SegmentCheck> {
  const name = normaliseShmName(shmName);
  const monitor = new DataBlockMonitor();
  try {
    monitor.sample();
    await new Promise((resolve) => setTimeout(resolve, sampleGapMs));
    const row = monitor.sample().find((r) => r.name === name) ?? null;
    if (!row) return { row: null, notes: [`segment /dev/shm/${name} does not exist on this host`] };
    const state = row.valid
      ? `segment /dev/shm/${name}: ${row.liveness}; ${row.totalSlotsWritten ?? 0} records written, ` +
        `${(row.recordsPerSec ?? 0).toFixed(1)} records/s now`
      : `segment /dev/shm/${name} is not readable: ${row.problems.join('; ')}`;
    return { row, notes: [state, ...diagnoseSegment(row)] };
  } finally {
    monitor.close();
  }
}
