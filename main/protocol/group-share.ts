// Which records a consumer group member owns: record id mod size == index
// (docs/protocol.md "Consumer groups"). Pure, so readers of any kind (segment
// readers, tests, the app) decide ownership the same way.
import type { GroupShareT } from '../protocol/messages.js';

export type Share = Pick<GroupShareT, 'index' | 'size'>;

/** True when the member with `share` owns record `id` (ids as the DataBlock numbers them, from 0 or 1). */
export function ownsRecord(share: Share, id: number | bigint): boolean {
  if (typeof id === 'bigint') return id % BigInt(share.size) === BigInt(share.index);
  return id % share.size === share.index;
}

/** The records of `records` this member owns, in order. */
export function ownedRecords<T>(share: Share, records: Iterable<T>, idOf: (record: T) => number | bigint): T[] {
  const out: T[] = [];
  for (const r of records) if (ownsRecord(share, idOf(r))) out.push(r);
  return out;
}
