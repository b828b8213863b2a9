// Answers `datablock.inspect`: one passive read of a segment, shaped for the UI.
// The schema used to decode records comes from the caller's resolver (a file the
// user chose, a discovery descriptor, the broker's registry).
import type { DataBlockInspection, Json, RecordDto, SlotDto } from '../../preload/contract.js';
import { ApiError } from '../../preload/contract.js';
import { toHex } from '../datablock/blake2b.js';
import { fieldsToJson, toJson } from '../datablock/json.js';
import { DataBlockError, type SlotView } from '../datablock/reader.js';
import { decodeStruct, fingerprintOf, layoutOf, type ChannelSchema } from '../datablock/schema.js';
import { openClientSegment } from './client-segment.js';
import { imagePreviewOf } from './image-preview.js';

/** Most records one request may ask for. */
export const MAX_RECORDS = 256;
/** Payload bytes shown as hex per record. */
const HEX_PREVIEW = 256;
/** Arrays longer than this are sent as their length and first elements (a camera frame is megabytes). */
const ARRAY_PREVIEW = 64;
/** Flexible-zone bytes shown. */
const FLEX_PREVIEW = 1024;

export interface SchemaInHand {
  schema: ChannelSchema;
  /** Where it came from, in words: "discovery file x.channel.json", "broker registry". */
  source: string;
}

function printable(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(end >= 0 ? bytes.subarray(0, end) : bytes);
  // Only show text when it is text; binary calibration tables go out as hex.
  return /^[\p{L}\p{N}\p{P}\p{S}\s]*$/u.test(text) ? text : '';
}

function slotChecksum(slot: SlotView, verdicts: Map<bigint, boolean | null>): SlotDto['checksum'] {
  if (!slot.checksumPresent) return 'none';
  const verdict = slot.id === null ? undefined : verdicts.get(slot.id);
  return verdict === true ? 'ok' : verdict === false ? 'bad' : 'unverified';
}

/**
 * `name` comes from a client, so it is only ever a segment name (a regular file
 * directly in /dev/shm with the PLHB magic), never a path: captured images are
 * for the CLI (`hubscope inspect ./image.bin`).
 */
export function inspectDataBlock(name: string, records: number, found: SchemaInHand | null): DataBlockInspection {
  const reader = openClientSegment(name);
  try {
    const report = reader.validate();
    const header = reader.header();
    const live = reader.liveness(header);
    const flat: Record<string, Json> = {};
    for (const [key, value] of Object.entries(header)) {
      if (typeof value !== 'object' || value === null) flat[key] = toJson(value);
    }
    const schemaCheck = found ? reader.checkSchema(found.schema, header) : null;
    const recent = report.geometry ? reader.recent(Math.min(Math.max(records, 1), MAX_RECORDS), { verify: true }) : [];
    const verdicts = new Map(recent.map((r) => [r.id, r.checksumPresent ? r.checksumOk : null]));
    const layout = found ? layoutOf(found.schema.slot) : null;
    const recordDtos: RecordDto[] = recent.reverse().map((r, i) => {
      const decoded = layout ? decodeStruct(layout, r.bytes) : null;
      return {
        id: r.id.toString(),
        checksumOk: r.checksumPresent ? r.checksumOk : null,
        fields: decoded ? fieldsToJson(decoded, ARRAY_PREVIEW) : null,
        hex: toHex(r.bytes.subarray(0, HEX_PREVIEW)),
        image: decoded && i === 0 ? imagePreviewOf(decoded) : null,
      };
    });
    const flex = report.geometry && report.geometry.flexZoneSize > 0 ? reader.flexZone() : null;
    return {
      name: reader.name,
      size: reader.size,
      valid: report.valid,
      problems: report.problems,
      warnings: report.warnings,
      era: report.era ?? 'unknown',
      header: flat,
      liveness: { alive: live.alive, reason: live.text },
      consumers: reader.consumers(header).map((c) => ({
        slot: c.index,
        pid: c.pid,
        uid: c.uid,
        name: c.name,
        ageMs: Number.isFinite(c.ageMs) ? c.ageMs : null,
      })),
      // Checksums are verified once, on the records fetched; a slot holding one of them
      // shares its verdict (hashing a camera ring twice a second would stall the event loop).
      slots: report.geometry
        ? reader.slots().map((s) => ({
            index: s.index,
            state: s.stateName,
            generation: s.generation.toString(),
            readers: s.readerCount,
            lockPid: s.writeLockPid,
            checksum: slotChecksum(s, verdicts),
          }))
        : [],
      records: recordDtos,
      schema: found
        ? {
            id: found.schema.id,
            fingerprint: fingerprintOf(found.schema.slot),
            source: found.source,
            mismatch: schemaCheck && schemaCheck.problems.length > 0 ? schemaCheck.problems.join(' ') : null,
          }
        : null,
      flexZone: flex
        ? {
            size: flex.length,
            hex: toHex(flex.subarray(0, FLEX_PREVIEW)),
            text: printable(flex.subarray(0, FLEX_PREVIEW)),
          }
        : null,
    };
  } catch (err) {
    if (err instanceof DataBlockError) throw new ApiError('UNAVAILABLE', err.message);
    throw err;
  } finally {
    reader.close();
  }
}
