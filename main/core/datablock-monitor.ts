// Watches the DataBlocks on this machine for the UI: lists /dev/shm on a timer,
// keeps one passive reader per segment for its summary and throughput statistics,
// and turns both into the contract's DataBlockRow. A segment that goes bad (truncated,
// replaced, garbage) becomes a row with its problem, never an exception.
import type { DataBlockRow } from '../../preload/contract.js';
import {
  listSegmentFiles,
  openListed,
  summariseDataBlock,
  unreadableSummary,
  type DataBlockSummary,
} from '../datablock/list.js';
import type { DataBlockReader } from '../datablock/reader.js';
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
    let files: Array<{ name: string; size: number }>;
    try {
      files = this.shmDir ? listSegmentFiles(this.shmDir) : listSegmentFiles();
    } catch {
      files = [];
    }
    const seen = new Set<string>();
    const looked = files
      .map(({ name, size }) => {
        seen.add(name);
        return this.look(name, size);
      })
      .sort((a, b) => a.summary.name.localeCompare(b.summary.name));
    for (const [name, f] of this.followed) {
      if (!seen.has(name)) this.forget(name, f);
    }
    this.summaries = looked.map((l) => l.summary);
    this.rows = looked.map(({ summary, stats }) =>
      rowOf(summary, stats, stats ? this.idleMs(summary.name, stats) : null),
    );
    return this.rows;
  }

  /**
   * Summary and statistics of one segment through the reader kept open for it (one
   * open per segment, not one per tick). A reader whose segment went bad (shrunk,
   * replaced) is dropped and the name opened afresh, so a new segment under an old
   * name shows at once.
   */
  private look(name: string, size: number): { summary: DataBlockSummary; stats: StatsSample | null } {
    let f = this.followed.get(name);
    if (f && f.size !== size) {
      this.forget(name, f);
      f = undefined;
    }
    let report;
    if (f) {
      report = f.reader.validate();
      if (!report.valid) {
        this.forget(name, f);
        f = undefined;
      }
    }
    if (!f) {
      try {
        const reader = this.shmDir ? openListed(name, this.shmDir) : openListed(name);
        f = { reader, stats: new DataBlockStats(reader), size, written: null, changedAt: Date.now() };
        this.followed.set(name, f);
        report = reader.report;
      } catch (err) {
        return { summary: unreadableSummary(name, size, err), stats: null };
      }
    }
    const summary = summariseDataBlock(name, size, f.reader, report);
    if (!summary.valid) return { summary, stats: null };
    const stats = f.stats.sample();
    return { summary, stats: stats.error ? null : stats };
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
