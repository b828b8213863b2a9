// Which filesystem holds the discovery directory, and whether file-change
// events can be trusted there. inotify only reports changes made through this
// kernel: on NFS, SMB, sshfs, 9p and the like, files written by other hosts
// appear without any event, so the watcher must poll.
import { readFileSync, realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

export interface MountVerdict {
  mountPoint: string;
  fsType: string;
  source: string;
  network: boolean;
  suggestPolling: boolean;
  reason: string;
}

const NETWORK_FS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'ncpfs',
  'afs',
  '9p',
  'virtiofs',
  'ceph',
  'glusterfs',
  'lustre',
  'gpfs',
  'ocfs2',
  'gfs2',
  'beegfs',
  'vboxsf',
  'vmhgfs',
  'davfs',
  'drvfs',
]);
/** FUSE filesystems backed by local storage; every other fuse.* type is treated as remote (sshfs, rclone, s3fs...). */
const LOCAL_FUSE = new Set(['fuse.gvfsd-fuse', 'fuse.portal', 'fuse.lxcfs', 'fuse.bindfs', 'fuse.mergerfs']);

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text (proc(5)); malformed lines are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const before = line.slice(0, dash).split(' ');
    const after = line.slice(dash + 3).split(' ');
    const mountPoint = before[4];
    const fsType = after[0];
    if (!mountPoint || !fsType) continue;
    out.push({ mountPoint: unescapeOctal(mountPoint), fsType, source: unescapeOctal(after[1] ?? '') });
  }
  return out;
}

export function isNetworkFsType(fsType: string): boolean {
  if (NETWORK_FS.has(fsType)) return true;
  return fsType.startsWith('fuse.') && !LOCAL_FUSE.has(fsType);
}

function contains(mountPoint: string, path: string): boolean {
  if (mountPoint === '/') return true;
  return path === mountPoint || path.startsWith(mountPoint + sep);
}

/** The mount holding `path` (the last matching line wins: later mounts shadow earlier ones). */
export function mountFor(path: string, mounts: MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!contains(m.mountPoint, path)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

/** Why the filesystem is not known, when it is not. */
const NO_MOUNT_TABLE = 'no /proc/self/mountinfo';

export function judgeMount(entry: MountEntry | undefined, unknownBecause = NO_MOUNT_TABLE): MountVerdict {
  if (!entry) {
    return {
      mountPoint: '?',
      fsType: 'unknown',
      source: '',
      network: false,
      suggestPolling: false,
      reason: `filesystem unknown (${unknownBecause}); using file-change events`,
    };
  }
  const network = isNetworkFsType(entry.fsType);
  return {
    ...entry,
    network,
    suggestPolling: network,
    reason: network
      ? `on a ${entry.fsType} network filesystem (${entry.source} at ${entry.mountPoint}): changes made by other hosts send no events here, so polling is used`
      : `on a local ${entry.fsType} filesystem: file-change events are reliable`,
  };
}

/**
 * Looks up the filesystem of `dir` in this process's mount table: the entry
 * whose mount point is the longest prefix of the directory's real path
 * (symlinks resolved). A directory that does not exist (yet) has no filesystem
 * to judge: the verdict says so instead of guessing from an ancestor.
 */
export function mountVerdictFor(dir: string, mountInfoPath = '/proc/self/mountinfo'): MountVerdict {
  let real: string;
  try {
    real = realpathSync(resolve(dir));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return judgeMount(
      undefined,
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `${resolve(dir)} does not exist`
        : `cannot resolve ${resolve(dir)}: ${(err as Error).message}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(mountInfoPath, 'utf8');
  } catch {
    return judgeMount(undefined);
  }
  return judgeMount(mountFor(real, parseMountInfo(text)), `no mount entry holds ${real}`);
}
