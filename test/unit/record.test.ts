// Recording DataBlock channels to MCAP and replaying them, on real segments and
// real files: what @mcap/core's indexed reader reads back is every record the
// producer wrote (values and count), overwrites are counted in the metadata,
// split files are each valid, and a replay reproduces the values in new segments.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecording } from '../support/mcap-read.js';
import { openDataBlock } from '../../main/datablock/reader.js';
import { decodeStruct, layoutOf, type ChannelSchema, type EncodableValue } from '../../main/datablock/schema.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { jsonSchemaOf } from '../../main/record/json-schema.js';
import { Recorder } from '../../main/record/recorder.js';
import { openRecording } from '../../main/record/recording-file.js';
import { startReplay } from '../../main/record/replay.js';
import { uniqueName, unlinkQuietly } from './datablock-helpers.js';

const SCHEMA: ChannelSchema = {
  id: 'test.record',
  version: 2,
  slot: {
    packing: 'aligned',
    fields: [
      { name: 'seq', type: 'uint64' },
      { name: 'ts', type: 'float64' },
      { name: 'volts', type: 'float32', count: 3 },
      { name: 'big', type: 'int64' },
      { name: 'ok', type: 'bool' },
      { name: 'label', type: 'string', length: 12 },
    ],
  },
};

const T0 = 1_780_000_000; // seconds since the epoch (2026)

function recordOf(n: number): Record<string, EncodableValue> {
  return {
    seq: BigInt(n),
    ts: T0 + n / 1000,
    volts: [n, 1 - n, n / 4],
    // Beyond 2^53 for odd n: written as a decimal string, read back exactly.
    big: n % 2 === 1 ? 9_007_199_254_740_993n + BigInt(n) : BigInt(-n),
    ok: n % 3 === 0,
    label: `rec-${n}`,
  };
}

describe('record and replay (MCAP)', () => {
  const names: string[] = [];
  const writers: DataBlockWriter[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const w of writers.splice(0)) w.close();
    for (const n of names.splice(0)) unlinkQuietly(n);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function producer(tag: string, capacity: number): { name: string; writer: DataBlockWriter } {
    const name = uniqueName(tag);
    names.push(name);
    const writer = createDataBlock(name, { schema: SCHEMA, capacity, policy: 'RingBuffer', syncPolicy: 'Latest_only' });
    writers.push(writer);
    return { name, writer };
  }

  function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'hs-record-'));
    dirs.push(d);
    return d;
  }

  it('writes every record of two channels, readable record for record with @mcap/core', async () => {
    const a = producer('rec-a', 64);
    const b = producer('rec-b', 64);
    const out = join(tempDir(), 'run.mcap');
    const rec = await Recorder.start(
      [
        { shmName: a.name, schema: SCHEMA },
        { shmName: b.name, schema: SCHEMA },
      ],
      { outPath: out },
    );
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 20; k++) {
        const n = round * 20 + k;
        a.writer.write(recordOf(n));
        if (k % 2 === 0) b.writer.write(recordOf(n));
      }
      await rec.poll();
    }
    const summary = await rec.stop();
    expect(summary.files).toEqual([out]);
    expect(summary.channels.map((c) => [c.recorded, c.lost])).toEqual([
      [200, 0],
      [100, 0],
    ]);

    const { messages, metadata, reader } = await readRecording(out);
    const ofA = messages.filter((m) => m.topic === a.name);
    const ofB = messages.filter((m) => m.topic === b.name);
    expect(ofA).toHaveLength(200);
    expect(ofB).toHaveLength(100);
    ofA.forEach((m, n) => {
      const want = recordOf(n);
      expect(m.fields.seq).toBe(n);
      expect(m.fields.ts).toBe(want.ts);
      expect(m.fields.volts).toEqual(want.volts);
      expect(String(m.fields.big)).toBe(String(want.big));
      expect(m.fields.ok).toBe(want.ok);
      expect(m.fields.label).toBe(want.label);
      // Log time is the record's own timestamp field ("ts", seconds since the epoch).
      expect(m.logTime).toBe(BigInt(Math.round((T0 + n / 1000) * 1e6)) * 1000n);
    });
    // The JSON Schema and encodings are what Foxglove/PlotJuggler expect.
    const channel = [...reader.channelsById.values()].find((c) => c.topic === a.name);
    expect(channel?.messageEncoding).toBe('json');
    const schema = reader.schemasById.get(channel?.schemaId ?? -1);
    expect(schema?.encoding).toBe('jsonschema');
    expect(JSON.parse(new TextDecoder().decode(schema?.data))).toEqual(jsonSchemaOf(SCHEMA));
    expect(reader.chunkIndexes.length).toBeGreaterThan(0);
    expect(metadata.get(`recorded.${a.name}`)).toBe('200');
    expect(metadata.get('lost')).toBe('0');
  });

  it('counts records lost to ring overwrite in the file metadata', async () => {
    const a = producer('rec-lost', 4);
    const out = join(tempDir(), 'lost.mcap');
    const rec = await Recorder.start([{ shmName: a.name, schema: SCHEMA }], { outPath: out });
    // 3 records per poll fit the ring of 4; 10 per poll overwrite 6 of them before the recorder copies.
    let n = 0;
    for (let k = 0; k < 3; k++) a.writer.write(recordOf(n++));
    await rec.poll();
    for (let k = 0; k < 10; k++) a.writer.write(recordOf(n++));
    await rec.poll();
    const summary = await rec.stop();
    expect(summary.channels[0]).toMatchObject({ recorded: 7, lost: 6 });
    const { messages, metadata } = await readRecording(out);
    expect(messages.map((m) => m.fields.seq)).toEqual([0, 1, 2, 9, 10, 11, 12]);
    expect(metadata.get(`lost.${a.name}`)).toBe('6');
    expect(metadata.get('lost')).toBe('6');
  });

  it('splits at a size limit into several files, each complete and valid', async () => {
    const a = producer('rec-split', 256);
    const base = join(tempDir(), 'split.mcap');
    const rec = await Recorder.start([{ shmName: a.name, schema: SCHEMA }], { outPath: base, splitBytes: 16_384 });
    const total = 2000;
    for (let n = 0; n < total; n++) {
      a.writer.write(recordOf(n));
      if (n % 100 === 99) await rec.poll();
    }
    const summary = await rec.stop();
    expect(summary.files.length).toBeGreaterThan(2);
    expect(summary.files[0]).toMatch(/split-0001\.mcap$/);
    const seqs: unknown[] = [];
    let recordedInMetadata = 0;
    for (const f of summary.files) {
      expect(statSync(f).size).toBeGreaterThan(0);
      const { messages, metadata } = await readRecording(f);
      seqs.push(...messages.map((m) => m.fields.seq));
      recordedInMetadata += Number(metadata.get(`recorded.${a.name}`));
    }
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(recordedInMetadata).toBe(total);
  });

  it('replays a recording into a new segment with the same values', async () => {
    const a = producer('rec-replay', 64);
    const out = join(tempDir(), 'replay.mcap');
    const rec = await Recorder.start([{ shmName: a.name, schema: SCHEMA }], { outPath: out });
    for (let n = 0; n < 40; n++) a.writer.write(recordOf(n));
    await rec.poll();
    await rec.stop();

    const recording = await openRecording(out);
    try {
      expect(recording.channels.map((c) => [c.topic, c.capacity])).toEqual([[a.name, 64]]);
      const replay = startReplay(recording, { rate: Infinity, suffix: '.rp' });
      names.push(`${a.name}.rp`);
      try {
        await replay.done;
        expect(replay.segments[0]?.written).toBe(40);
        const reader = openDataBlock(`${a.name}.rp`);
        try {
          const layout = layoutOf(SCHEMA.slot);
          const back = reader.recent(40).map((r) => decodeStruct(layout, r.bytes));
          expect(back).toHaveLength(40);
          back.forEach((f, n) => {
            const want = recordOf(n);
            expect(f.seq).toBe(BigInt(n));
            expect(f.ts).toBe(want.ts);
            expect(Array.from(f.volts as Float32Array)).toEqual(want.volts);
            expect(f.big).toBe(want.big);
            expect(f.ok).toBe(want.ok);
            expect(f.label).toBe(want.label);
          });
        } finally {
          reader.close();
        }
      } finally {
        replay.close();
      }
    } finally {
      await recording.close();
    }
  });

  it('refuses to overwrite an existing file and names a missing segment', async () => {
    const a = producer('rec-exists', 8);
    const out = join(tempDir(), 'exists.mcap');
    const first = await Recorder.start([{ shmName: a.name, schema: SCHEMA }], { outPath: out });
    await first.stop();
    await expect(Recorder.start([{ shmName: a.name, schema: SCHEMA }], { outPath: out })).rejects.toThrow(
      /already exists/,
    );
    const missing = uniqueName('rec-missing');
    await expect(
      Recorder.start([{ shmName: missing, schema: SCHEMA }], { outPath: join(tempDir(), 'x.mcap') }),
    ).rejects.toThrow(missing);
  });
});
