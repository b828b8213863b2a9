// Throughput and health over time for one DataBlock, from header counters.
// Call sample() on a timer; each sample compares with the previous one.
// Header counters are individually atomic but not consistent as a set (spec 5),
// so rates are computed from total_slots_written and commit_index only.
import type { DataBlockReader } from './reader.js';

export interface StatsSample {
  /** Date.now() of the sample. */
  at: number;
  /** Seconds since the previous sample (0 for the first). */
  intervalS: number;
  totalSlotsWritten: bigint;
  commitIndex: bigint | null;
  recordsPerSec: number;
  /** recordsPerSec x the payload size (the schema's struct size when given, else the stride). */
  bytesPerSec: number;
  /** Records written since the previous sample that overwrote a not-yet-overwritten older record (ring wrapped). */
  overwrites: number;
  /** All records overwritten since creation: max(0, written - capacity). */
  overwritesTotal: bigint;
  /** Sequential policies: committed records not yet consumed, (commit_index + 1) - read_index; null for Latest_only. */
  sequentialLag: bigint | null;
  /** Sequential_sync: lag of each registered consumer by heartbeat index. */
  consumerLag: Array<{ index: number; pid: number; lag: bigint }>;
  /** Header checksum_failures counter and its increase since the previous sample. */
  checksumFailures: bigint;
  checksumFailuresDelta: number;
  producerAlive: boolean;
  /** Set when the segment could not be sampled (truncated, replaced, invalid); other fields are zero then. */
  error: string | null;
}

export class DataBlockStats {
  private prev: { at: number; written: bigint; cks: bigint } | null = null;

  /** payloadBytes: bytes per record used for bytesPerSec (default: the slot stride). */
  constructor(
    private readonly reader: DataBlockReader,
    private readonly payloadBytes?: number,
  ) {}

  /** Never throws: a segment that went bad yields a sample with `error` set. */
  sample(): StatsSample {
    const at = Date.now();
    try {
      const report = this.reader.validate();
      if (!report.valid) throw new Error(report.problems.join('; '));
      const h = this.reader.header();
      const written = h.totalSlotsWritten;
      const cks = h.counters.checksumFailures;
      const cap = BigInt(Math.max(1, h.ringBufferCapacity));
      const prev = this.prev;
      const intervalS = prev ? Math.max((at - prev.at) / 1000, 1e-9) : 0;
      const delta = prev && written >= prev.written ? written - prev.written : 0n;
      const recordsPerSec = prev ? Number(delta) / intervalS : 0;
      const over = (w: bigint): bigint => (w > cap ? w - cap : 0n);
      const overwrites = prev && written >= prev.written ? Number(over(written) - over(prev.written)) : 0;
      const sequential = h.consumerSyncPolicy === 1 || h.consumerSyncPolicy === 2;
      const next = h.commitIndex === null ? 0n : h.commitIndex + 1n;
      const lagOf = (cursor: bigint): bigint => (next > cursor ? next - cursor : 0n);
      const consumerLag =
        h.consumerSyncPolicy === 2
          ? h.consumerHeartbeats.map((c) => ({
              index: c.index,
              pid: c.pid,
              lag: lagOf(h.consumerReadCursors[c.index] ?? 0n),
            }))
          : [];
      this.prev = { at, written, cks };
      return {
        at,
        intervalS,
        totalSlotsWritten: written,
        commitIndex: h.commitIndex,
        recordsPerSec,
        bytesPerSec: recordsPerSec * (this.payloadBytes ?? h.logicalUnitSize),
        overwrites,
        overwritesTotal: over(written),
        sequentialLag: sequential ? lagOf(h.readIndex) : null,
        consumerLag,
        checksumFailures: cks,
        checksumFailuresDelta: prev && cks >= prev.cks ? Number(cks - prev.cks) : 0,
        producerAlive: this.reader.liveness(h).alive,
        error: null,
      };
    } catch (err) {
      this.prev = null;
      return {
        at,
        intervalS: 0,
        totalSlotsWritten: 0n,
        commitIndex: null,
        recordsPerSec: 0,
        bytesPerSec: 0,
        overwrites: 0,
        overwritesTotal: 0n,
        sequentialLag: null,
        consumerLag: [],
        checksumFailures: 0n,
        checksumFailuresDelta: 0,
        producerAlive: false,
        error: (err as Error).message,
      };
    }
  }
}
