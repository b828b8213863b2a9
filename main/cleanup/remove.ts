// Removes orphans found by findOrphans, re-checking each just before: the same file
// (inode) and, for a segment, still a dead producer and no live consumer. A file
// the kernel will not let us remove is reported with its owner and mode.
import { lstatSync, unlinkSync } from 'node:fs';
import { describeOwner } from './file-owner.js';
import { findOrphans, segmentOrphanReason, type Orphan, type OrphanSearch } from './orphans.js';
import { dirname, basename } from 'node:path';

export type RemovalOutcome = 'removed' | 'gone' | 'kept' | 'not-permitted' | 'failed';

export interface Removal {
  orphan: Orphan;
  outcome: RemovalOutcome;
  /** What happened, in words (owner and mode when not permitted). */
  detail: string;
}

export function removeOrphan(o: Orphan): Removal {
  let st;
  try {
    st = lstatSync(o.path);
  } catch {
    return { orphan: o, outcome: 'gone', detail: 'already gone' };
  }
  if (st.ino !== o.ino || st.dev !== o.dev) {
    return { orphan: o, outcome: 'kept', detail: 'the file was replaced since it was listed; left alone' };
  }
  if (o.kind === 'segment' && segmentOrphanReason(basename(o.path), dirname(o.path)) === null) {
    return { orphan: o, outcome: 'kept', detail: 'its producer or a consumer is alive now; left alone' };
  }
  if (o.blocker !== null) {
    return { orphan: o, outcome: 'not-permitted', detail: `${o.blocker}; ${describeOwner(o.owner)}` };
  }
  try {
    unlinkSync(o.path);
    return { orphan: o, outcome: 'removed', detail: 'removed' };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { orphan: o, outcome: 'gone', detail: 'already gone' };
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') {
      const why = e.code === 'EROFS' ? 'on a read-only file system' : 'not permitted (immutable or protected)';
      return { orphan: o, outcome: 'not-permitted', detail: `${why}; ${describeOwner(o.owner)}` };
    }
    return { orphan: o, outcome: 'failed', detail: e.message };
  }
}

/** Finds and removes in one go (the app's "clean" request and `hubscope clean --yes`). */
export async function cleanOrphans(search: OrphanSearch): Promise<Removal[]> {
  return (await findOrphans(search)).map(removeOrphan);
}
