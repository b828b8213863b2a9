// The broker's schema registry: several versions per schema id. Fingerprints are
// always computed here from the definition (fingerprintOf); a client's claimed
// fingerprint is only ever compared against them.
import { fingerprintOf, parseSchema, SchemaError, type ChannelSchema } from '../datablock/schema.js';
import { BrokerError } from './broker-error.js';

export interface SchemaEntry {
  schema: ChannelSchema;
  fingerprint: string;
  flexzoneFingerprint?: string;
  registeredAt: number;
}

export interface SchemaSummaryView {
  id: string;
  version: number;
  description?: string;
  fingerprint: string;
  flexzoneFingerprint?: string;
  registeredAt: number;
}

export class SchemaRegistry {
  private readonly byId = new Map<string, Map<number, SchemaEntry>>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  /** Validates a schema document (SCHEMA_INVALID) and computes its fingerprints. */
  static prepare(json: unknown, registeredAt: number): SchemaEntry {
    let schema: ChannelSchema;
    try {
      const id = typeof json === 'object' && json !== null && 'id' in json ? String((json as { id: unknown }).id) : '?';
      schema = parseSchema(json, `schema ${JSON.stringify(id)}`);
    } catch (err) {
      if (err instanceof SchemaError) throw new BrokerError('SCHEMA_INVALID', err.message);
      throw err;
    }
    const entry: SchemaEntry = { schema, fingerprint: fingerprintOf(schema.slot), registeredAt };
    if (schema.flexzone) entry.flexzoneFingerprint = fingerprintOf(schema.flexzone);
    return entry;
  }

  /**
   * Adds a prepared schema. Identical re-registration is a no-op (created=false);
   * a different layout under an existing id+version is SCHEMA_CONFLICT.
   */
  add(entry: SchemaEntry): { entry: SchemaEntry; created: boolean } {
    const { id, version } = entry.schema;
    let versions = this.byId.get(id);
    const existing = versions?.get(version);
    if (existing) {
      if (existing.fingerprint === entry.fingerprint && existing.flexzoneFingerprint === entry.flexzoneFingerprint) {
        return { entry: existing, created: false };
      }
      throw new BrokerError(
        'SCHEMA_CONFLICT',
        `schema ${JSON.stringify(id)} version ${version} is already registered with fingerprint ${existing.fingerprint}` +
          `${existing.flexzoneFingerprint ? ` (flexzone ${existing.flexzoneFingerprint})` : ''}; the new definition has ${entry.fingerprint}` +
          `${entry.flexzoneFingerprint ? ` (flexzone ${entry.flexzoneFingerprint})` : ''}. Register it as a new version.`,
        { id, version, registered: existing.fingerprint, offered: entry.fingerprint },
      );
    }
    if (!versions) this.byId.set(id, (versions = new Map()));
    versions.set(version, entry);
    this.total++;
    return { entry, created: true };
  }

  /** One version, or the highest one when version is undefined. */
  get(id: string, version?: number): SchemaEntry | undefined {
    const versions = this.byId.get(id);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version);
    let best: SchemaEntry | undefined;
    for (const e of versions.values()) if (!best || e.schema.version > best.schema.version) best = e;
    return best;
  }

  /** Like get, but NOT_FOUND with a message naming what exists. */
  require(id: string, version?: number): SchemaEntry {
    const found = this.get(id, version);
    if (found) return found;
    const versions = this.byId.get(id);
    const what =
      version === undefined ? `schema ${JSON.stringify(id)}` : `schema ${JSON.stringify(id)} version ${version}`;
    const known = versions ? ` (registered versions: ${[...versions.keys()].sort((a, b) => a - b).join(', ')})` : '';
    throw new BrokerError('NOT_FOUND', `${what} is not registered${known}; register it with SCHEMA_REGISTER first`, {
      id,
      ...(version !== undefined ? { version } : {}),
    });
  }

  list(id?: string): SchemaSummaryView[] {
    const out: SchemaSummaryView[] = [];
    const ids = id === undefined ? [...this.byId.keys()].sort() : [id];
    for (const i of ids) {
      const versions = this.byId.get(i);
      if (!versions) continue;
      for (const e of [...versions.values()].sort((a, b) => a.schema.version - b.schema.version))
        out.push(summaryOf(e));
    }
    return out;
  }

  entries(): SchemaEntry[] {
    return [...this.byId.values()].flatMap((v) => [...v.values()]);
  }
}

export function summaryOf(e: SchemaEntry): SchemaSummaryView {
  const s: SchemaSummaryView = {
    id: e.schema.id,
    version: e.schema.version,
    fingerprint: e.fingerprint,
    registeredAt: e.registeredAt,
  };
  if (e.schema.description !== undefined) s.description = e.schema.description;
  if (e.flexzoneFingerprint) s.flexzoneFingerprint = e.flexzoneFingerprint;
  return s;
}
