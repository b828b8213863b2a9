// The live data path on real shared-memory segments: the ring follower takes every
// record once and in order, counts the ones overwritten before it could read them,
// and a live view answers polls with series decimated to the pixel width.
import { afterEach, describe, expect, it } from 'vitest';
import { openDataBlock, type DataBlockReader } from '../../main/datablock/reader.js';
import type { ChannelSchema } from '../../main/datablock/schema.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { LiveStreams } from '../../main/core/live-stream.js';
import { RingFollower } from '../../main/core/ring-follower.js';
import { uniqueName, unlinkQuietly, waitFor } from './datablock-helpers.js';

const SCHEMA: ChannelSchema = {
  id: 'test.live',
  version: 1,
  slot: {
    packing: 'aligned',
    fields: [
      { name: 'seq', type: 'uint64' },
      { name: 't', type: 'float64' },
      { name: 'volts', type: 'float32', count: 2 },
    ],
  },
};

describe('ring follower', () => {
  const names: string[] = [];
  const writers: DataBlockWriter[] = [];
  const readers: DataBlockReader[] = [];
  afterEach(() => {
    for (const r of readers.splice(0)) r.close();
    for (const w of writers.splice(0)) w.close();
    for (const n of names.splice(0)) unlinkQuietly(n);
  });

  function ring(capacity: number): { writer: DataBlockWriter; reader: DataBlockReader; name: string } {
    const name = uniqueName('live');
    names.push(name);
    const writer = createDataBlock(name, { schema: SCHEMA, capacity, policy: 'RingBuffer', syncPolicy: 'Latest_only' });
    writers.push(writer);
    const reader = openDataBlock(name);
    readers.push(reader);
    return { writer, reader, name };
  }

  const seqOf = (bytes: Uint8Array) => Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

  it('takes every record once, in order, across many takes', () => {
    const { writer, reader } = ring(16);
    const follower = new RingFollower(reader, 'oldest');
    const seen: number[] = [];
    const ids: bigint[] = [];
    let n = 0;
    for (let round = 0; round < 50; round++) {
      const burst = (round * 7) % 13; // 0..12 records, always fewer than the capacity
      for (let k = 0; k < burst; k++, n++) writer.write({ seq: BigInt(n), t: n / 1000, volts: [n, -n] });
      const r = follower.take((id, bytes) => {
        ids.push(id);
        seen.push(seqOf(bytes));
      });
      expect(r.lost).toBe(0);
    }
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => BigInt(i)));
    expect(follower.totalTaken).toBe(n);
    expect(follower.totalLost).toBe(0);
  });

  it('counts records overwritten before they were read as lost, and marks the gap', () => {
    const { writer, reader } = ring(8);
    const follower = new RingFollower(reader, 'oldest');
    const seen: number[] = [];
    const gaps: number[] = [];
    const sink = (_id: bigint, bytes: Uint8Array, gap: boolean) => {
      seen.push(seqOf(bytes));
      if (gap) gaps.push(seqOf(bytes));
    };
    for (let n = 0; n < 5; n++) writer.write({ seq: BigInt(n), t: n, volts: [0, 0] });
    expect(follower.take(sink)).toEqual({ taken: 5, lost: 0 });
    // 20 more while nobody reads: the ring of 8 keeps only the last 8 (17..24).
    for (let n = 5; n < 25; n++) writer.write({ seq: BigInt(n), t: n, volts: [0, 0] });
    expect(follower.take(sink)).toEqual({ taken: 8, lost: 12 });
    expect(seen).toEqual([0, 1, 2, 3, 4, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(gaps).toEqual([17]);
    expect(follower.totalLost).toBe(12);
  });

  it('joining a wrapped ring starts ahead of its tail, so its first take loses nothing', () => {
    const { writer, reader } = ring(8);
    for (let n = 0; n < 30; n++) writer.write({ seq: BigInt(n), t: n, volts: [0, 0] });
    const follower = new RingFollower(reader, 'oldest');
    const seen: number[] = [];
    expect(follower.take((_id, bytes) => seen.push(seqOf(bytes)))).toEqual({ taken: 6, lost: 0 });
    expect(seen).toEqual([24, 25, 26, 27, 28, 29]);
  });

  it('reads nothing before the first commit and never registers as a consumer', () => {
    const { reader } = ring(4);
    const follower = new RingFollower(reader);
    expect(follower.take(() => undefined)).toEqual({ taken: 0, lost: 0 });
    expect(reader.header().consumerHeartbeats).toEqual([]);
    expect(reader.header().activeConsumerCount).toBe(0);
  });

  it('takeLatest copies only the newest record, once', () => {
    const { writer, reader } = ring(4);
    const follower = new RingFollower(reader);
    for (let n = 0; n < 10; n++) writer.write({ seq: BigInt(n), t: n, volts: [0, 0] });
    const seen: number[] = [];
    follower.takeLatest((_id, bytes) => seen.push(seqOf(bytes)));
    follower.takeLatest((_id, bytes) => seen.push(seqOf(bytes)));
    writer.write({ seq: 10n, t: 10, volts: [0, 0] });
    follower.takeLatest((_id, bytes) => seen.push(seqOf(bytes)));
    expect(seen).toEqual([9, 10]);
  });

  it('a live view polls every record into series decimated to the pixel width', () => {
    const { writer, name } = ring(1024);
    const live = new LiveStreams();
    try {
      const info = live.open(name, { schema: SCHEMA, source: 'test' }, { volts: 'V' });
      expect(info.time).toEqual({ field: 't', unit: null, epoch: false });
      expect(info.series.map((s) => s.label)).toEqual(['seq', 'volts[0]', 'volts[1]']);
      expect(info.series[1]?.unit).toBe('V');
      for (let n = 0; n < 1000; n++) writer.write({ seq: BigInt(n), t: n / 1000, volts: [Math.sin(n / 50), n % 7] });
      const frame = live.poll({ streamId: info.streamId, width: 100, windowSec: 10 });
      expect(frame.totalTaken).toBe(1000);
      expect(frame.totalLost).toBe(0);
      const series = frame.series!;
      expect(series.samples).toBe(1000);
      expect(series.x).toBeInstanceOf(Float64Array);
      expect(series.y[0]).toBeInstanceOf(Float32Array);
      expect(series.x.length).toBeLessThanOrEqual(200);
      // Every column's extremes survive: the max of volts[1] is 6, its min 0.
      expect(Math.max(...series.y[2]!)).toBe(6);
      expect(Math.min(...series.y[2]!)).toBe(0);
      expect(frame.state.gone).toBe(false);
    } finally {
      live.closeAll();
    }
  });

  it('a live view of an image channel scales the newest frame to the canvas before it crosses', () => {
    const name = uniqueName('live-img');
    names.push(name);
    const schema: ChannelSchema = {
      id: 'test.image',
      version: 1,
      slot: {
        packing: 'aligned',
        fields: [
          { name: 'width', type: 'uint32' },
          { name: 'height', type: 'uint32' },
          { name: 'pixels', type: 'uint16', count: 36 },
        ],
      },
    };
    const writer = createDataBlock(name, { schema, capacity: 4, policy: 'RingBuffer', syncPolicy: 'Latest_only' });
    writers.push(writer);
    const live = new LiveStreams();
    try {
      const pixels = Array.from({ length: 36 }, (_, i) => i * 100); // 6 x 6, row-major
      writer.write({ width: 6, height: 6, pixels });
      const info = live.open(name, { schema, source: 'test' }, {});
      expect(info.image?.field).toBe('pixels');
      const frame = live.poll({ streamId: info.streamId, width: 100, windowSec: 10, imageWidth: 2, imageHeight: 2 });
      const image = frame.image!;
      expect([image.width, image.height, image.sourceWidth, image.sourceHeight]).toEqual([2, 2, 6, 6]);
      expect(image.pixels).toBeInstanceOf(Uint16Array);
      // Nearest source pixel of each canvas pixel: (1,1), (4,1), (1,4), (4,4).
      expect(Array.from(image.pixels)).toEqual([700, 1000, 2500, 2800]);
      expect([image.min, image.max]).toEqual([700, 2800]);
      // The same frame is not sent twice.
      expect(
        live.poll({ streamId: info.streamId, width: 100, windowSec: 10, imageWidth: 2, imageHeight: 2 }).image,
      ).toBeNull();
    } finally {
      live.closeAll();
    }
  });

  it('a live view says when its segment is gone', async () => {
    const { writer, name } = ring(8);
    const live = new LiveStreams();
    try {
      writer.write({ seq: 0n, t: 0, volts: [0, 0] });
      const info = live.open(name, { schema: SCHEMA, source: 'test' }, {});
      expect(live.poll({ streamId: info.streamId, width: 10, windowSec: 1 }).state.gone).toBe(false);
      unlinkQuietly(name);
      // The segment is re-checked a few times a second; poll until it has been.
      let gone = false;
      await waitFor(
        () => (gone = live.poll({ streamId: info.streamId, width: 10, windowSec: 1 }).state.gone),
        10_000,
        'the view to say the segment is gone',
      );
      expect(gone).toBe(true);
    } finally {
      live.closeAll();
    }
  });
});
