// The services behind the contract, as a shell starts them: an embedded broker on a
// free port, a discovery directory, segments in /dev/shm, and requests through the
// same Router that IPC and WebSocket use.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelRow, DataBlockInspection, Topics } from '../../preload/contract.js';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { announceProducers, type Announcement } from '../../main/producer/announce.js';
import { uniqueName, unlinkQuietly, VECTOR_SCHEMA, waitFor } from './datablock-helpers.js';

describe('HubScope core services', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-core-'));
  const shmName = uniqueName('core');
  const garbage = uniqueName('garbage');
  const channel = `lab.core.t${process.pid}`;
  let core: HubScopeCore;
  let writer: DataBlockWriter;
  let announcement: Announcement;

  const latest = <T extends keyof Topics>(topic: T): Topics[T] | undefined => core.bus.latest(topic);
  const ourRow = (): ChannelRow | undefined => latest('channels')?.find((r) => r.channel === channel);

  beforeAll(async () => {
    core = await startCore({
      shell: 'browser',
      services: {
        broker: { mode: 'embedded', endpoint: 'tcp://127.0.0.1:0' },
        discovery: { dir, source: 'option', perUser: false, pollIntervalMs: null },
        sampleIntervalMs: 200,
      },
    });
    writer = createDataBlock(shmName, {
      schema: { ...VECTOR_SCHEMA, id: channel },
      capacity: 8,
      checksumPolicy: 'Enforced',
    });
    for (let i = 0; i < 20; i++) writer.write({ seq: BigInt(i), value: i * 0.5, flags: i });
    const broker = latest('broker');
    expect(broker?.mode).toBe('embedded');
    announcement = await announceProducers(
      [{ channel, shmName, schema: { ...VECTOR_SCHEMA, id: channel }, config: writer.config }],
      { producerName: 'core-test', discoveryDir: dir, brokerEndpoint: broker?.endpoint ?? null },
    );
  });

  afterAll(async () => {
    await announcement?.close();
    writer?.close();
    await core?.close();
    unlinkQuietly(garbage);
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges the broker registration, the descriptor file and the segment into one active row', async () => {
    await waitFor(() => (ourRow()?.sources.length ?? 0) === 3, 10_000, 'the channel from all three sources');
    const row = ourRow()!;
    expect(row.sources).toEqual(['broker', 'file', 'shm']);
    expect(row.state).toBe('active');
    expect(row.shmName).toBe(shmName);
    expect(row.producer?.name).toBe('core-test');
    expect(row.issues).toEqual([]);
  });

  it('reports throughput of a segment that is being written', async () => {
    const timer = setInterval(() => writer.write({ seq: 1n, value: 1, flags: 1 }), 5);
    try {
      await waitFor(
        () => (latest('datablocks')?.find((d) => d.name === shmName)?.recordsPerSec ?? 0) > 0,
        10_000,
        'a rate',
      );
    } finally {
      clearInterval(timer);
    }
    const row = latest('datablocks')!.find((d) => d.name === shmName)!;
    expect(row).toMatchObject({ valid: true, capacity: 8, stride: 64, alive: true, checksumFailures: 0 });
    expect(BigInt(row.totalSlotsWritten!)).toBeGreaterThanOrEqual(20n);
  });

  it('inspects the segment with the schema from the descriptor file', async () => {
    const response = await core.router.handle('datablock.inspect', { name: shmName, records: 4 });
    expect(response.ok).toBe(true);
    const inspection = (response as { result: DataBlockInspection }).result;
    expect(inspection.valid).toBe(true);
    expect(inspection.schema?.source).toContain('discovery file');
    expect(inspection.records).toHaveLength(4);
    for (const r of inspection.records) {
      expect(r.checksumOk).toBe(true);
      expect(Object.keys(r.fields ?? {})).toEqual(['seq', 'value', 'flags']);
    }
    // Checksums are hashed once, for the records fetched; the slots holding them share the verdict.
    const verdicts = inspection.slots.map((slot) => slot.checksum);
    expect(verdicts.filter((v) => v === 'ok')).toHaveLength(4);
    expect(verdicts.filter((v) => v === 'unverified')).toHaveLength(4);
  });

  it('answers bad requests with errors naming the problem, and keeps serving', async () => {
    expect(await core.router.handle('datablock.inspect', { name: 'no-such-segment-anywhere' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await core.router.handle('datablock.inspect', { name: shmName, records: 100000 })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringContaining('records') },
    });
    expect(await core.router.handle('datablock.inspect', { name: shmName, schemaPath: '/etc/passwd' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect((await core.router.handle('app.info', null)).ok).toBe(true);
  });

  it('lists a garbage segment with its problem instead of failing', async () => {
    const bytes = Buffer.alloc(8192);
    bytes.writeUInt32LE(0x504c4842, 0); // the magic, then nonsense
    bytes.writeUInt32LE(0xffffffff, 0xa4); // absurd capacity
    writeFileSync(`/dev/shm/${garbage}`, bytes);
    await waitFor(() => latest('datablocks')?.some((d) => d.name === garbage) ?? false, 10_000, 'the garbage segment');
    const row = latest('datablocks')!.find((d) => d.name === garbage)!;
    expect(row.valid).toBe(false);
    expect(row.problems.length).toBeGreaterThan(0);
    const response = await core.router.handle('datablock.inspect', { name: garbage });
    if (response.ok) expect((response.result as DataBlockInspection).valid).toBe(false);
    else expect(response.error.message).toContain(garbage);
    // The channel rows follow the datablocks topic a moment later (recomputed once per turn).
    await waitFor(
      () =>
        latest('channels')?.some(
          (r) => r.shmName === garbage && r.issues.some((x) => x.includes('no descriptor file')),
        ) ?? false,
      10_000,
      'the garbage segment as a channel row with its issue',
    );
  });

  it('explains a Sequential channel whose ring is full because nobody consumes it', async () => {
    const name = uniqueName('full');
    const full = createDataBlock(name, { schema: VECTOR_SCHEMA, capacity: 4, syncPolicy: 'Sequential' });
    try {
      for (let i = 0; i < 4; i++) expect(full.write({ seq: BigInt(i), value: i, flags: 0 })).toBe(true);
      await waitFor(
        () =>
          latest('channels')?.some((r) => r.shmName === name && r.issues.some((x) => x.includes('is full'))) ?? false,
        10_000,
        'the full-ring diagnosis',
      );
      expect(latest('datablocks')?.find((d) => d.name === name)).toMatchObject({ lag: 4, capacity: 4 });
    } finally {
      full.close();
    }
  });

  it('flags a descriptor whose segment does not exist, and lists a broken file as a problem', async () => {
    writeFileSync(join(dir, 'broken.channel.json'), '{"format": "hubscope.discovery/1", "channel": ');
    writer.close();
    await waitFor(
      () => ourRow()?.issues.some((i) => i.includes('does not exist')) ?? false,
      10_000,
      'the missing-segment issue',
    );
    await waitFor(
      () => latest('discovery')?.problems.some((p) => p.file === 'broken.channel.json') ?? false,
      10_000,
      'the problem',
    );
  });
});
