// Compares a schema in hand with a segment's header (spec section 6): a
// non-zero header hash that disagrees with the schema is a mismatch the user
// must see; a zero hash means the header does not say.
import type { Header } from './header.js';
import { fingerprintOf, formatSchemaVersion, layoutOf, packSchemaVersion, type ChannelSchema } from './schema.js';

export type FingerprintStatus = 'match' | 'mismatch' | 'header-has-none' | 'schema-has-none';

export interface SchemaCheck {
  ok: boolean;
  slot: { fingerprint: string; headerHash: string; status: FingerprintStatus };
  flexzone: { fingerprint: string | null; headerHash: string; status: FingerprintStatus };
  /** Problems in words, naming both fingerprints. */
  problems: string[];
}

const ZERO = /^0*$/;

function compare(fingerprint: string | null, headerHash: string): FingerprintStatus {
  if (ZERO.test(headerHash)) return 'header-has-none';
  if (fingerprint === null) return 'schema-has-none';
  return fingerprint === headerHash ? 'match' : 'mismatch';
}

export function checkSchema(schema: ChannelSchema, header: Header): SchemaCheck {
  const problems: string[] = [];
  const slotFp = fingerprintOf(schema.slot);
  const flexFp = schema.flexzone ? fingerprintOf(schema.flexzone) : null;
  const slot = {
    fingerprint: slotFp,
    headerHash: header.slotSchemaHash,
    status: compare(slotFp, header.slotSchemaHash),
  };
  const flexzone = {
    fingerprint: flexFp,
    headerHash: header.flexzoneSchemaHash,
    status: compare(flexFp, header.flexzoneSchemaHash),
  };
  if (slot.status === 'mismatch') {
    problems.push(
      `schema mismatch: schema "${schema.id}" has slot fingerprint ${slotFp} but the segment header says ${header.slotSchemaHash}`,
    );
  }
  if (flexzone.status === 'mismatch' || flexzone.status === 'schema-has-none') {
    problems.push(
      `schema mismatch: schema "${schema.id}" has flexible-zone fingerprint ${flexFp ?? '(none: no flexzone in the schema)'} but the segment header says ${header.flexzoneSchemaHash}`,
    );
  }
  const slotSize = layoutOf(schema.slot).size;
  if (slotSize > header.logicalUnitSize) {
    problems.push(
      `schema "${schema.id}" needs ${slotSize} bytes per slot but the segment's slots are ${header.logicalUnitSize} bytes`,
    );
  }
  if (schema.flexzone) {
    const flexSize = layoutOf(schema.flexzone).size;
    if (flexSize > header.flexibleZoneSize) {
      problems.push(
        `schema "${schema.id}" needs a ${flexSize}-byte flexible zone but the segment has ${header.flexibleZoneSize} bytes`,
      );
    }
  }
  if (header.schemaVersionPacked !== 0 && header.schemaVersionPacked >>> 22 !== schema.version) {
    problems.push(
      `schema "${schema.id}" is version ${schema.version} but the segment header says schema version ${formatSchemaVersion(header.schemaVersionPacked)}`,
    );
  }
  return { ok: problems.length === 0, slot, flexzone, problems };
}

/** The packed schema_version a writer stores for a schema (major = schema.version). */
export function schemaVersionOf(schema: ChannelSchema): number {
  return packSchemaVersion(schema.version, 0, 0);
}
