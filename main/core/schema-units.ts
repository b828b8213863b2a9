// Units of a schema's fields ("unit": "V"). The parsed ChannelSchema does not keep
// them (they are not part of the fingerprint), so they are read from the schema
// file itself: the one the user named, else the demo schema of the same id when its
// slot fingerprint matches (so a look-alike never lends its units).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { demoSchemaDir } from '../datablock/demo.js';
import { fingerprintOf, parseSchema, type ChannelSchema } from '../datablock/schema.js';

const ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

async function unitsInFile(path: string, schema: ChannelSchema): Promise<Record<string, string> | null> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
    if (fingerprintOf(parseSchema(json, path).slot) !== fingerprintOf(schema.slot)) return null;
  } catch {
    return null;
  }
  const fields = (json as { slot?: { fields?: unknown } }).slot?.fields;
  const out: Record<string, string> = {};
  if (Array.isArray(fields)) {
    for (const f of fields as { name?: unknown; unit?: unknown }[]) {
      if (typeof f.name === 'string' && typeof f.unit === 'string' && f.unit.length <= 64) out[f.name] = f.unit;
    }
  }
  return out;
}

export async function unitsOf(schema: ChannelSchema, schemaPath: string | undefined): Promise<Record<string, string>> {
  if (schemaPath) {
    const found = await unitsInFile(schemaPath, schema);
    if (found) return found;
  }
  if (ID_RE.test(schema.id)) {
    const found = await unitsInFile(join(demoSchemaDir(), `${schema.id}.json`), schema);
    if (found) return found;
  }
  return {};
}
