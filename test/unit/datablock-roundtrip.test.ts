// Writer -> reader round trips over many configurations, through real /dev/shm segments.
import { statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../../main/native/binding.js';
import { H, geometryOf } from '../../main/datablock/format.js';
import { openDataBlock } from '../../main/datablock/reader.js';
import {
  decodeStruct,
  fingerprintOf,
  layoutOf,
  type ChannelSchema,
  type EncodableValue,
  type StructSchema,
} from '../../main/datablock/schema.js';
import { DataBlockStats } from '../../main/datablock/stats.js';
import { createDataBlock, type CreateOptions, type DataBlockWriter } from '../../main/datablock/writer.js';
import { uniqueName, unlinkQuietly, writerImage } from './datablock-helpers.js';

const open: DataBlockWriter[] = [];
const names: string[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
  for (const n of names.splice(0)) unlinkQuietly(n);
});

function schemaWith(packing: 'aligned' | 'packed', samples: number, flex: boolean): ChannelSchema {
  const slot: StructSchema = {
    packing,
    fields: [
      { name: 'flag', type: 'uint8' },
      { name: 'id', type: 'uint64' },
      { name: 'half', type: 'float64' },
      { name: 'tag', type: 'string', length: 12 },
      { name: 'samples', type: 'int16', count: samples },
    ],
  };
  const s: ChannelSchema = { id: 'rt', version: 3, slot };
  if (flex)
    s.flexzone = {
      packing,
      fields: [
        { name: 'gain', type: 'float32', count: 4 },
        { name: 'note', type: 'string', length: 20 },
      ],
    };
  return s;
}

function recordFor(id: number, samples: number): Record<string, EncodableValue> {
  const arr = new Int16Array(Math.min(samples, 64));
  for (let i = 0; i < arr.length; i++) arr[i] = (id * 7 + i) % 32000;
  return { flag: id & 0xff, id: BigInt(id), half: id / 2, tag: `r${id}`, samples: arr };
}

interface Case {
  capacity: number;
  samples: number;
  packing: 'aligned' | 'packed';
  flexPages: number;
  policy: CreateOptions['policy'];
  syncPolicy: NonNullable<CreateOptions['syncPolicy']>;
  checksumPolicy: CreateOptions['checksumPolicy'];
}

const cases: Case[] = [
  {
    capacity: 1,
    samples: 2,
    packing: 'aligned',
    flexPages: 0,
    policy: 'Single',
    syncPolicy: 'Latest_only',
    checksumPolicy: 'Enforced',
  },
  {
    capacity: 2,
    samples: 8,
    packing: 'packed',
    flexPages: 1,
    policy: 'DoubleBuffer',
    syncPolicy: 'Sequential',
    checksumPolicy: 'None',
  },
  {
    capacity: 3,
    samples: 100,
    packing: 'aligned',
    flexPages: 3,
    policy: 'RingBuffer',
    syncPolicy: 'Sequential_sync',
    checksumPolicy: 'Enforced',
  },
  {
    capacity: 64,
    samples: 2000,
    packing: 'packed',
    flexPages: 0,
    policy: 'RingBuffer',
    syncPolicy: 'Latest_only',
    checksumPolicy: 'Manual',
  },
  {
    capacity: 1024,
    samples: 2,
    packing: 'aligned',
    flexPages: 2,
    policy: 'RingBuffer',
    syncPolicy: 'Latest_only',
    checksumPolicy: 'Enforced',
  },
  {
    capacity: 1024,
    samples: 10,
    packing: 'packed',
    flexPages: 0,
    policy: 'RingBuffer',
    syncPolicy: 'Sequential',
    checksumPolicy: 'None',
  },
  // 4 MiB strides (2M int16 samples + header fields, rounded to 64).
  {
    capacity: 2,
    samples: 2 * 1024 * 1024 - 32,
    packing: 'aligned',
    flexPages: 1,
    policy: 'RingBuffer',
    syncPolicy: 'Latest_only',
    checksumPolicy: 'Enforced',
  },
  {
    capacity: 1,
    samples: 2 * 1024 * 1024 - 32,
    packing: 'packed',
    flexPages: 0,
    policy: 'Single',
    syncPolicy: 'Sequential_sync',
    checksumPolicy: 'None',
  },
];

describe('round trips', () => {
  it.each(cases)('%j', (c) => {
    const name = uniqueName('rt');
    names.push(name);
    const schema = schemaWith(c.packing, c.samples, c.flexPages > 0);
    const w = createDataBlock(name, {
      schema,
      capacity: c.capacity,
      policy: c.policy,
      syncPolicy: c.syncPolicy,
      checksumPolicy: c.checksumPolicy,
      flexZoneSize: c.flexPages * 4096,
    });
    open.push(w);
    const layout = layoutOf(schema.slot);
    const stride = Math.ceil(layout.size / 64) * 64;
    expect(w.config.slotSize).toBe(stride);
    const g = geometryOf(c.capacity, stride, c.flexPages * 4096);
    expect(statSync(`/dev/shm/${name}`).size).toBe(g.total);
    if (c.flexPages > 0) w.setFlexZone({ gain: [1, 2, 3, 4], note: 'calibrated' });

    const sequential = c.syncPolicy !== 'Latest_only';
    // Sequential: a consumer must advance read_index; act as one through a read-write mapping.
    const consumer = sequential ? new (native().Segment)(`/${name}`, 'attach') : null;
    const total = c.capacity * 2 + 1;
    const r = openDataBlock(name);
    try {
      expect(r.report.problems).toEqual([]);
      expect(r.report.valid).toBe(true);
      expect(r.latest()).toBeNull();
      for (let id = 0; id < total; id++) {
        if (sequential && id >= c.capacity) {
          expect(w.write(recordFor(id, c.samples))).toBe(false); // ring full until the consumer reads
          consumer?.store64(H.readIndex, BigInt(id - c.capacity + 1));
        }
        expect(w.write(recordFor(id, c.samples))).toBe(true);
      }
      const h = r.header();
      expect(h).toMatchObject({
        ringBufferCapacity: c.capacity,
        logicalUnitSize: stride,
        flexibleZoneSize: c.flexPages * 4096,
        totalBlockSize: g.total,
        policyName: c.policy,
        consumerSyncPolicyName: c.syncPolicy,
        checksumPolicyName: c.checksumPolicy,
        writeIndex: BigInt(total),
        commitIndex: BigInt(total - 1),
        totalSlotsWritten: BigInt(total),
        slotSchemaHash: fingerprintOf(schema.slot),
        schemaVersion: '3.0.0',
        producerPid: process.pid,
      });
      expect(r.checkSchema(schema).ok).toBe(true);
      const recs = r.recent(c.capacity, { verify: true });
      expect(recs.map((x) => Number(x.id))).toEqual(
        Array.from({ length: c.capacity }, (_, k) => total - c.capacity + k),
      );
      for (const rec of recs) {
        const id = Number(rec.id);
        const d = decodeStruct(layout, rec.bytes);
        expect(d.id).toBe(BigInt(id));
        expect(d.flag).toBe(id & 0xff);
        expect(d.half).toBe(id / 2);
        expect(d.tag).toBe(`r${id}`);
        expect(Array.from(d.samples as Int16Array).slice(0, 3)).toEqual(
          Array.from(recordFor(id, c.samples).samples as Int16Array).slice(0, 3),
        );
        expect(rec.checksumOk).toBe(c.checksumPolicy === 'Enforced' ? true : null);
      }
      expect(r.latest()?.id).toBe(BigInt(total - 1));
      if (c.flexPages > 0 && schema.flexzone) {
        expect(decodeStruct(layoutOf(schema.flexzone), r.flexZone())).toEqual({
          gain: Float32Array.from([1, 2, 3, 4]),
          note: 'calibrated',
        });
        expect(r.verifyFlexZone()).toBe(c.checksumPolicy === 'Enforced' ? true : null);
      }
      expect(r.liveness().state).toBe('alive');
    } finally {
      r.close();
      consumer?.close();
    }
  });
});

describe('stats sampler', () => {
  it('computes records/s, overwrites, Sequential lag and notices a vanished segment', async () => {
    const name = uniqueName('stats');
    names.push(name);
    const w = createDataBlock(name, { slotSize: 128, capacity: 8, syncPolicy: 'Sequential' });
    open.push(w);
    const r = openDataBlock(name);
    try {
      const stats = new DataBlockStats(r);
      expect(stats.sample()).toMatchObject({ error: null, recordsPerSec: 0, totalSlotsWritten: 0n, sequentialLag: 0n });
      for (let i = 0; i < 5; i++) w.writeRaw(new Uint8Array(8));
      await new Promise((res) => setTimeout(res, 50));
      const s = stats.sample();
      expect(s.error).toBeNull();
      expect(s.totalSlotsWritten).toBe(5n);
      expect(s.recordsPerSec).toBeGreaterThan(0);
      expect(s.bytesPerSec).toBe(s.recordsPerSec * 128);
      expect(s.sequentialLag).toBe(5n);
      expect(s.overwrites).toBe(0);
      expect(s.producerAlive).toBe(true);
    } finally {
      r.close();
    }
    const name2 = uniqueName('stats2');
    names.push(name2);
    const w2 = createDataBlock(name2, { slotSize: 64, capacity: 4 });
    open.push(w2);
    const r2 = openDataBlock(name2);
    try {
      const stats = new DataBlockStats(r2);
      for (let i = 0; i < 3; i++) w2.writeRaw(new Uint8Array(8));
      stats.sample();
      for (let i = 0; i < 10; i++) w2.writeRaw(new Uint8Array(8));
      const s = stats.sample();
      expect(s.overwrites).toBe(9); // 13 written into 4 slots: 9 overwritten, all in this interval
      expect(s.overwritesTotal).toBe(9n);
      expect(s.sequentialLag).toBeNull();
      w2.close();
      const gone = stats.sample();
      expect(gone.error).toBeNull(); // unlinked but still mapped: readable, with a warning
      expect(r2.validate().warnings.join(' ')).toMatch(/unlinked/);
    } finally {
      r2.close();
    }
  });
});

describe('writer rules', () => {
  it('rounds stride and flexible zone, refuses an existing name, replaces a stale one', () => {
    const name = uniqueName('rules');
    names.push(name);
    const w = createDataBlock(name, { slotSize: 65, flexZoneSize: 1, capacity: 3 });
    open.push(w);
    expect(w.config).toMatchObject({
      slotSize: 128,
      flexZoneSize: 4096,
      capacity: 3,
      policy: 2,
      syncPolicy: 0,
      checksumPolicy: 0,
    });
    expect(() => createDataBlock(name, { slotSize: 64 })).toThrow(/already exists/);
    expect(() => createDataBlock(name, { slotSize: 64, replaceStale: true })).toThrow(/already exists/); // producer alive
    expect(() => createDataBlock(uniqueName('bad'), { capacity: 0 })).toThrow(/capacity/);
    expect(() => createDataBlock(uniqueName('bad'), { policy: 'Triple' as never })).toThrow(/policy must be one of/);
    expect(() => createDataBlock(uniqueName('bad'), { identity: { hubName: 'x'.repeat(64) } })).toThrow(/hubName/);
    expect(() => w.writeRaw(new Uint8Array(129))).toThrow(/do not fit/);
    // A leftover whose producer is dead (a pid that is not running) is replaced.
    const stale = uniqueName('stale');
    names.push(stale);
    writeFileSync(`/dev/shm/${stale}`, writerImage({ deadProducer: true }));
    expect(() => createDataBlock(stale, { slotSize: 64 })).toThrow(/already exists/);
    const fresh = createDataBlock(stale, { slotSize: 64, replaceStale: true });
    open.push(fresh);
    expect(statSync(`/dev/shm/${stale}`).size).toBe(fresh.geometry.total);
  });
});
