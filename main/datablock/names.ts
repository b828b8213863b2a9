// How a user-given DataBlock name maps to a POSIX shm name or a file path.
//   "lab.demo.counter" or "/lab.demo.counter"  -> shm_open("/lab.demo.counter")
//   "./capture.bin", "/tmp/x/seg.bin"          -> a plain file (contains a "/" past the first character)
//   { file: true }                             -> always a plain file
// Names that reach us from a client (the contract) may only ever be segment names:
// resolveShmName refuses anything that would be read as a path.
/** Linux's mount point for POSIX shared memory. */
export const SHM_DIR = '/dev/shm';

export interface SegmentTarget {
  mode: 'shm' | 'file';
  /** What the native open gets: "/name" for shm, the path for a file. */
  target: string;
  /** What to show the user: the shm name without its leading "/", or the path. */
  display: string;
  /** Path of the backing file (for shm: /dev/shm/<name>). */
  path: string;
}

/** Shm names are one path component; we also refuse control characters and absurd lengths. */
export function isValidShmName(bare: string): boolean {
  return (
    bare.length > 0 &&
    bare.length <= 255 &&
    !bare.includes('/') &&
    ![...bare].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) &&
    bare !== '.' &&
    bare !== '..'
  );
}

/** True when `name` is read as a file path rather than a segment name (a "/" past its first character). */
export function looksLikePath(name: string): boolean {
  return name.slice(1).includes('/');
}

/**
 * A segment name only: one file directly in /dev/shm, never a path. The error
 * names the rule, not anything about the file system.
 */
export function resolveShmName(name: string): SegmentTarget {
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!isValidShmName(bare)) {
    throw new Error(
      `${JSON.stringify(name.slice(0, 80))} is not a shared-memory segment name (one name without "/" past the first character, not "." or "..", no control characters, at most 255 characters)`,
    );
  }
  return { mode: 'shm', target: `/${bare}`, display: bare, path: `${SHM_DIR}/${bare}` };
}

export function resolveSegment(name: string, options: { file?: boolean } = {}): SegmentTarget {
  if (options.file || looksLikePath(name)) {
    return { mode: 'file', target: name, display: name, path: name };
  }
  return resolveShmName(name);
}
