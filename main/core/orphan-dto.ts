// Orphans as they cross the contract: no inode numbers or paths, just what the
// DataBlocks view shows (kind, name, size, age, reason, owner and mode).
import type { OrphanDto, OrphanRemovalDto } from '../../preload/contract.js';
import type { Orphan } from '../cleanup/orphans.js';
import type { Removal } from '../cleanup/remove.js';

export function orphanDto(o: Orphan): OrphanDto {
  return {
    kind: o.kind,
    name: o.name,
    size: o.size,
    ageMs: Math.round(o.ageMs),
    reason: o.reason,
    owner: { ...o.owner },
    blocker: o.blocker,
  };
}

export function removalDto(r: Removal): OrphanRemovalDto {
  return { ...orphanDto(r.orphan), outcome: r.outcome, detail: r.detail };
}
