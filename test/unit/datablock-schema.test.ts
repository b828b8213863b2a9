import { describe, expect, it } from 'vitest';
import { blake2b256, toHex, fromHex } from '../../main/datablock/blake2b.js';
import {
  bldsOf,
  decodeStruct,
  encodeStruct,
  fingerprintOf,
  formatSchemaVersion,
  layoutOf,
  packSchemaVersion,
  parseSchema,
  SchemaError,
  unpackSchemaVersion,
  type StructSchema,
} from '../../main/datablock/schema.js';

const EXAMPLE: StructSchema = {
  packing: 'aligned',
  fields: [
    { name: 'seq', type: 'uint64' },
    { name: 'value', type: 'float64' },
    { name: 'flags', type: 'uint32' },
  ],
};

describe('blake2b256', () => {
  it('matches the RFC 7693 style known answer for BLAKE2b-256 of "abc"', () => {
    // Published BLAKE2b-256("abc") test value (differs from the 64-byte digest's prefix).
    expect(toHex(blake2b256(new TextEncoder().encode('abc')))).toBe(
      'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
    );
    expect(toHex(blake2b256(new Uint8Array(0)))).toBe(
      '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8',
    );
  });
  it('toHex and fromHex are inverses', () => {
    const b = Uint8Array.from([0, 1, 0xab, 0xff]);
    expect(toHex(b)).toBe('0001abff');
    expect(fromHex('0001abff')).toEqual(b);
    expect(() => fromHex('zz')).toThrow(/not a hex/);
  });
});

describe('schema fingerprint and BLDS', () => {
  it('reproduces the spec example', () => {
    expect(bldsOf(EXAMPLE)).toBe('seq:u64;value:f64;flags:u32');
    expect(fingerprintOf(EXAMPLE)).toBe('f589d7f1a72cdfef9ae5b5b1b4dab355810f49c07835ca71dc68873df91f0bcb');
  });
  it('packing changes the fingerprint; arrays, string and bytes get tokens', () => {
    const packed: StructSchema = { ...EXAMPLE, packing: 'packed' };
    expect(fingerprintOf(packed)).not.toBe(fingerprintOf(EXAMPLE));
    const s: StructSchema = {
      packing: 'aligned',
      fields: [
        { name: 'samples', type: 'float32', count: 1024 },
        { name: 'ok', type: 'bool' },
        { name: 'tag', type: 'char', count: 8 },
        { name: 'label', type: 'string', length: 16 },
        { name: 'blob', type: 'bytes', length: 5 },
      ],
    };
    expect(bldsOf(s)).toBe('samples:f32[1024];ok:b;tag:c[8];label:str[16];blob:bytes[5]');
  });
});

describe('layout', () => {
  it('aligned pads fields and the struct; packed does not', () => {
    expect(layoutOf(EXAMPLE)).toMatchObject({ size: 24, align: 8 });
    expect(layoutOf(EXAMPLE).fields.map((f) => f.offset)).toEqual([0, 8, 16]);
    const mixed: StructSchema = {
      packing: 'aligned',
      fields: [
        { name: 'a', type: 'uint8' },
        { name: 'b', type: 'int32' },
        { name: 'c', type: 'int16', count: 3 },
        { name: 'd', type: 'float64' },
        { name: 'e', type: 'string', length: 3 },
      ],
    };
    const l = layoutOf(mixed);
    expect(l.fields.map((f) => f.offset)).toEqual([0, 4, 8, 16, 24]);
    expect(l.size).toBe(32);
    const p = layoutOf({ ...mixed, packing: 'packed' });
    expect(p.fields.map((f) => f.offset)).toEqual([0, 1, 5, 11, 19]);
    expect(p.size).toBe(22);
  });
});

describe('encode/decode', () => {
  it('round-trips every type, aligned and packed', () => {
    for (const packing of ['aligned', 'packed'] as const) {
      const s: StructSchema = {
        packing,
        fields: [
          { name: 'b', type: 'bool' },
          { name: 'i8', type: 'int8' },
          { name: 'u16', type: 'uint16' },
          { name: 'i32', type: 'int32' },
          { name: 'u64', type: 'uint64' },
          { name: 'i64', type: 'int64' },
          { name: 'f32', type: 'float32', count: 3 },
          { name: 'f64', type: 'float64' },
          { name: 'c', type: 'char', count: 4 },
          { name: 's', type: 'string', length: 10 },
          { name: 'raw', type: 'bytes', length: 3 },
          { name: 'u16s', type: 'uint16', count: 2 },
        ],
      };
      const layout = layoutOf(s);
      const buf = new Uint8Array(layout.size + 5).fill(0xee);
      encodeStruct(
        layout,
        {
          b: true,
          i8: -5,
          u16: 65535,
          i32: -123456,
          u64: 0xffffffffffffffffn,
          i64: -9007199254740993n,
          f32: Float32Array.from([1.5, -2, 3.25]),
          f64: Math.PI,
          c: 'ab',
          s: 'héllo',
          raw: Uint8Array.from([1, 2, 3]),
          u16s: [7, 8],
        },
        buf,
      );
      expect(buf[layout.size]).toBe(0xee); // nothing written past the struct
      const d = decodeStruct(layout, buf);
      expect(d).toEqual({
        b: true,
        i8: -5,
        u16: 65535,
        i32: -123456,
        u64: 0xffffffffffffffffn,
        i64: -9007199254740993n,
        f32: Float32Array.from([1.5, -2, 3.25]),
        f64: Math.PI,
        c: 'ab',
        s: 'héllo',
        raw: Uint8Array.from([1, 2, 3]),
        u16s: Uint16Array.from([7, 8]),
      });
    }
  });
  it('rejects text that does not fit and wrong value kinds, naming the field', () => {
    const layout = layoutOf({ packing: 'packed', fields: [{ name: 'name', type: 'string', length: 2 }] });
    expect(() => encodeStruct(layout, { name: 'abc' }, new Uint8Array(2))).toThrow(/"name".*does not fit/);
    const l2 = layoutOf({ packing: 'packed', fields: [{ name: 'x', type: 'int32' }] });
    expect(() => encodeStruct(l2, { x: 'nope' }, new Uint8Array(4))).toThrow(/"x"/);
    expect(() => decodeStruct(l2, new Uint8Array(3))).toThrow(/needs 4/);
  });
});

describe('parseSchema', () => {
  const ok = { id: 'lab.x', version: 1, slot: { packing: 'aligned', fields: [{ name: 'a', type: 'int32' }] } };
  it('accepts a good schema with flexzone', () => {
    const s = parseSchema({
      ...ok,
      description: 'd',
      flexzone: { packing: 'packed', fields: [{ name: 'k', type: 'float64' }] },
    });
    expect(s.flexzone?.fields[0]?.name).toBe('k');
    expect(s.description).toBe('d');
  });
  const bad: Array<[unknown, RegExp]> = [
    [null, /must be a JSON object/],
    [{ ...ok, id: '' }, /"id"/],
    [{ ...ok, version: 1.5 }, /"version".*1\.5/],
    [{ ...ok, slot: { packing: 'loose', fields: [] } }, /packing.*"loose"/],
    [{ ...ok, slot: { packing: 'aligned', fields: [] } }, /non-empty/],
    [{ ...ok, slot: { packing: 'aligned', fields: [{ name: '1a', type: 'int8' }] } }, /C identifier.*"1a"/],
    [
      { ...ok, slot: { packing: 'aligned', fields: [{ name: 'a', type: 'int128' }] } },
      /field "a".*unknown type "int128"/,
    ],
    [
      { ...ok, slot: { packing: 'aligned', fields: [{ name: 'a', type: 'int8', count: 0 }] } },
      /field "a".*count.*got 0/,
    ],
    [{ ...ok, slot: { packing: 'aligned', fields: [{ name: 'a', type: 'string' }] } }, /field "a".*length/],
    [{ ...ok, slot: { packing: 'aligned', fields: [{ name: 'a', type: 'int8', length: 3 }] } }, /"length"/],
    [
      {
        ...ok,
        slot: {
          packing: 'aligned',
          fields: [
            { name: 'a', type: 'int8' },
            { name: 'a', type: 'int8' },
          ],
        },
      },
      /"a" appears twice/,
    ],
    [{ ...ok, slot: { packing: 'aligned', fields: [{ name: 'a', type: 'float64', count: 1 << 29 }] } }, /absurd/],
  ];
  it.each(bad)('rejects %j', (json, re) => {
    expect(() => parseSchema(json, 'my.json')).toThrow(SchemaError);
    expect(() => parseSchema(json, 'my.json')).toThrow(re);
    expect(() => parseSchema(json, 'my.json')).toThrow(/^my\.json/);
  });
});

describe('schema version packing', () => {
  it('packs major<<22|minor<<12|patch', () => {
    expect(packSchemaVersion(1, 2, 3)).toBe(0x00402003);
    expect(unpackSchemaVersion(0x00402003)).toEqual({ major: 1, minor: 2, patch: 3 });
    expect(formatSchemaVersion(packSchemaVersion(1023, 1023, 4095))).toBe('1023.1023.4095');
    expect(() => packSchemaVersion(1024)).toThrow(/10\/10\/12/);
  });
});
