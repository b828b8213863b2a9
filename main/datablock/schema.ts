// Channel schemas (spec section 6): parse and validate the JSON schema files,
// compute the C-struct layout, the canonical BLDS text and the fingerprint,
// and decode/encode one struct from/to bytes.
//
// HubScope extension: the spec gives no BLDS tokens for `string` and `bytes`;
// we use `str[N]` and `bytes[N]` where N is the length in bytes (docs/datablock.md).
import { blake2b256, toHex } from './blake2b.js';

export type FieldType =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'char'
  | 'string'
  | 'bytes';

export interface SchemaField {
  name: string;
  type: FieldType;
  /** Array length for numeric/bool/char types (absent or 1 = scalar). */
  count?: number;
  /** Length in bytes for `string` and `bytes`. */
  length?: number;
}

export interface StructSchema {
  packing: 'aligned' | 'packed';
  fields: SchemaField[];
}

export interface ChannelSchema {
  id: string;
  version: number;
  description?: string;
  slot: StructSchema;
  flexzone?: StructSchema;
}

/** A schema file or value that is not acceptable; the message names the file, field and value. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}

/** Element size in bytes and BLDS token of each fixed-size type. */
const SCALARS: Record<Exclude<FieldType, 'string' | 'bytes'>, { size: number; token: string }> = {
  bool: { size: 1, token: 'b' },
  char: { size: 1, token: 'c' },
  int8: { size: 1, token: 'i8' },
  uint8: { size: 1, token: 'u8' },
  int16: { size: 2, token: 'i16' },
  uint16: { size: 2, token: 'u16' },
  int32: { size: 4, token: 'i32' },
  uint32: { size: 4, token: 'u32' },
  int64: { size: 8, token: 'i64' },
  uint64: { size: 8, token: 'u64' },
  float32: { size: 4, token: 'f32' },
  float64: { size: 8, token: 'f64' },
};

const FIELD_TYPES = new Set<string>([...Object.keys(SCALARS), 'string', 'bytes']);
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Largest struct we accept: slot strides are u32 in the header; anything near that is absurd. */
export const MAX_STRUCT_SIZE = 1 << 30;
const MAX_FIELDS = 4096;

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(v: unknown, where: string, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_STRUCT_SIZE) {
    throw new SchemaError(`${where}: ${what} must be an integer from 1 to ${MAX_STRUCT_SIZE}, got ${describe(v)}`);
  }
  return v;
}

function parseField(json: unknown, where: string): SchemaField {
  if (!isObject(json)) throw new SchemaError(`${where}: a field must be an object, got ${describe(json)}`);
  const { name, type, count, length } = json;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new SchemaError(
      `${where}: field name must be a C identifier of at most 64 characters, got ${describe(name)}`,
    );
  }
  const at = `${where} (field "${name}")`;
  if (typeof type !== 'string' || !FIELD_TYPES.has(type)) {
    throw new SchemaError(`${at}: unknown type ${describe(type)}; expected one of ${[...FIELD_TYPES].join(', ')}`);
  }
  for (const key of Object.keys(json)) {
    if (!['name', 'type', 'count', 'length', 'description', 'unit'].includes(key)) {
      throw new SchemaError(`${at}: unknown key "${key}"`);
    }
  }
  const t = type as FieldType;
  if (t === 'string' || t === 'bytes') {
    if (count !== undefined && count !== 1) throw new SchemaError(`${at}: ${t} fields take "length", not "count"`);
    return { name, type: t, length: positiveInt(length, at, 'length') };
  }
  if (length !== undefined) throw new SchemaError(`${at}: only string and bytes fields take "length"; use "count"`);
  const n = count === undefined ? 1 : positiveInt(count, at, 'count');
  return n === 1 ? { name, type: t } : { name, type: t, count: n };
}

/** Validates one struct ("slot" or "flexzone") of a schema. */
export function parseStruct(json: unknown, where: string): StructSchema {
  if (!isObject(json))
    throw new SchemaError(`${where}: must be an object with "packing" and "fields", got ${describe(json)}`);
  const { packing, fields } = json;
  if (packing !== 'aligned' && packing !== 'packed') {
    throw new SchemaError(`${where}: packing must be "aligned" or "packed", got ${describe(packing)}`);
  }
  if (!Array.isArray(fields) || fields.length === 0) {
    throw new SchemaError(`${where}: "fields" must be a non-empty array, got ${describe(fields)}`);
  }
  if (fields.length > MAX_FIELDS)
    throw new SchemaError(`${where}: ${fields.length} fields is absurd (limit ${MAX_FIELDS})`);
  const parsed = fields.map((f, i) => parseField(f, `${where}.fields[${i}]`));
  const seen = new Set<string>();
  for (const f of parsed) {
    if (seen.has(f.name)) throw new SchemaError(`${where}: field name "${f.name}" appears twice`);
    seen.add(f.name);
  }
  const s: StructSchema = { packing, fields: parsed };
  const size = layoutOf(s).size;
  if (size > MAX_STRUCT_SIZE)
    throw new SchemaError(`${where}: struct size ${size} bytes is absurd (limit ${MAX_STRUCT_SIZE})`);
  return s;
}

/**
 * Validates a parsed JSON schema file. `source` (usually the file path) prefixes
 * every error message so the user knows which file to fix.
 */
export function parseSchema(json: unknown, source = 'schema'): ChannelSchema {
  if (!isObject(json)) throw new SchemaError(`${source}: a schema must be a JSON object, got ${describe(json)}`);
  const { id, version, description, slot, flexzone } = json;
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
    throw new SchemaError(`${source}: "id" must be a non-empty string, got ${describe(id)}`);
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 1023) {
    throw new SchemaError(`${source}: "version" must be an integer from 0 to 1023, got ${describe(version)}`);
  }
  if (description !== undefined && typeof description !== 'string') {
    throw new SchemaError(`${source}: "description" must be a string, got ${describe(description)}`);
  }
  const out: ChannelSchema = { id, version, slot: parseStruct(slot, `${source}: slot`) };
  if (description !== undefined) out.description = description;
  if (flexzone !== undefined && flexzone !== null) out.flexzone = parseStruct(flexzone, `${source}: flexzone`);
  return out;
}

function countOf(f: SchemaField): number {
  return f.count ?? 1;
}

/** BLDS token of one field, e.g. `f32[1024]`, `str[16]`. */
function tokenOf(f: SchemaField): string {
  if (f.type === 'string') return `str[${f.length ?? 0}]`;
  if (f.type === 'bytes') return `bytes[${f.length ?? 0}]`;
  const n = countOf(f);
  return n > 1 ? `${SCALARS[f.type].token}[${n}]` : SCALARS[f.type].token;
}

/** Canonical text: `name:token;name:token...` (spec section 6). */
export function bldsOf(s: StructSchema): string {
  return s.fields.map((f) => `${f.name}:${tokenOf(f)}`).join(';');
}

/** Fingerprint bytes: BLAKE2b-256 of `BLDS|pack:<packing>`. */
export function fingerprintBytesOf(s: StructSchema): Uint8Array {
  return blake2b256(new TextEncoder().encode(`${bldsOf(s)}|pack:${s.packing}`));
}

/** Fingerprint as lower-case hex (64 characters). */
export function fingerprintOf(s: StructSchema): string {
  return toHex(fingerprintBytesOf(s));
}

export interface FieldLayout {
  name: string;
  type: FieldType;
  /** Byte offset from the start of the struct. */
  offset: number;
  /** Bytes of one element (string/bytes: 1). */
  elemSize: number;
  /** Elements (string/bytes: the length in bytes). */
  count: number;
  /** Total bytes: elemSize * count. */
  size: number;
}

export interface StructLayout {
  size: number;
  align: number;
  fields: FieldLayout[];
}

/** C-struct layout: `aligned` places each field at a multiple of its element size; `packed` adds no padding. */
export function layoutOf(s: StructSchema): StructLayout {
  let offset = 0;
  let align = 1;
  const fields: FieldLayout[] = [];
  for (const f of s.fields) {
    const bytesLike = f.type === 'string' || f.type === 'bytes';
    const elemSize = f.type === 'string' || f.type === 'bytes' ? 1 : SCALARS[f.type].size;
    const count = bytesLike ? (f.length ?? 0) : countOf(f);
    if (s.packing === 'aligned') {
      offset = Math.ceil(offset / elemSize) * elemSize;
      align = Math.max(align, elemSize);
    }
    fields.push({ name: f.name, type: f.type, offset, elemSize, count, size: elemSize * count });
    offset += elemSize * count;
  }
  const size = s.packing === 'aligned' ? Math.ceil(offset / align) * align : offset;
  return { size, align: s.packing === 'aligned' ? align : 1, fields };
}

export type TypedArrayValue =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** One decoded field: numbers, bigint for 64-bit integers, text for char/string, typed arrays for arrays. */
export type DecodedValue = number | bigint | boolean | string | TypedArrayValue;

type ArrayCtor = { new (buffer: ArrayBuffer): TypedArrayValue };
const ARRAY_CTORS: Record<Exclude<FieldType, 'string' | 'bytes' | 'char'>, ArrayCtor> = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function textUpToNul(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function readScalar(view: DataView, type: FieldType, at: number): number | bigint | boolean {
  switch (type) {
    case 'bool':
      return view.getUint8(at) !== 0;
    case 'int8':
      return view.getInt8(at);
    case 'uint8':
      return view.getUint8(at);
    case 'int16':
      return view.getInt16(at, true);
    case 'uint16':
      return view.getUint16(at, true);
    case 'int32':
      return view.getInt32(at, true);
    case 'uint32':
      return view.getUint32(at, true);
    case 'int64':
      return view.getBigInt64(at, true);
    case 'uint64':
      return view.getBigUint64(at, true);
    case 'float32':
      return view.getFloat32(at, true);
    case 'float64':
      return view.getFloat64(at, true);
    default:
      throw new Error(`readScalar: ${type} is not a scalar`);
  }
}

/**
 * Decodes one struct from `bytes` (which must hold at least layout.size bytes).
 * Arrays are copied into fresh typed arrays (so they stay valid when `bytes`
 * is reused); char and string fields become text up to the first NUL.
 */
export function decodeStruct(layout: StructLayout, bytes: Uint8Array): Record<string, DecodedValue> {
  if (bytes.length < layout.size) {
    throw new RangeError(`decodeStruct: ${bytes.length} bytes given, the struct needs ${layout.size}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, DecodedValue> = {};
  for (const f of layout.fields) {
    const raw = bytes.subarray(f.offset, f.offset + f.size);
    if (f.type === 'string' || f.type === 'char') {
      out[f.name] = textUpToNul(raw);
    } else if (f.type === 'bytes') {
      out[f.name] = raw.slice();
    } else if (f.count === 1) {
      out[f.name] = readScalar(view, f.type, f.offset);
    } else {
      // slice() copies into a fresh, aligned ArrayBuffer (little-endian hosts only, see assertLittleEndian).
      out[f.name] = new ARRAY_CTORS[f.type](raw.slice().buffer);
    }
  }
  return out;
}

/** A value encodeStruct accepts for a field. */
export type EncodableValue = DecodedValue | ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean>;

function toNumber(v: unknown, field: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TypeError(`field "${field}": expected a number, got ${describe(v)}`);
}

function toBigInt(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw new TypeError(`field "${field}": expected an integer or bigint, got ${describe(v)}`);
}

function writeScalar(view: DataView, type: FieldType, at: number, v: unknown, field: string): void {
  switch (type) {
    case 'bool':
      return view.setUint8(at, v ? 1 : 0);
    case 'int8':
      return view.setInt8(at, toNumber(v, field));
    case 'uint8':
      return view.setUint8(at, toNumber(v, field));
    case 'int16':
      return view.setInt16(at, toNumber(v, field), true);
    case 'uint16':
      return view.setUint16(at, toNumber(v, field), true);
    case 'int32':
      return view.setInt32(at, toNumber(v, field), true);
    case 'uint32':
      return view.setUint32(at, toNumber(v, field), true);
    case 'int64':
      return view.setBigInt64(at, BigInt.asIntN(64, toBigInt(v, field)), true);
    case 'uint64':
      return view.setBigUint64(at, BigInt.asUintN(64, toBigInt(v, field)), true);
    case 'float32':
      return view.setFloat32(at, toNumber(v, field), true);
    case 'float64':
      return view.setFloat64(at, toNumber(v, field), true);
    default:
      throw new Error(`writeScalar: ${type} is not a scalar`);
  }
}

/**
 * Encodes `record` into the first layout.size bytes of `into` (C-struct layout,
 * padding zeroed). Missing fields are zero; text longer than its field is an error.
 */
export function encodeStruct(
  layout: StructLayout,
  record: Readonly<Record<string, EncodableValue | undefined>>,
  into: Uint8Array,
): void {
  if (into.length < layout.size) {
    throw new RangeError(`encodeStruct: ${into.length} bytes given, the struct needs ${layout.size}`);
  }
  into.fill(0, 0, layout.size);
  const view = new DataView(into.buffer, into.byteOffset, into.byteLength);
  for (const f of layout.fields) {
    const v = record[f.name];
    if (v === undefined) continue;
    if (f.type === 'string' || f.type === 'char') {
      if (typeof v !== 'string') throw new TypeError(`field "${f.name}": expected text, got ${describe(v)}`);
      const bytes = utf8Encoder.encode(v);
      if (bytes.length > f.size) {
        throw new RangeError(`field "${f.name}": text of ${bytes.length} bytes does not fit in ${f.size}`);
      }
      into.set(bytes, f.offset);
    } else if (f.type === 'bytes') {
      if (!(v instanceof Uint8Array))
        throw new TypeError(`field "${f.name}": expected a Uint8Array, got ${describe(v)}`);
      if (v.length > f.size) throw new RangeError(`field "${f.name}": ${v.length} bytes do not fit in ${f.size}`);
      into.set(v, f.offset);
    } else if (f.count === 1) {
      writeScalar(view, f.type, f.offset, v, f.name);
    } else {
      if (typeof v !== 'object' || v === null || typeof (v as ArrayLike<unknown>).length !== 'number') {
        throw new TypeError(`field "${f.name}": expected an array of ${f.count}, got ${describe(v)}`);
      }
      const arr = v as ArrayLike<unknown>;
      if (arr.length > f.count) {
        throw new RangeError(`field "${f.name}": ${arr.length} elements do not fit in ${f.count}`);
      }
      // Fast path: a typed array of the field's own type is copied byte for byte.
      if (ArrayBuffer.isView(arr) && arr.constructor === ARRAY_CTORS[f.type] && f.type !== 'bool') {
        const src = arr as TypedArrayValue;
        into.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), f.offset);
      } else {
        for (let i = 0; i < arr.length; i++) writeScalar(view, f.type, f.offset + i * f.elemSize, arr[i], f.name);
      }
    }
  }
}

/** Packs a schema version as the header stores it: major<<22 | minor<<12 | patch (10/10/12 bits). */
export function packSchemaVersion(major: number, minor = 0, patch = 0): number {
  if (![major, minor, patch].every((n) => Number.isInteger(n) && n >= 0)) {
    throw new RangeError(`schema version ${major}.${minor}.${patch}: parts must be non-negative integers`);
  }
  if (major > 1023 || minor > 1023 || patch > 4095) {
    throw new RangeError(`schema version ${major}.${minor}.${patch} does not fit 10/10/12 bits`);
  }
  return ((major << 22) | (minor << 12) | patch) >>> 0;
}

/** Inverse of packSchemaVersion. */
export function unpackSchemaVersion(packed: number): { major: number; minor: number; patch: number } {
  return { major: (packed >>> 22) & 0x3ff, minor: (packed >>> 12) & 0x3ff, patch: packed & 0xfff };
}

/** "major.minor.patch" text of a packed schema version. */
export function formatSchemaVersion(packed: number): string {
  const { major, minor, patch } = unpackSchemaVersion(packed);
  return `${major}.${minor}.${patch}`;
}
