// The check a segment's backing file passes before anything of it is mapped or
// decoded: a regular file (for shm names: directly in /dev/shm, not a symbolic
// link), at least a header long, starting with the PLHB magic. Opened without
// blocking, so a FIFO planted under a segment's name cannot stall us, and errors
// say which rule failed without showing any of the file's bytes.
import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { HEADER_SIZE, MAGIC } from './format.js';
import type { SegmentTarget } from './names.js';

export interface CheckedSegmentFile {
  /** Open read-only descriptor of the checked file; the caller closes it. */
  fd: number;
  ino: number;
  dev: number;
  size: number;
  /**
   * A path that reopens exactly this file (Linux's /proc/self/fd/N), so the
   * mapping cannot be of a file swapped in after the check; null where there is none.
   */
  reopenPath: string | null;
}

/** Thrown with a sentence naming the segment and the rule it broke. */
export class SegmentFileError extends Error {
  override name = 'SegmentFileError';
}

const FD_DIR = '/proc/self/fd';

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Permission denied',
  ENOTDIR: 'No such file or directory',
  ENAMETOOLONG: 'the name is too long',
};

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

export function openCheckedSegmentFile(target: SegmentTarget): CheckedSegmentFile {
  const what = target.mode === 'shm' ? `DataBlock ${target.display}` : `DataBlock image ${target.display}`;
  // A segment name must be the file itself: O_NOFOLLOW refuses a symbolic link in /dev/shm.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (target.mode === 'shm' ? constants.O_NOFOLLOW : 0);
  let fd: number;
  try {
    fd = openSync(target.path, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ELOOP' && target.mode === 'shm') {
      throw new SegmentFileError(
        `cannot open ${what}: ${target.path} is a symbolic link; a segment must be a regular file in /dev/shm`,
      );
    }
    throw new SegmentFileError(`cannot open ${what}: ${ERRNO_WORDS[code] ?? (code || 'it cannot be opened')}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SegmentFileError(`${target.display} is not a DataBlock: it is ${kindOf(st)}`);
    if (st.size < HEADER_SIZE) {
      throw new SegmentFileError(
        `${target.display} is not a DataBlock: ${st.size} bytes, smaller than the ${HEADER_SIZE}-byte header`,
      );
    }
    const head = Buffer.alloc(4);
    if (readSync(fd, head, 0, 4, 0) !== 4 || head.readUInt32LE(0) !== MAGIC) {
      throw new SegmentFileError(
        `${target.display} is not a DataBlock: no PLHB magic (not a DataBlock, or one still being created)`,
      );
    }
    return {
      fd,
      ino: st.ino,
      dev: st.dev,
      size: st.size,
      reopenPath: existsSync(`${FD_DIR}/${fd}`) ? `${FD_DIR}/${fd}` : null,
    };
  } catch (err) {
    closeSync(fd);
    if (err instanceof SegmentFileError) throw err;
    throw new SegmentFileError(
      `cannot read ${what}: ${ERRNO_WORDS[(err as NodeJS.ErrnoException).code ?? ''] ?? 'the read failed'}`,
    );
  }
}
