// How a user-given DataBlock name maps to a POSIX shm name or a file path.
//   "lab.demo.counter" or "/lab.demo.counter"  -> shm_open("/lab.demo.counter")
//   "./capture.bin", "/tmp/x/seg.bin"          -> a plain file (contains a "/" past the first character)
//   { file: true }                             -> always a plain file
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
    ![...bare].some((ch) => ch.charCodeAt(0) < 0x20) &&
    bare !== '.' &&
    bare !== '..'
  );
}

export function resolveSegment(name: string, options: { file?: boolean } = {}): SegmentTarget {
  if (options.file || name.slice(1).includes('/')) {
    return { mode: 'file', target: name, display: name, path: name };
  }
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (!isValidShmName(bare)) throw new Error(`"${name}" is not a valid shared-memory segment name`);
  return { mode: 'shm', target: `/${bare}`, display: bare, path: `${SHM_DIR}/${bare}` };
}
