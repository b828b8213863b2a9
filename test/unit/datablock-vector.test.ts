// The shared C++ test vector decodes exactly as spec section 7 says, and our
// writer reproduces it byte for byte (apart from times and pid).
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blake2b256, toHex } from '../../main/datablock/blake2b.js';
import { openDataBlock, type DataBlockReader } from '../../main/datablock/reader.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { decodeStruct, fingerprintOf, layoutOf } from '../../main/datablock/schema.js';
import { H } from '../../main/datablock/format.js';
import {
  TEST_VECTOR,
  VECTOR_SCHEMA,
  testVectorNote,
  uniqueName,
  unlinkQuietly,
  withoutTestVector,
} from './datablock-helpers.js';

const layout = layoutOf(VECTOR_SCHEMA.slot);

const skip = withoutTestVector();

describe.skipIf(skip)(`test vector ring-cap4-stride64.bin${testVectorNote}`, () => {
  let reader: DataBlockReader;
  beforeAll(() => {
    reader = openDataBlock(TEST_VECTOR, { file: true });
  });

  it('validates, with the newest era', () => {
    expect(reader.report.problems).toEqual([]);
    expect(reader.report.warnings).toEqual([]);
    expect(reader.report.valid).toBe(true);
    expect(reader.report.era).toMatch(/newest/);
  });

  it('decodes every header field of section 7', () => {
    const h = reader.header();
    expect(h).toMatchObject({
      magic: 0x504c4842,
      versionMajor: 1,
      versionMinor: 0,
      totalBlockSize: 16384,
      policy: 2,
      policyName: 'RingBuffer',
      consumerSyncPolicy: 0,
      consumerSyncPolicyName: 'Latest_only',
      physicalPageSize: 4096,
      logicalUnitSize: 64,
      ringBufferCapacity: 4,
      flexibleZoneSize: 4096,
      checksumType: 0,
      checksumPolicy: 2,
      checksumPolicyName: 'Enforced',
      writeIndex: 6n,
      commitIndex: 5n,
      totalSlotsWritten: 6n,
      schemaVersion: '1.2.3',
      hubUid: 'hub-uid-0001',
      hubName: 'research-hub',
      producerUid: 'prod-uid-0001',
      producerName: 'research-producer',
      headerLayoutHash: 'b1820e5099bfdd8f29c33c7db2ba20928cc14f5e7a06139208d8cfe8d18f9f1f',
      slotSchemaHash: fingerprintOf(VECTOR_SCHEMA.slot),
      flexzoneSchemaHash: '0'.repeat(64),
    });
    expect(h.slotSchemaHash.startsWith('f589d7f1')).toBe(true);
    expect(h.consumerHeartbeats).toEqual([]);
    expect(h.producerPid).toBeGreaterThan(0);
    expect(h.producerHeartbeatNs).toBeGreaterThanOrEqual(h.creationTimestampNs);
  });

  it('holds ids 2..5 with seq 0x1000+n, value 1.5n, flags 0xA0+n, every checksum valid', () => {
    const records = reader.recent(10, { verify: true });
    expect(records.map((r) => r.id)).toEqual([2n, 3n, 4n, 5n]);
    for (const r of records) {
      const n = Number(r.id);
      expect(r.checksumOk).toBe(true);
      expect(decodeStruct(layout, r.bytes)).toEqual({ seq: BigInt(0x1000 + n), value: 1.5 * n, flags: 0xa0 + n });
    }
    expect(reader.latest({ verify: true })?.id).toBe(5n);
    expect(reader.slots({ verify: true }).map((s) => [s.stateName, s.id, s.checksumOk])).toEqual([
      ['COMMITTED', 4n, true],
      ['COMMITTED', 5n, true],
      ['COMMITTED', 2n, true],
      ['COMMITTED', 3n, true],
    ]);
  });

  it('has the flexible zone text and a valid flexible-zone checksum, and the schema matches', () => {
    const fz = reader.flexZone();
    expect(fz.length).toBe(4096);
    expect(new TextDecoder().decode(fz.subarray(0, 14))).toBe('FLEXZONE-HELLO');
    expect(reader.verifyFlexZone()).toBe(true);
    expect(reader.checkSchema(VECTOR_SCHEMA).ok).toBe(true);
  });

  it('latestInto copies slot and checksum into a reused buffer; a closed reader throws, never crashes', () => {
    const r = openDataBlock(TEST_VECTOR, { file: true });
    const buf = new Uint8Array(64 + 33);
    expect(r.latestInto(buf)).toBe(5);
    expect(decodeStruct(layout, buf)).toEqual({ seq: 0x1005n, value: 7.5, flags: 0xa5 });
    expect(toHex(buf.subarray(64, 96))).toBe(toHex(blake2b256(buf.subarray(0, 64))));
    expect(() => r.latestInto(new Uint8Array(64))).toThrow(/at least stride \+ 33 = 97 bytes, got 64/);
    // A bound buffer that gets detached (transferred) is refused, never written through a stale pointer.
    const other = new Uint8Array(97);
    expect(r.latestInto(other)).toBe(5);
    structuredClone(other.buffer, { transfer: [other.buffer] });
    expect(other.length).toBe(0);
    expect(() => r.latestInto(other)).toThrow(/detached/);
    expect(r.latestInto(buf)).toBe(5); // rebinding a live buffer works again
    r.close();
    expect(() => r.latestInto(buf)).toThrow(/closed/);
    expect(() => r.header()).toThrow(/closed/);
    expect(() => r.recent(2)).toThrow(/closed/);
  });

  it('reports a schema mismatch naming both fingerprints', () => {
    const other = { ...VECTOR_SCHEMA, slot: { ...VECTOR_SCHEMA.slot, packing: 'packed' as const } };
    const check = reader.checkSchema(other);
    expect(check.ok).toBe(false);
    expect(check.slot.status).toBe('mismatch');
    expect(check.problems[0]).toContain(fingerprintOf(other.slot));
    expect(check.problems[0]).toContain(fingerprintOf(VECTOR_SCHEMA.slot));
  });
});

describe.skipIf(skip)(`writer reproduces the test vector${testVectorNote}`, () => {
  let writer: DataBlockWriter | undefined;
  let name = '';
  afterEach(() => {
    writer?.close();
    unlinkQuietly(name);
  });

  function make(): DataBlockWriter {
    name = uniqueName('vec');
    writer = createDataBlock(name, {
      schema: VECTOR_SCHEMA,
      capacity: 4,
      policy: 'RingBuffer',
      syncPolicy: 'Latest_only',
      flexZoneSize: 4096,
      checksumPolicy: 'Enforced',
      schemaVersion: '1.2.3',
      identity: {
        hubUid: 'hub-uid-0001',
        hubName: 'research-hub',
        producerUid: 'prod-uid-0001',
        producerName: 'research-producer',
      },
    });
    const fz = new Uint8Array(4096);
    fz.set(new TextEncoder().encode('FLEXZONE-HELLO'));
    writer.setFlexZone(fz);
    return writer;
  }

  // Bytes that legitimately differ: creation time, producer pid, producer heartbeat.
  const volatile = new Set<number>();
  for (const base of [H.creationTimestampNs, H.producerPid, H.producerHeartbeatNs])
    for (let i = 0; i < 8; i++) volatile.add(base + i);

  function differences(a: Uint8Array, b: Uint8Array, skip: (i: number) => boolean): string[] {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      if (a[i] !== b[i] && !skip(i)) out.push(`0x${i.toString(16)}`);
    return out;
  }

  it('writeRaw of the same slot bytes gives an identical image apart from times and pid', () => {
    const vec = readFileSync(TEST_VECTOR);
    const w = make();
    for (let n = 0; n < 6; n++) {
      const at = 0x3000 + (n % 4) * 64;
      expect(w.writeRaw(vec.subarray(at, at + 64))).toBe(true);
    }
    const mine = readFileSync(`/dev/shm/${name}`);
    expect(mine.length).toBe(vec.length);
    expect(differences(mine, vec, (i) => volatile.has(i))).toEqual([]);
  });

  it('write(record) matches every field byte, the layout hash and checksum; checksums cover our (zeroed) padding', () => {
    const vec = readFileSync(TEST_VECTOR);
    const w = make();
    for (let n = 0; n < 6; n++)
      expect(w.write({ seq: BigInt(0x1000 + n), value: 1.5 * n, flags: 0xa0 + n })).toBe(true);
    const mine = readFileSync(`/dev/shm/${name}`);
    // The C++ producer left struct padding (bytes 20..23 of each slot) uninitialised ('////');
    // we zero it, so those bytes and the slot checksums that cover them differ.
    const padding = (i: number): boolean => i >= 0x3000 && (i - 0x3000) % 64 >= 20 && (i - 0x3000) % 64 < 24;
    const slotChecksum = (i: number): boolean => i >= 0x1100 && i < 0x1100 + 4 * 33;
    expect(differences(mine, vec, (i) => volatile.has(i) || padding(i) || slotChecksum(i))).toEqual([]);
    for (let i = 0; i < 4; i++) {
      const slot = mine.subarray(0x3000 + i * 64, 0x3000 + i * 64 + 64);
      expect(toHex(mine.subarray(0x1100 + i * 33, 0x1100 + i * 33 + 32))).toBe(toHex(blake2b256(slot)));
    }
    const r = openDataBlock(name);
    try {
      expect(r.report.valid).toBe(true);
      expect(r.recent(4, { verify: true }).every((x) => x.checksumOk)).toBe(true);
      expect(r.liveness().state).toBe('alive');
    } finally {
      r.close();
    }
  });
});
