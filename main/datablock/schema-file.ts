// Reads a schema JSON file from disk and validates it (errors name the file).
// Reads never block and never show the file's contents: the file is opened with
// O_NONBLOCK and must be a regular file of at most MAX_SCHEMA_FILE_BYTES (a FIFO
// named x.json would otherwise stall the event loop until someone wrote to it),
// and a parse error says that the text is not JSON, not what the text is.
// loadSchemaFileWithin is for paths a client of the contract names: only files
// whose real path lies inside folders the user chose are read, and its errors
// say which rule failed without revealing whether a path outside exists.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseSchema, SchemaError, type ChannelSchema } from './schema.js';

/** A schema with thousands of fields is a few hundred KiB; anything past this is not a schema. */
export const MAX_SCHEMA_FILE_BYTES = 1 << 20;

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  EISDIR: 'it is a directory',
};

function readError(path: string, err: unknown): SchemaError {
  if (err instanceof SchemaError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return new SchemaError(`${path}: cannot read the schema file (${ERRNO_WORDS[code] ?? (code || 'read failed')})`);
}

function checkStat(path: string, st: { isFile(): boolean; size: number }): void {
  if (!st.isFile()) throw new SchemaError(`${path}: not a regular file, so not read as a schema`);
  if (st.size > MAX_SCHEMA_FILE_BYTES) {
    throw new SchemaError(
      `${path}: ${st.size} bytes, larger than the ${MAX_SCHEMA_FILE_BYTES}-byte limit for a schema file`,
    );
  }
}

function parseText(text: string, path: string): ChannelSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SchemaError(`${path}: not valid JSON`);
  }
  return parseSchema(json, path);
}

/**
 * The text of schema file `path`, opened at `openPath` without blocking and read
 * only if it is a regular file within the size limit; `opened` may refuse the file
 * that was actually opened before anything of it is read. Errors name `path`.
 */
async function readSchemaText(
  path: string,
  openPath: string,
  flags: number,
  opened?: (fd: number) => Promise<void>,
): Promise<string> {
  try {
    const handle = await open(openPath, flags);
    try {
      await opened?.(handle.fd);
      checkStat(path, await handle.stat());
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw readError(path, err);
  }
}

/** Loads and validates a schema file (for paths the user typed: the CLI, the demo). */
export async function loadSchemaFile(path: string): Promise<ChannelSchema> {
  return parseText(await readSchemaText(path, path, OPEN_FLAGS), path);
}

/** Synchronous loadSchemaFile, for startup code. */
export function loadSchemaFileSync(path: string): ChannelSchema {
  let text: string;
  try {
    const fd = openSync(path, OPEN_FLAGS);
    try {
      const st = fstatSync(fd);
      checkStat(path, st);
      const buf = Buffer.alloc(st.size);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
      text = buf.subarray(0, got).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw readError(path, err);
  }
  return parseText(text, path);
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Schema keywords a validation message may quote; any other quoted text came from the file. */
const SCHEMA_WORDS = new Set([
  'id',
  'version',
  'description',
  'slot',
  'flexzone',
  'packing',
  'fields',
  'name',
  'type',
  'count',
  'length',
  'aligned',
  'packed',
  'schema.definition',
]);

/**
 * A validation message with the file's values taken out (", got …", quoted names
 * and types): it still says which rule failed and where.
 */
export function withoutFileValues(message: string): string {
  return message
    .replace(/, got .*$/s, '')
    .replace(/"([^"]*)"/g, (quoted, word: string) => (SCHEMA_WORDS.has(word) ? quoted : '"…"'))
    .replace(/unknown type [^;]*;/, 'unknown type;');
}

/**
 * Loads a schema file named by a client of the contract. `dirs` are the folders
 * the user chose (absolute). The path must be absolute, end in .json and lie in
 * one of them after resolving symbolic links; the file must be a regular file of
 * at most MAX_SCHEMA_FILE_BYTES. Errors keep the file's contents out.
 */
export async function loadSchemaFileWithin(path: string, dirs: readonly string[]): Promise<ChannelSchema> {
  const outside = new SchemaError(
    `${path}: schema files are read only from the discovery directory, HubScope's demo schemas and folders given with --schema-dir`,
  );
  if (!isAbsolute(path)) throw new SchemaError(`${path}: give the schema file's absolute path`);
  if (!path.endsWith('.json')) throw new SchemaError(`${path}: a schema file name ends in .json`);
  const lexical = resolve(path);
  const realDirs = (await Promise.all(dirs.map((d) => realpath(d).catch(() => null)))).filter(
    (d): d is string => d !== null,
  );
  // Nothing outside the chosen folders is even looked at, so the answer cannot tell whether it exists.
  if (![...dirs, ...realDirs].some((d) => inside(resolve(d), lexical))) throw outside;

  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    throw readError(path, err);
  }
  if (!realDirs.some((d) => inside(d, real))) throw outside; // a symbolic link leading out
  const text = await readSchemaText(path, real, OPEN_FLAGS | constants.O_NOFOLLOW, async (fd) => {
    // A folder on the way swapped for a link after realpath: check what was opened.
    const opened = await readlink(`/proc/self/fd/${fd}`).catch(() => real);
    if (!realDirs.some((d) => inside(d, opened))) throw outside;
  });
  try {
    return parseText(text, path);
  } catch (err) {
    throw new SchemaError(withoutFileValues((err as Error).message));
  }
}
