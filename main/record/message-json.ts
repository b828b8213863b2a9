// A slot record as the JSON text of one MCAP message, and back. Values are those of
// toJson (main/datablock/json.ts): 64-bit integers as numbers while exact, else
// decimal strings; typed arrays as arrays; bytes as hex; NaN/Infinity as strings.
import { fromHex } from '../datablock/blake2b.js';
import { toJson } from '../datablock/json.js';
import {
  decodeStruct,
  encodeStruct,
  type EncodableValue,
  type FieldLayout,
  type StructLayout,
} from '../datablock/schema.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Decodes the slot bytes and returns the message bytes (UTF-8 JSON) and the decoded fields. */
export function recordToMessage(
  layout: StructLayout,
  bytes: Uint8Array,
): { data: Uint8Array; fields: ReturnType<typeof decodeStruct> } {
  const fields = decodeStruct(layout, bytes);
  return { data: encoder.encode(JSON.stringify(toJson(fields))), fields };
}

function numberOf(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(NaN|-?Infinity)$/.test(v)) return Number(v);
  throw new TypeError(`${what}: expected a number, got ${JSON.stringify(v)}`);
}

function bigintOf(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`${what}: expected an integer, got ${JSON.stringify(v)}`);
}

function elementOf(f: FieldLayout, v: unknown, what: string): EncodableValue {
  if (f.type === 'bool') return v === true;
  if (f.type === 'int64' || f.type === 'uint64') return bigintOf(v, what);
  return numberOf(v, what);
}

/** Parses one message back into the values encodeStruct takes; the error names the field that does not fit. */
export function messageToRecord(layout: StructLayout, data: Uint8Array): Record<string, EncodableValue> {
  const json: unknown = JSON.parse(decoder.decode(data));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError('a recorded message must be a JSON object');
  }
  const obj = json as Record<string, unknown>;
  const out: Record<string, EncodableValue> = {};
  for (const f of layout.fields) {
    const v = obj[f.name];
    const what = `field "${f.name}"`;
    if (v === undefined || v === null) continue;
    if (f.type === 'char' || f.type === 'string') {
      if (typeof v !== 'string') throw new TypeError(`${what}: expected text`);
      out[f.name] = v;
    } else if (f.type === 'bytes') {
      if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/.test(v)) throw new TypeError(`${what}: expected hex text`);
      out[f.name] = fromHex(v);
    } else if (f.count === 1) {
      out[f.name] = elementOf(f, v, what);
    } else {
      if (!Array.isArray(v)) throw new TypeError(`${what}: expected an array`);
      if (f.type === 'int64' || f.type === 'uint64') out[f.name] = v.map((e) => bigintOf(e, what));
      else if (f.type === 'bool') out[f.name] = v.map((e) => e === true || e === 1);
      else out[f.name] = v.map((e) => numberOf(e, what));
    }
  }
  return out;
}

/** Encodes a parsed message into `into` (at least the struct's size). */
export function encodeMessage(layout: StructLayout, data: Uint8Array, into: Uint8Array): void {
  encodeStruct(layout, messageToRecord(layout, data), into);
}
