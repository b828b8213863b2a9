// Finds what dead processes left behind (docs/recording.md, "Orphans and cleanup"):
// segments whose producer is dead and that no consumer holds, descriptor files of
// dead producers and endpoint files of dead brokers. Conservative on purpose:
// anything whose owner may be alive (its pid exists, a recent heartbeat, another
// host, a header that cannot be read) is never listed.
import { statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { listSegmentFiles, openListed } from '../datablock/list.js';
import { STALE_AFTER_MS, describeLiveness, monotonicNs, pidExists } from '../datablock/liveness.js';
import { SHM_DIR } from '../datablock/names.js';
import { scanDiscoveryDir } from '../discovery/scan.js';
import { ownerOf, removalBlocker, type FileOwner } from './file-owner.js';

export type OrphanKind = 'segment' | 'descriptor' | 'broker-endpoint';

export interface Orphan {
  kind: OrphanKind;
  /** Segment name, or the file name in the discovery directory. */
  name: string;
  path: string;
  size: number;
  /** Milliseconds since the file was last modified. */
  ageMs: number;
  /** Why it is an orphan, in words. */
  reason: string;
  owner: FileOwner;
  /** Why this user cannot remove it (permissions), else null. */
  blocker: string | null;
  /** Identity of the file when listed: removal re-checks it so a replaced file is left alone. */
  ino: number;
  dev: number;
}

export interface OrphanSearch {
  /** Discovery directory to look in; null: descriptors and endpoint files are not looked at. */
  discoveryDir: string | null;
  /** Where segments are (default /dev/shm; tests use a directory of image files). */
  shmDir?: string;
}

function orphan(kind: OrphanKind, name: string, path: string, st: Stats, reason: string): Orphan {
  return {
    kind,
    name,
    path,
    size: st.size,
    ageMs: Math.max(0, Date.now() - st.mtimeMs),
    reason,
    owner: ownerOf(st),
    blocker: removalBlocker(path, st),
    ino: st.ino,
    dev: st.dev,
  };
}

/** Why the segment is an orphan (dead producer, no live consumer), or null when its owner may be alive. */
export function segmentOrphanReason(name: string, shmDir: string = SHM_DIR): string | null {
  let reader;
  try {
    reader = openListed(name, shmDir);
  } catch {
    return null; // cannot be read: we cannot tell who owns it
  }
  try {
    if (!reader.report.valid) return null;
    const h = reader.header();
    const now = monotonicNs();
    const producer = describeLiveness(h.producerPid, h.producerHeartbeatNs, now);
    if (producer.state !== 'dead') return null;
    for (const c of h.consumerHeartbeats) {
      const live = describeLiveness(c.pid, c.lastHeartbeatNs, now);
      const recent = live.heartbeatAgeMs !== null && live.heartbeatAgeMs <= STALE_AFTER_MS;
      if (pidExists(c.pid) || recent) return null; // a consumer may still hold it
    }
    return `producer pid ${h.producerPid} is dead and no live consumer holds it`;
  } catch {
    return null;
  } finally {
    reader.close();
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export async function findOrphans(search: OrphanSearch): Promise<Orphan[]> {
  const shmDir = search.shmDir ?? SHM_DIR;
  const out: Orphan[] = [];
  for (const { name } of listSegmentFiles(shmDir)) {
    const reason = segmentOrphanReason(name, shmDir);
    const path = join(shmDir, name);
    const st = reason !== null ? statOrNull(path) : null;
    if (reason !== null && st) out.push(orphan('segment', name, path, st, reason));
  }
  if (search.discoveryDir !== null) {
    const scan = await scanDiscoveryDir(search.discoveryDir);
    // 'stale' on this host means the pid is not running (or the file predates a reboot);
    // other hosts and 'unknown' verdicts are never touched.
    const dead = [
      ...scan.entries.map((e) => ({ kind: 'descriptor' as const, e })),
      ...scan.brokers.map((e) => ({ kind: 'broker-endpoint' as const, e })),
    ].filter(({ e }) => e.local && e.status === 'stale');
    for (const { kind, e } of dead) {
      const path = join(scan.dir, e.file);
      const st = statOrNull(path);
      if (st) out.push(orphan(kind, e.file, path, st, e.reason));
    }
  }
  return out;
}
