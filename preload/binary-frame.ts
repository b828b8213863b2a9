// Binary WebSocket frames: a value that holds typed arrays (live series, pixels)
// crosses as one binary message instead of JSON arrays of numbers, so a 1 kHz
// channel costs a memcpy, not a number-to-text round trip.
//
// Layout (little-endian): u32 length N of the JSON text, N bytes of UTF-8 JSON in
// which every typed array is replaced by {"$typed": ctor, "at": byte offset, "n":
// element count}, zero padding to a multiple of 8, then the arrays' bytes, each
// starting at a multiple of 8 from the start of the message.
//
// No runtime imports: used by main (encode) and by the renderer (decode).

const CTORS = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type CtorName = keyof typeof CTORS;
type Typed = InstanceType<(typeof CTORS)[CtorName]>;

interface Placeholder {
  $typed: CtorName;
  at: number;
  n: number;
}

function typedName(value: unknown): CtorName | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null;
  const name = value.constructor.name;
  return name in CTORS ? (name as CtorName) : null;
}

/** True when the value holds a typed array anywhere (then it needs a binary frame). */
export function holdsTypedArray(value: unknown, depth = 0): boolean {
  if (depth > 8 || value === null || typeof value !== 'object') return false;
  if (typedName(value)) return true;
  if (Array.isArray(value)) return value.some((v) => holdsTypedArray(v, depth + 1));
  return Object.values(value as Record<string, unknown>).some((v) => holdsTypedArray(v, depth + 1));
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export function encodeBinaryFrame(value: unknown): Uint8Array {
  const arrays: Typed[] = [];
  const json = JSON.stringify(value, (_key, v: unknown) => {
    const name = typedName(v);
    if (!name) return v;
    arrays.push(v as Typed);
    return { $typed: name, at: arrays.length - 1, n: (v as Typed).length };
  });
  const text = new TextEncoder().encode(json);
  // Arrays follow in index order, each at the next multiple of 8; the decoder
  // recomputes the same offsets from the element counts, so none are stored.
  let offset = align8(4 + text.length);
  const offsets: number[] = [];
  for (const a of arrays) {
    offsets.push(offset);
    offset = align8(offset + a.byteLength);
  }
  const out = new Uint8Array(offset);
  new DataView(out.buffer).setUint32(0, text.length, true);
  out.set(text, 4);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offsets[i]));
  return out;
}

/** Decodes a frame made by encodeBinaryFrame; typed arrays are views on `buffer` (no copy). */
export function decodeBinaryFrame(buffer: ArrayBuffer): unknown {
  const view = new DataView(buffer);
  const length = view.getUint32(0, true);
  const text = new TextDecoder().decode(new Uint8Array(buffer, 4, length));
  const found: Placeholder[] = [];
  const value: unknown = JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as Placeholder).$typed === 'string') found.push(v as Placeholder);
    return v;
  });
  // Same rule as the encoder: arrays in index order, each at the next multiple of 8.
  const byIndex = [...found].sort((a, b) => a.at - b.at);
  let offset = align8(4 + length);
  const made = new Map<number, Typed>();
  for (const p of byIndex) {
    const Ctor = CTORS[p.$typed];
    if (!Ctor) throw new Error(`unknown typed array ${String(p.$typed)} in a binary frame`);
    const bytes = p.n * Ctor.BYTES_PER_ELEMENT;
    if (offset + bytes > buffer.byteLength) throw new Error('a binary frame is shorter than its arrays');
    made.set(p.at, new Ctor(buffer, offset, p.n));
    offset = align8(offset + bytes);
  }
  return revive(value, made);
}

function revive(value: unknown, made: Map<number, Typed>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => revive(v, made));
  const p = value as Partial<Placeholder>;
  if (typeof p.$typed === 'string' && typeof p.at === 'number') return made.get(p.at);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = revive(v, made);
  return out;
}
