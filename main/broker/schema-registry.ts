// The broker's schema registry: several versions per schema id. Fingerprints are
// always computed here from the definition (fingerprintOf); a client's claimed
// fingerprint is only ever compared against them.
import { fingerprintOf, parseSchema, SchemaError, type ChannelSchema, type StructSchema } from '../datablock/schema.js';
import type { SchemaDocumentT } from '../protocol/messages.js';
import { BrokerError } from './broker-error.js';

export interface SchemaEntry {
  /** The validated document as registered, field descriptions and units included (SCHEMA_GET returns it). */
  schema: SchemaDocumentT;
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
    let schema: SchemaDocumentT;
    let parsed: ChannelSchema;
    try {
      const id = typeof json === 'object' && json !== null && 'id' in json ? String((json as { id: unknown }).id) : '?';
      const source = `schema ${JSON.stringify(id)}`;
      parsed = parseSchema(json, source);
      const raw = json as { slot: unknown; flexzone?: unknown };
      schema = {
        id: parsed.id,
        version: parsed.version,
        slot: withAnnotations(parsed.slot, raw.slot, `${source}: slot`),
      };
      if (parsed.description !== undefined) schema.description = parsed.description;
      if (parsed.flexzone) schema.flexzone = withAnnotations(parsed.flexzone, raw.flexzone, `${source}: flexzone`);
    } catch (err) {
      if (err instanceof SchemaError) throw new BrokerError('SCHEMA_INVALID', err.message);
      throw err;
    }
    const entry: SchemaEntry = { schema, fingerprint: fingerprintOf(parsed.slot), registeredAt };
    if (parsed.flexzone) entry.flexzoneFingerprint = fingerprintOf(parsed.flexzone);
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

/**
 * The parsed struct with each field's `description` and `unit` from the document put
 * back: parseSchema keeps only what the layout needs, but the registry stores and
 * returns the schema as registered. Neither is part of the fingerprint.
 */
function withAnnotations(parsed: StructSchema, raw: unknown, where: string): SchemaDocumentT['slot'] {
  const rawFields = (raw as { fields: unknown[] }).fields;
  const fields = parsed.fields.map((f, i) => {
    const src = rawFields[i] as Record<string, unknown>;
    const out: SchemaDocumentT['slot']['fields'][number] = { ...f };
    for (const key of ['description', 'unit'] as const) {
      const v = src[key];
      if (v === undefined) continue;
      if (typeof v !== 'string')
        throw new SchemaError(`${where}.fields[${i}] (field "${f.name}"): "${key}" must be a string`);
      out[key] = v;
    }
    return out;
  });
  return { packing: parsed.packing, fields };
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
