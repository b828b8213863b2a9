// A consumer group member's view of a segment (docs/protocol.md "Consumer groups"):
// it reads on from a start id and keeps only the records its share owns
// (id mod size == index). On a rebalance the member calls reshare() with the new
// share and the generation's start id, so that the group as a whole reads every
// record once. Records the writer overwrote before the member got to them are
// counted, never silently skipped.
import { ownsRecord, type Share } from '../protocol/group-share.js';
import type { DataBlockReader, SlotRecord } from './reader.js';

export class GroupFilter {
  /** The next record id this member has not looked at yet. */
  private nextId: bigint;
  private current: Share;
  /** Owned records the writer overwrote before they were read. */
  missed = 0;

  constructor(
    private readonly reader: DataBlockReader,
    share: Share,
    startId = 0n,
  ) {
    this.current = share;
    this.nextId = startId;
  }

  get share(): Share {
    return this.current;
  }

  /** The next id this member will look at. */
  get position(): bigint {
    return this.nextId;
  }

  /** A new generation: from `startId` on, `share` decides what this member owns. */
  reshare(share: Share, startId: bigint): void {
    this.current = share;
    this.nextId = startId;
  }

  /** Owned records committed since the last read, oldest first; stops before `untilId` when given. */
  read(untilId?: bigint): SlotRecord[] {
    const last = this.reader.commitIndex();
    if (last === null) return [];
    const end = untilId !== undefined && untilId - 1n < last ? untilId - 1n : last;
    const out: SlotRecord[] = [];
    const oldest = this.reader.recent(this.reader.geometry.capacity);
    const byId = new Map(oldest.map((r) => [r.id, r]));
    for (let id = this.nextId; id <= end; id++) {
      if (!ownsRecord(this.current, id)) continue;
      const r = byId.get(id);
      if (r) out.push(r);
      else this.missed++;
    }
    if (end + 1n > this.nextId) this.nextId = end + 1n;
    return out;
  }
}
