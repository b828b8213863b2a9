// Reads one file of the discovery directory defensively: never follows a
// symlink, never blocks on a FIFO, never reads more than a size cap, and turns
// every failure into a problem with a reason instead of an exception.
import { constants, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { BrokerEndpoint } from './format.js';
import { classifyFileName, CHANNEL_SUFFIX } from './names.js';
import { validateBrokerEndpoint, validateChannelDescriptor, type ValidDescriptor } from './validate.js';

/** Descriptors are a few KiB; an inline schema with many fields stays far below this. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024;

export type ProblemCode =
  | 'unrecognised-name'
  | 'symlink'
  | 'not-a-file'
  | 'too-large'
  | 'empty'
  | 'permission-denied'
  | 'read-error'
  | 'not-utf8'
  | 'malformed-json'
  | 'invalid'
  | 'name-mismatch';

/** Identity of one version of a file: a change in any of these means "read it again". */
export interface FileSignature {
  ino: number;
  size: number;
  mtimeMs: number;
}

export type ReadOutcome =
  | { kind: 'gone' }
  | { kind: 'ignored' }
  | { kind: 'problem'; code: ProblemCode; reason: string; signature?: FileSignature }
  | { kind: 'channel'; valid: ValidDescriptor; signature: FileSignature }
  | { kind: 'broker'; endpoint: BrokerEndpoint; signature: FileSignature };

export interface ReadOptions {
  maxBytes?: number;
}

export function signatureOf(st: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>): FileSignature {
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

export function sameSignature(a: FileSignature | undefined, b: FileSignature | undefined): boolean {
  return !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

const HALF_WRITTEN_HINT = 'a half-written file? it is read again on its next change';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON parser's message without the excerpt of the file V8 quotes in it
 * (`Unexpected token 'x', "{"key": x..."... is not valid JSON`): a problem
 * reason must not carry a file's contents around (nor keep them in memory).
 */
function parserMessage(err: unknown): string {
  return (err as Error).message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ' (not valid JSON)');
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function problem(code: ProblemCode, reason: string, st?: Stats): ReadOutcome {
  return st ? { kind: 'problem', code, reason, signature: signatureOf(st) } : { kind: 'problem', code, reason };
}

function permissionDenied(st?: Stats): ReadOutcome {
  const detail = st ? ` (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid})` : '';
  return problem('permission-denied', `permission denied: cannot read the file${detail}`, st);
}

function tooLarge(size: number, max: number, st: Stats): ReadOutcome {
  return problem('too-large', `file is ${size} bytes, over the ${max}-byte limit for discovery files; not read`, st);
}

async function symlinkProblem(path: string, st: Stats): Promise<ReadOutcome> {
  const target = await fsp.readlink(path).catch(() => '?');
  return problem('symlink', `symlink ignored (points to ${target}); discovery never follows links`, st);
}

/** Reads `dir/name` and says what it is. Never throws. */
export async function readDiscoveryFile(dir: string, name: string, options: ReadOptions = {}): Promise<ReadOutcome> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const kind = classifyFileName(name);
  if (kind.kind === 'ignored') return { kind: 'ignored' };
  const path = join(dir, name);

  let st: Stats;
  try {
    st = await fsp.lstat(path);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'gone' };
    if (code === 'EACCES' || code === 'EPERM') return permissionDenied();
    return problem('read-error', `cannot stat the file: ${(err as Error).message}`);
  }
  if (st.isDirectory()) return { kind: 'ignored' }; // depth 0: subdirectories are not ours
  if (kind.kind === 'unknown') {
    return problem(
      'unrecognised-name',
      `not a discovery file name (expected <channel>${CHANNEL_SUFFIX} or broker.<host>.<pid>.json); ignored`,
      st,
    );
  }
  if (st.isSymbolicLink()) return symlinkProblem(path, st);
  if (!st.isFile()) return problem('not-a-file', 'not a regular file (a FIFO, socket or device?); ignored', st);
  if (st.size > maxBytes) return tooLarge(st.size, maxBytes, st);

  let text: string;
  let fst: Stats;
  let handle: fsp.FileHandle | undefined;
  try {
    // O_NOFOLLOW closes the race where the file becomes a symlink after lstat;
    // O_NONBLOCK keeps a FIFO swapped in meanwhile from blocking the open.
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    fst = await handle.stat();
    if (!fst.isFile()) return problem('not-a-file', 'not a regular file (a FIFO, socket or device?); ignored', fst);
    if (fst.size > maxBytes) return tooLarge(fst.size, maxBytes, fst);
    // Read at most maxBytes + 1: a file growing after fstat is still caught.
    // Stop at the size fstat reported: a file still growing is a non-atomic writer,
    // whose next change event makes us read it again.
    const buf = Buffer.alloc(Math.min(maxBytes + 1, fst.size + 1));
    let length = 0;
    while (length < fst.size) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return tooLarge(length, maxBytes, fst);
    if (length === 0) return problem('empty', `file is empty (${HALF_WRITTEN_HINT})`, fst);
    try {
      text = utf8.decode(buf.subarray(0, length));
    } catch {
      return problem('not-utf8', 'file is not UTF-8 text', fst);
    }
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return { kind: 'gone' }; // vanished between lstat and open
    if (code === 'ELOOP') return symlinkProblem(path, st);
    if (code === 'EACCES' || code === 'EPERM') return permissionDenied(st);
    return problem('read-error', `cannot read the file: ${(err as Error).message}`, st);
  } finally {
    await handle?.close().catch(() => undefined);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return problem('malformed-json', `malformed JSON: ${parserMessage(err)} (${HALF_WRITTEN_HINT})`, fst);
  }

  if (kind.kind === 'channel') {
    const v = validateChannelDescriptor(json);
    if (!v.ok) return problem('invalid', `invalid channel descriptor: ${v.reason}`, fst);
    if (v.value.descriptor.channel !== kind.channel) {
      return problem(
        'name-mismatch',
        `file name says channel "${kind.channel}" but the file describes "${v.value.descriptor.channel}"; ignored`,
        fst,
      );
    }
    return { kind: 'channel', valid: v.value, signature: signatureOf(fst) };
  }
  const v = validateBrokerEndpoint(json);
  if (!v.ok) return problem('invalid', `invalid broker endpoint file: ${v.reason}`, fst);
  if (v.value.pid !== kind.pid || v.value.host !== kind.host) {
    return problem(
      'name-mismatch',
      `file name says broker pid ${kind.pid} on ${kind.host} but the file says pid ${v.value.pid} on ${v.value.host}; ignored`,
      fst,
    );
  }
  return { kind: 'broker', endpoint: v.value, signature: signatureOf(fst) };
}
