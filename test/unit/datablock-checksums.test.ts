// The checksums a HubScope writer leaves in the segment, read back as raw bytes
// from /dev/shm and compared with BLAKE2b-256 computed here by @noble/hashes
// (independent of the project's hash-wasm wrapper and of its geometry code).
// A C++ consumer rejects a slot whose checksum entry, or whose flexible-zone
// checksum entry, is missing or wrong under Enforced (and under Manual).
// Rules: docs/datablock-format.md, "Checksums" and "Write protocol".
import { blake2b } from '@noble/hashes/blake2.js';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openDataBlock } from '../../main/datablock/reader.js';
import type { ChannelSchema } from '../../main/datablock/schema.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { uniqueName, unlinkQuietly } from './datablock-helpers.js';

const open: DataBlockWriter[] = [];
const names: string[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
  for (const n of names.splice(0)) unlinkQuietly(n);
});

type Policy = 'None' | 'Manual' | 'Enforced';
type Packing = 'aligned' | 'packed';

/** A slot schema whose aligned and packed layouts differ (padding after `flag`). */
function schemaFor(packing: Packing): ChannelSchema {
  return {
    id: 'test.checksums',
    version: 1,
    slot: {
      packing,
      fields: [
        { name: 'flag', type: 'uint8' },
        { name: 'seq', type: 'uint64' },
        { name: 'value', type: 'float64' },
        { name: 'flags', type: 'uint32' },
      ],
    },
  };
}

const record = (id: number) => ({ flag: id & 0xff, seq: BigInt(0x1000 + id), value: 1.5 * id, flags: 0xa0 + id });

const hash = (bytes: Uint8Array): Uint8Array => blake2b(bytes, { dkLen: 32 });
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const zeros = (n: number): string => '00'.repeat(n);

/** The segment's regions, derived here from the header fields with the layout rule (not geometryOf). */
function regions(image: Buffer) {
  const stride = image.readUInt32LE(0xa0);
  const capacity = image.readUInt32LE(0xa4) || 1;
  const flexZoneSize = image.readUInt32LE(0xa8);
  const up = (n: number): number => Math.ceil(n / 4096) * 4096;
  const offCks = 0x1000 + capacity * 64;
  const offFz = up(offCks + capacity * 33);
  const offRing = offFz + flexZoneSize;
  return { stride, capacity, flexZoneSize, offCks, offFz, offRing };
}

/** The image as a C++ consumer would judge it: per-slot entry hex, and the expected entry for the slot's bytes. */
function slotEntries(image: Buffer): Array<{ stored: string; expected: string }> {
  const r = regions(image);
  return Array.from({ length: r.capacity }, (_, i) => {
    const slot = image.subarray(r.offRing + i * r.stride, r.offRing + (i + 1) * r.stride);
    return {
      stored: hex(image.subarray(r.offCks + i * 33, r.offCks + (i + 1) * 33)),
      expected: hex(hash(slot)) + '00', // digest, then the verified flag a writer leaves at 0
    };
  });
}

/** Header 0x7C0..0x9C0: eight 64-byte entries; only entry 0 (digest + verified flag) is used. */
function flexTable(image: Buffer): { entry: string; rest: string; expected: string } {
  const r = regions(image);
  const zone = image.subarray(r.offFz, r.offFz + r.flexZoneSize);
  return {
    entry: hex(image.subarray(0x7c0, 0x7c0 + 33)),
    rest: hex(image.subarray(0x7c0 + 33, 0x9c0)),
    expected: hex(hash(zone)) + '00',
  };
}

function make(policy: Policy, flexZoneSize: number, packing: Packing): { w: DataBlockWriter; name: string } {
  const name = uniqueName('cks');
  names.push(name);
  const w = createDataBlock(name, { schema: schemaFor(packing), capacity: 4, checksumPolicy: policy, flexZoneSize });
  open.push(w);
  return { w, name };
}

const image = (name: string): Buffer => readFileSync(`/dev/shm/${name}`);

const matrix: Array<{ policy: Policy; flexZoneSize: number; zone: string; packing: Packing }> = [];
for (const policy of ['None', 'Manual', 'Enforced'] as const)
  for (const flexZoneSize of [0, 8192])
    for (const packing of ['aligned', 'packed'] as const)
      matrix.push({ policy, flexZoneSize, zone: `${flexZoneSize}-byte flexible zone`, packing });

describe('checksum bytes in the segment, for every policy, flexible zone and packing', () => {
  it.each(matrix)('$policy, $zone, $packing', ({ policy, flexZoneSize, packing }) => {
    const { w, name } = make(policy, flexZoneSize, packing);
    // Six records into four slots: ids 2..5 remain, slots 0 and 1 were overwritten once.
    for (let id = 0; id < 6; id++) {
      if (policy === 'Manual' && id % 2 === 1) {
        expect(w.write(record(id))).toBe(true);
        expect(w.stampSlot(id)).toBe(true); // after the commit
      } else {
        expect(w.write(record(id), { stamp: policy === 'Manual' })).toBe(true); // within the commit
      }
    }
    if (policy === 'Manual' && flexZoneSize > 0) w.stampFlexZone();

    const img = image(name);
    expect(regions(img).stride).toBe(64);
    for (const [i, e] of slotEntries(img).entries()) {
      expect(e.stored, `slot ${i}`).toBe(policy === 'None' ? zeros(33) : e.expected);
    }
    const flex = flexTable(img);
    expect(flex.rest).toBe(zeros(512 - 33));
    expect(flex.entry).toBe(policy === 'None' || flexZoneSize === 0 ? zeros(33) : flex.expected);
    if (flexZoneSize > 0 && policy !== 'None') {
      // The zone was never written: the digest of its 8192 zero bytes.
      expect(flex.entry.slice(0, 64)).toBe(hex(hash(new Uint8Array(8192))));
    }

    // The project's own reader agrees with the bytes.
    const r = openDataBlock(name);
    try {
      const recs = r.recent(4, { verify: true });
      expect(recs.map((x) => Number(x.id))).toEqual([2, 3, 4, 5]);
      for (const rec of recs) expect(rec.checksumOk).toBe(policy === 'None' ? null : true);
      expect(r.verifyFlexZone()).toBe(policy === 'None' || flexZoneSize === 0 ? null : true);
    } finally {
      r.close();
    }
  });
});

describe('flexible-zone checksum', () => {
  it('is stamped at creation under Enforced, before any record', () => {
    const { name } = make('Enforced', 8192, 'aligned');
    const flex = flexTable(image(name));
    expect(flex.entry).toBe(flex.expected);
    expect(flex.entry.slice(0, 64)).toBe(hex(hash(new Uint8Array(8192))));
  });

  it('follows setFlexZone under Enforced, and stays correct over later commits', () => {
    const { w, name } = make('Enforced', 8192, 'packed');
    w.setFlexZone(new TextEncoder().encode('calibration v2'));
    let flex = flexTable(image(name));
    expect(flex.entry).toBe(flex.expected);
    expect(flex.entry).not.toBe(hex(hash(new Uint8Array(8192))) + '00');
    for (let id = 0; id < 5; id++) w.write(record(id));
    flex = flexTable(image(name));
    expect(flex.entry).toBe(flex.expected);
  });

  it('under Manual, is written only by stampFlexZone(), over the zone as it is then', () => {
    const { w, name } = make('Manual', 4096, 'aligned');
    w.write(record(0), { stamp: true });
    expect(flexTable(image(name)).entry).toBe(zeros(33));
    w.setFlexZone(new TextEncoder().encode('gain=2'));
    expect(flexTable(image(name)).entry).toBe(zeros(33));
    w.stampFlexZone();
    const flex = flexTable(image(name));
    expect(flex.entry).toBe(flex.expected);
    w.write(record(1));
    expect(flexTable(image(name)).entry).toBe(flex.expected); // a commit does not touch it under Manual
  });

  it('stampFlexZone() without a flexible zone is a clear error', () => {
    const { w } = make('Manual', 0, 'aligned');
    expect(() => w.stampFlexZone()).toThrow(/has no flexible zone/);
  });
});

describe('stamping slots under Manual', () => {
  it('clears a stale stamp when an unstamped record overwrites a stamped slot', () => {
    const { w, name } = make('Manual', 0, 'aligned');
    for (let id = 0; id < 4; id++) w.write(record(id), { stamp: true });
    for (const e of slotEntries(image(name))) expect(e.stored).toBe(e.expected);
    w.write(record(4)); // slot 0, not stamped
    const entries = slotEntries(image(name));
    expect(entries[0]?.stored).toBe(zeros(33));
    for (const e of entries.slice(1)) expect(e.stored).toBe(e.expected);
    const r = openDataBlock(name);
    try {
      expect(r.latest({ verify: true })?.checksumOk).toBeNull(); // "no checksum", not "corrupt"
    } finally {
      r.close();
    }
  });

  it('stampSlot() refuses ids the ring does not hold, and rejects bad ids', () => {
    const { w, name } = make('Manual', 0, 'packed');
    expect(w.stampSlot(0)).toBe(false); // nothing written yet
    for (let id = 0; id < 6; id++) w.write(record(id));
    expect(w.stampSlot(1)).toBe(false); // overwritten by id 5
    expect(w.stampSlot(6)).toBe(false); // not written yet
    expect(slotEntries(image(name)).every((e) => e.stored === zeros(33))).toBe(true);
    expect(w.stampSlot(5n)).toBe(true);
    expect(slotEntries(image(name))[1]?.stored).toBe(slotEntries(image(name))[1]?.expected);
    expect(() => w.stampSlot(-1)).toThrow(/non-negative integer/);
    expect(() => w.stampSlot(1.5)).toThrow(/non-negative integer/);
  });

  it('a stamp: true write under None stamps that record only, for write and writeRaw', () => {
    const { w, name } = make('None', 0, 'aligned');
    w.write(record(0), { stamp: true });
    w.write(record(1));
    w.writeRaw(new TextEncoder().encode('raw record'), { stamp: true });
    const entries = slotEntries(image(name));
    expect(entries[0]?.stored).toBe(entries[0]?.expected);
    expect(entries[1]?.stored).toBe(zeros(33));
    expect(entries[2]?.stored).toBe(entries[2]?.expected);
    expect(entries[3]?.stored).toBe(zeros(33));
  });
});
