// Loads the N-API addon. node-gyp-build picks it: build/Release (built from
// source by `npm install` in the checkout or where no prebuilt fits), else the
// prebuilt prebuilds/<platform>-<arch>/hubscope.<libc>.node that the packed
// package ships (scripts/pack-cli.js). The same file loads in Node and in
// Electron (N-API is ABI-stable across both).
import { createRequire } from 'node:module';
import { packageRoot } from '../paths.js';

/** node-gyp-build's resolver (the package has no type declarations). */
interface NodeGypBuild {
  /** The addon file for this platform, arch, runtime and libc under `dir`; throws when none fits. */
  path(dir: string): string;
}

/**
 * A mapped segment (native/src/segment.cc). Offsets are byte offsets from the
 * start of the segment; every access is bounds-checked and guarded against
 * SIGBUS (a truncated segment throws an Error instead of killing the process).
 * Data is always copied into JS-owned memory.
 */
export interface NativeSegment {
  /** Bytes mapped (the file size when it was opened). */
  size(): number;
  /** fstat of the open descriptor: notices truncation/growth; compare ino with the name's to notice replacement. */
  fileInfo(): { size: number; ino: number; dev: number; nlink: number };
  /** Unmaps and closes; later calls throw. Idempotent. */
  close(): void;
  /** Copies `length` bytes at `offset` into dest[destOffset..]. */
  read(offset: number, length: number, dest: Uint8Array, destOffset: number): void;
  /** Copies src into the mapping at `offset` (writable segments only). */
  write(offset: number, src: Uint8Array): void;
  /**
   * Spec section 5 consistent copy: state/generation of the 64-byte entry at
   * `stateOffset` are acquire-loaded before and after copying `length` bytes at
   * `slotOffset` then `cksLength` bytes at `cksOffset` into dest[destOffset..].
   * Returns the slot's write_generation if consistent, -1 if not COMMITTED or changed.
   */
  snapshot(
    stateOffset: number,
    slotOffset: number,
    length: number,
    cksOffset: number,
    cksLength: number,
    dest: Uint8Array,
    destOffset: number,
  ): number;
  /** Sets the validated ring geometry latest() uses (throws if it does not fit the mapping). */
  setRing(offRw: number, offCks: number, offRing: number, capacity: number, stride: number): void;
  /** Binds the Uint8Array latest() copies into (held by a strong reference until rebound or closed). */
  bindDest(dest: Uint8Array): void;
  /** Opaque handle for NativeBinding.latest(). */
  readonly ring: SegmentRing;
  /** Acquire loads. */
  load8(offset: number): number;
  load32(offset: number): number;
  load64(offset: number): bigint;
  /** Sequentially consistent stores followed by a full fence (writable segments only). */
  store8(offset: number, value: number): void;
  store32(offset: number, value: number): void;
  store64(offset: number, value: bigint): void;
  /** Compare-and-swap; true when it swapped. */
  cas64(offset: number, expected: bigint, desired: bigint): boolean;
  /** Fetch-add modulo 2^64; returns the previous value. */
  add64(offset: number, delta: bigint): bigint;
}

/** Opaque native handle of a segment's ring (an N-API external, not a buffer). */
export type SegmentRing = { readonly __brand: 'SegmentRing' };

/**
 * How a segment is opened: "shm" (shm_open read-only), "file" (a plain file,
 * read-only), "create" (new shm, O_EXCL, sized, read-write), "attach" (existing shm, read-write).
 */
export type SegmentMode = 'shm' | 'file' | 'create' | 'attach';

/**
 * An error of the AF_UNIX calls: the message names the syscall and the errno
 * text; `code` is the errno name, "ETIMEDOUT" when a poll timed out, "EOF" when
 * the peer closed before a descriptor came, "EFDCOUNT" for anything but exactly one.
 */
export interface UnixFdError extends Error {
  syscall: string;
  code: string;
  errno?: number;
}

/** What native/src/*.cc exports. Keep in step with Init() in addon.cc. */
export interface NativeBinding {
  version(): string;
  Segment: {
    new (name: string, mode: SegmentMode, size?: number): NativeSegment;
    /**
     * Maps an open descriptor (a memfd received from a producer), PROT_READ|PROT_WRITE
     * MAP_SHARED when `writable`. The segment keeps its own close-on-exec duplicate;
     * the caller still closes `fd`. `name` is only used in messages.
     */
    new (name: string, mode: 'fd', fd: number, writable: boolean): NativeSegment;
  };
  /** Regular files in `dir` whose first 4 bytes are the LE u32 `magic`. */
  listShm(dir: string, magic: number): Array<{ name: string; size: number }>;
  /** shm_unlink; false when the name did not exist. */
  unlinkShm(name: string): boolean;
  /**
   * Hot path: the spec section 5 copy of the latest committed slot (commit_index,
   * generation rule, state/generation re-check) into the segment's bound dest
   * (stride bytes, then its 33-byte checksum entry). Returns the id, -1 when
   * nothing is committed, -2 when every attempt raced the writer. Throws if the
   * segment is closed or the bound buffer was detached or is too small.
   */
  latest(ring: SegmentRing): number;
  /** CLOCK_MONOTONIC in nanoseconds. */
  monotonicNs(): bigint;
  /**
   * This thread's protection-key register (x86 PKRU, arm64 POR_EL0) and whether the
   * CPU has one. Diagnostic: a guarded fault must leave it as it was.
   */
  protectionKeys(): { supported: boolean; value: bigint };
  /*
   * AF_UNIX stream client (native/src/unix-fd.cc) for the pylabhub hand-over. All
   * synchronous and bounded by poll() timeouts: call them from a worker thread
   * (main/pylabhub/handover-worker.ts), never the main thread. They throw UnixFdError.
   */
  /** Connects a non-blocking, close-on-exec SOCK_STREAM socket to a filesystem path; returns the fd. */
  unixConnect(path: string): number;
  /** Writes all of `data` or throws (ETIMEDOUT after timeoutMs). */
  unixWrite(fd: number, data: Uint8Array, timeoutMs: number): void;
  /** One recv() of at most maxBytes once data arrived; empty on EOF; throws ETIMEDOUT. */
  unixRead(fd: number, maxBytes: number, timeoutMs: number): Buffer;
  /** One recvmsg() that must carry exactly one SCM_RIGHTS fd (close-on-exec); extra fds are closed. */
  unixReceiveFd(fd: number, timeoutMs: number): { fd: number; dataByte: number };
  /** close(2). */
  closeFd(fd: number): void;
}

let binding: NativeBinding | undefined;

export function native(): NativeBinding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  let file: string;
  try {
    file = (require('node-gyp-build') as NodeGypBuild).path(root);
  } catch (err) {
    throw new Error(
      `HubScope's native addon was found neither in ${root}/build/Release nor in ${root}/prebuilds ` +
        `(${(err as Error).message.trim()}). Run \`npm run build:native\` (needs python3, make and a C++ compiler).`,
    );
  }
  // In a packaged desktop app the addon is unpacked next to the asar archive (electron-builder.yml):
  // dlopen needs a real file.
  file = file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
  try {
    binding = require(file) as NativeBinding;
  } catch (err) {
    throw new Error(
      `HubScope's native addon could not be loaded from ${file} (${(err as Error).message}). ` +
        'Run `npm run build:native` (needs python3, make and a C++ compiler).',
    );
  }
  return binding;
}
