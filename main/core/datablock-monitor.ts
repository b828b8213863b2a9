// Watches the DataBlocks on this machine for the UI: lists /dev/shm on a timer,
// keeps a passive reader per segment for throughput statistics, and turns both
// into the contract's DataBlockRow. A segment that goes bad (truncated,
// replaced, garbage) becomes a row with its problem, never an exception.
import type { DataBlockRow } from '../../preload/contract.js';
import { listDataBlocks, type DataBlockSummary } from '../datablock/list.js';
import { openDataBlock, type DataBlockReader } from '../datablock/reader.js';
import { DataBlockStats, type StatsSample } from '../datablock/stats.js';

interface Followed {
  reader: DataBlockReader;
  stats: DataBlockStats;
  size: number;
  /** The record count and when it was last seen to change. */
  written: bigint | null;
  changedAt: number;
}

export class DataBlockMonitor {
  private readonly followed = new Map<string, Followed>();
  private summaries: DataBlockSummary[] = [];
  private rows: DataBlockRow[] = [];

  constructor(private readonly shmDir?: string) {}

  /** The latest listing, for the channel merge. */
  segments(): DataBlockSummary[] {
    return this.summaries;
  }

  current(): DataBlockRow[] {
    return this.rows;
  }

  /** Lists and samples every segment once; returns the new rows. */
  sample(): DataBlockRow[] {
    let summaries: DataBlockSummary[];
    try {
      summaries = this.shmDir ? listDataBlocks(this.shmDir) : listDataBlocks();
    } catch {
      summaries = [];
    }
    const seen = new Set<string>();
    this.rows = summaries.map((s) => {
      seen.add(s.name);
      const stats = s.valid ? this.sampleStats(s) : null;
      return rowOf(s, stats, stats ? this.idleMs(s.name, stats) : null);
    });
    for (const [name, f] of this.followed) {
      if (!seen.has(name)) this.forget(name, f);
    }
    this.summaries = summaries;
    return this.rows;
  }

  private sampleStats(s: DataBlockSummary): StatsSample | null {
    let f = this.followed.get(s.name);
    if (f && f.size !== s.size) {
      this.forget(s.name, f); // resized or replaced: start over
      f = undefined;
    }
    if (!f) {
      try {
        const reader = this.shmDir ? openDataBlock(`${this.shmDir}/${s.name}`, { file: true }) : openDataBlock(s.name);
        f = { reader, stats: new DataBlockStats(reader), size: s.size, written: null, changedAt: Date.now() };
        this.followed.set(s.name, f);
      } catch {
        return null;
      }
    }
    const sample = f.stats.sample();
    if (sample.error) {
      this.forget(s.name, f);
      return null;
    }
    return sample;
  }

  /** How long the segment's record count has stood still; null until it was seen twice. */
  private idleMs(name: string, sample: StatsSample): number | null {
    const f = this.followed.get(name);
    if (!f) return null;
    const first = f.written === null;
    if (f.written !== sample.totalSlotsWritten) {
      f.written = sample.totalSlotsWritten;
      f.changedAt = sample.at;
    }
    return first ? null : sample.at - f.changedAt;
  }

  private forget(name: string, f: Followed): void {
    f.reader.close();
    this.followed.delete(name);
  }

  close(): void {
    for (const [name, f] of this.followed) this.forget(name, f);
  }
}

function rowOf(s: DataBlockSummary, stats: StatsSample | null, idleMs: number | null): DataBlockRow {
  const rated = stats !== null && stats.intervalS > 0;
  return {
    name: s.name,
    size: s.size,
    capacity: s.capacity,
    stride: s.stride,
    policy: s.policy,
    syncPolicy: s.consumerSyncPolicy,
    totalSlotsWritten: s.recordsWritten === null ? null : s.recordsWritten.toString(),
    producerPid: s.producerPid,
    producerName: s.producerName || null,
    alive: s.alive,
    liveness: s.livenessText ?? (s.valid ? 'unknown' : 'unreadable'),
    valid: s.valid,
    problems: s.problems,
    recordsPerSec: rated ? stats.recordsPerSec : null,
    bytesPerSec: rated ? stats.bytesPerSec : null,
    overwritesPerSec: rated ? stats.overwrites / stats.intervalS : null,
    lag: stats?.sequentialLag != null ? Number(stats.sequentialLag) : null,
    idleMs,
    checksumFailures: stats ? Number(stats.checksumFailures) : null,
  };
}
