// JSON for DataBlock values: 64-bit integers become numbers when exact,
// decimal strings otherwise; typed arrays become arrays; bytes become hex.
import { toHex } from './blake2b.js';
import type { DecodedValue } from './schema.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return toHex(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => toJson(v));
  if (Array.isArray(value)) return value.map((v) => toJson(v));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  return String(value);
}

/**
 * Decoded record fields as JSON. Arrays longer than `limit` become
 * `{ length, head, truncated: true }` with their first `headLength` elements:
 * a camera frame would otherwise be megabytes of text.
 */
export function fieldsToJson(
  fields: Record<string, DecodedValue>,
  limit: number,
  headLength = 16,
): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] =
      typeof v === 'object' && v.length > limit
        ? { length: v.length, head: toJson(v.subarray(0, headLength)), truncated: true }
        : toJson(v);
  }
  return out;
}
