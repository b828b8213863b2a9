// Follows one segment's ring passively (spec section 5): reads commit_index, then
// copies every record committed since the last read while the ring still holds
// it. Never registers as a consumer and never writes, so a producer cannot tell
// it is there. Records overwritten before they could be read are counted as lost,
// never hidden.
import { SLOT_CHECKSUM_SIZE } from '../datablock/format.js';
import type { DataBlockReader } from '../datablock/reader.js';

export interface TakeResult {
  taken: number;
  /** Records overwritten by the producer before this follower could copy them. */
  lost: number;
}

/** Called for each record in id order; `bytes` is reused after the call returns. */
export type RecordSink = (id: bigint, bytes: Uint8Array, gapBefore: boolean) => void;

/** Most records copied in one take(), so one call never blocks the event loop for long. */
const MAX_PER_TAKE = 20_000;

export class RingFollower {
  /** Next id to read; null until the first commit has been seen. */
  private next: bigint | null = null;
  private readonly buf: Uint8Array;
  private readonly capacity: bigint;
  /** A gap (lost records, a restart) happened just before the next record taken. */
  private gapPending = false;
  totalTaken = 0;
  totalLost = 0;

  constructor(
    private readonly reader: DataBlockReader,
    /** start: 'oldest' takes what the ring still holds at the first take (but its tail); 'now' only what follows. */
    private readonly start: 'oldest' | 'now' = 'oldest',
  ) {
    const g = reader.geometry;
    this.buf = new Uint8Array(g.stride + SLOT_CHECKSUM_SIZE);
    this.capacity = BigInt(g.capacity);
  }

  /** The newest committed id, or null before the first commit. */
  commitIndex(): bigint | null {
    return this.reader.commitIndex();
  }

  /** Copies every record committed since the last take, oldest first. */
  take(sink: RecordSink): TakeResult {
    const commit = this.reader.commitIndex();
    if (commit === null) return { taken: 0, lost: 0 };
    const oldestHeld = commit + 1n > this.capacity ? commit + 1n - this.capacity : 0n;
    if (this.next === null) {
      // Once the ring has wrapped, start a quarter of it ahead of its tail: the oldest slots
      // are the next the producer overwrites, and records lost before we ever followed are not gaps.
      const wrapped = commit + 1n > this.capacity;
      const start = wrapped ? oldestHeld + this.capacity / 4n : oldestHeld;
      this.next = this.start === 'oldest' ? start : commit;
    }
    // The producer restarted the ring (commit went backwards): follow the new one.
    if (commit + 1n < this.next) {
      this.next = oldestHeld;
      this.gapPending = true;
    }
    let lost = 0;
    if (this.next < oldestHeld) {
      lost += Number(oldestHeld - this.next);
      this.next = oldestHeld;
      this.gapPending = true;
    }
    let taken = 0;
    while (this.next <= commit && taken < MAX_PER_TAKE) {
      const r = this.reader.copyId(this.next, this.buf);
      if (r === 'overwritten') {
        lost++;
        this.gapPending = true;
        this.next++;
        continue;
      }
      // pending / busy: the writer is on that slot right now; try again next take.
      if (typeof r !== 'number') break;
      sink(this.next, this.buf, this.gapPending);
      this.gapPending = false;
      taken++;
      this.next++;
    }
    this.totalTaken += taken;
    this.totalLost += lost;
    return { taken, lost };
  }

  /**
   * Copies only the newest committed record when it is newer than the last one
   * taken (for records too large to copy all of: camera frames). Skipped records
   * were not lost to overwrite, only not read, so they are not counted as lost.
   */
  takeLatest(sink: RecordSink): TakeResult {
    const commit = this.reader.commitIndex();
    if (commit === null) return { taken: 0, lost: 0 };
    if (this.next !== null && commit + 1n < this.next) this.next = null; // the ring restarted
    if (this.next !== null && commit < this.next) return { taken: 0, lost: 0 };
    const oldestHeld = commit + 1n > this.capacity ? commit + 1n - this.capacity : 0n;
    const floor = this.next !== null && this.next > oldestHeld ? this.next : oldestHeld;
    for (let id = commit; id >= floor; id--) {
      const r = this.reader.copyId(id, this.buf);
      if (typeof r !== 'number') continue;
      sink(id, this.buf, false);
      this.next = id + 1n;
      this.totalTaken++;
      return { taken: 1, lost: 0 };
    }
    return { taken: 0, lost: 0 };
  }
}
