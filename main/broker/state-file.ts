// Optional broker state file: keeps the schema registry across broker restarts.
// Written atomically (temp file in the same folder, fsync, rename) so a crash
// mid-write leaves the previous file intact; writes are serialized and coalesced.
import { open, readFile, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Logger } from './logger.js';
import { SchemaRegistry, type SchemaEntry } from './schema-registry.js';

const FORMAT = 'hubscope-broker-state';
const FORMAT_VERSION = 1;

interface StateFileJson {
  format: typeof FORMAT;
  version: number;
  savedAt: string;
  schemas: Array<{ schema: unknown; registeredAt: number }>;
}

/** Loads schemas from the state file into `registry`. A missing file is an empty state; a corrupt one is moved aside. */
export async function loadStateFile(path: string, registry: SchemaRegistry, logger: Logger): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new Error(`cannot read the broker state file ${path}: ${(err as Error).message}`);
  }
  let json: StateFileJson;
  try {
    json = JSON.parse(text) as StateFileJson;
    if (json.format !== FORMAT || !Array.isArray(json.schemas)) throw new Error(`not a ${FORMAT} file`);
    if (json.version !== FORMAT_VERSION) throw new Error(`state file version ${String(json.version)} is not supported`);
  } catch (err) {
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside).catch(() => undefined);
    logger.error('broker state file unreadable; starting with an empty schema registry', {
      path,
      movedTo: aside,
      problem: (err as Error).message,
    });
    return 0;
  }
  let loaded = 0;
  for (const [i, item] of json.schemas.entries()) {
    try {
      const entry = SchemaRegistry.prepare(
        item.schema,
        typeof item.registeredAt === 'number' ? item.registeredAt : Date.now(),
      );
      registry.add(entry);
      loaded++;
    } catch (err) {
      logger.warn('skipping a schema from the broker state file', { path, index: i, problem: (err as Error).message });
    }
  }
  return loaded;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Serializes and coalesces saves of the registry to one path. */
export class StateFileWriter {
  private running: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly registry: SchemaRegistry,
    private readonly logger: Logger,
  ) {}

  /** Requests a save; resolves when a save covering this request has finished. */
  save(): Promise<void> {
    this.dirty = true;
    if (!this.running) this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const json: StateFileJson = {
          format: FORMAT,
          version: FORMAT_VERSION,
          savedAt: new Date().toISOString(),
          schemas: this.registry
            .entries()
            .map((e: SchemaEntry) => ({ schema: e.schema, registeredAt: e.registeredAt })),
        };
        try {
          await writeAtomically(this.path, JSON.stringify(json, null, 2) + '\n');
        } catch (err) {
          this.logger.error('cannot write the broker state file', { path: this.path, problem: (err as Error).message });
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
