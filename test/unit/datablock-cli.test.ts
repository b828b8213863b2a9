// `hubscope inspect`, `ls` and `demo` run as real child processes.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDataBlock } from '../../main/datablock/writer.js';
import { fingerprintOf } from '../../main/datablock/schema.js';
import { runId } from '../support/run-marker.js';
import { spawnNode, spawnNodeSync } from '../support/processes.js';
import {
  TEST_VECTOR,
  VECTOR_SCHEMA,
  testVectorNote,
  uniqueName,
  unlinkQuietly,
  waitFor,
  withoutTestVector,
  writerImage,
} from './datablock-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-cli-'));
const schemaPath = join(dir, 'vector.json');
writeFileSync(schemaPath, JSON.stringify(VECTOR_SCHEMA));
/** A valid segment file of the vector's schema, made by our writer (never skipped). */
const imagePath = join(dir, 'image.bin');
writeFileSync(imagePath, writerImage());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnNodeSync(['--import', 'tsx', 'test/support/cli-from-source.ts', ...args], { timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hubscope inspect', () => {
  it.skipIf(withoutTestVector())(`--json on the test vector file${testVectorNote}`, () => {
    const r = cli('inspect', TEST_VECTOR, '--json', '--schema', schemaPath, '--records', '3');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      name: TEST_VECTOR,
      size: 16384,
      valid: true,
      problems: [],
      era: expect.stringMatching(/newest/),
    });
    expect(j.header).toMatchObject({
      magic: 0x504c4842,
      versionMajor: 1,
      versionMinor: 0,
      totalBlockSize: 16384,
      policy: 2,
      consumerSyncPolicy: 0,
      physicalPageSize: 4096,
      logicalUnitSize: 64,
      ringBufferCapacity: 4,
      flexibleZoneSize: 4096,
      checksumType: 0,
      checksumPolicy: 2,
      writeIndex: 6,
      commitIndex: 5,
      readIndex: 0,
      totalSlotsWritten: 6,
      slotSchemaHash: fingerprintOf(VECTOR_SCHEMA.slot),
      schemaVersion: '1.2.3',
      hubUid: 'hub-uid-0001',
      hubName: 'research-hub',
      producerUid: 'prod-uid-0001',
      producerName: 'research-producer',
    });
    expect(typeof j.header.producerPid).toBe('number');
    expect(j.records).toEqual([
      {
        id: 5,
        index: 1,
        generation: 2,
        checksumPresent: true,
        checksumOk: true,
        fields: { seq: 0x1005, value: 7.5, flags: 0xa5 },
      },
      {
        id: 4,
        index: 0,
        generation: 2,
        checksumPresent: true,
        checksumOk: true,
        fields: { seq: 0x1004, value: 6, flags: 0xa4 },
      },
      {
        id: 3,
        index: 3,
        generation: 1,
        checksumPresent: true,
        checksumOk: true,
        fields: { seq: 0x1003, value: 4.5, flags: 0xa3 },
      },
    ]);
  });

  it('--json on a live segment, name with a leading "/", nothing committed then records', () => {
    const name = uniqueName('cli');
    const w = createDataBlock(name, {
      schema: VECTOR_SCHEMA,
      capacity: 8,
      checksumPolicy: 'Enforced',
      identity: { producerName: 'cli-test' },
    });
    try {
      const empty = JSON.parse(cli('inspect', `/${name}`, '--json').stdout);
      expect(empty).toMatchObject({ name, valid: true, records: [] });
      expect(empty.header.commitIndex).toBeNull();
      for (let n = 0; n < 3; n++) w.write({ seq: BigInt(n), value: n * 2, flags: n });
      const r = cli('inspect', name, '--json', '--schema', schemaPath, '--hex');
      const j = JSON.parse(r.stdout);
      expect(j.header).toMatchObject({
        commitIndex: 2,
        writeIndex: 3,
        producerPid: process.pid,
        producerName: 'cli-test',
      });
      expect(j.liveness).toMatchObject({ state: 'alive', alive: true });
      expect(j.records.map((x: { id: number }) => x.id)).toEqual([2, 1, 0]);
      expect(j.records[0]).toMatchObject({ checksumOk: true, fields: { seq: 2, value: 4, flags: 2 } });
      expect(j.records[0].hex).toMatch(/^[0-9a-f]{128}$/);
      // cli() blocks this process (spawnSync), so the writer's heartbeat timer has not
      // run since the writes; on a loaded machine that was over the 5 s staleness bound.
      w.heartbeat();
      const text = cli('inspect', name);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('liveness:   alive');
    } finally {
      w.close();
    }
  });

  it('explains a missing segment, a bad option and a schema mismatch', () => {
    const missing = cli('inspect', uniqueName('none'), '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      valid: false,
      problems: [expect.stringMatching(/No such file/)],
    });
    const bad = cli('inspect', 'x', '--records', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--records must be a whole number, not "many"/);
    const otherSchema = join(dir, 'other.json');
    writeFileSync(
      otherSchema,
      JSON.stringify({ ...VECTOR_SCHEMA, slot: { ...VECTOR_SCHEMA.slot, packing: 'packed' } }),
    );
    const mismatch = cli('inspect', imagePath, '--schema', otherSchema);
    expect(mismatch.stdout).toMatch(/MISMATCH:.*f589d7f1/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"id": 1}');
    expect(cli('inspect', imagePath, '--schema', broken).stderr).toContain(
      `${broken}: "id" must be a non-empty string`,
    );
  });
});

describe('hubscope ls', () => {
  it('--json lists a live segment with its summary', () => {
    const name = uniqueName('ls');
    const w = createDataBlock(name, { slotSize: 256, capacity: 16 });
    try {
      w.writeRaw(new Uint8Array(4));
      const list = JSON.parse(cli('ls', '--json').stdout) as Array<Record<string, unknown>>;
      expect(list.find((d) => d.name === name)).toMatchObject({
        name,
        size: w.geometry.total,
        capacity: 16,
        stride: 256,
        recordsWritten: 1,
        producerPid: process.pid,
        liveness: 'alive',
        valid: true,
      });
    } finally {
      w.close();
    }
  });
});

describe('hubscope demo', () => {
  it('writes the four demo channels, announces them, and removes everything on Ctrl-C', async () => {
    const suffix = `.t${runId()}${process.pid}`;
    const discoveryDir = mkdtempSync(join(tmpdir(), 'hubscope-demo-discovery-'));
    const child = spawnNode(
      [
        '--import',
        'tsx',
        'test/support/cli-from-source.ts',
        'demo',
        '--suffix',
        suffix,
        '--json',
        '--waveform-hz',
        '200',
        '--camera-fps',
        '2',
        '--broker',
        'off',
        '--discovery-dir',
        discoveryDir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const names = ['waveform', 'counter', 'camera', 'temperature'].map((c) => `lab.demo.${c}${suffix}`);
    try {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('\n'), 20_000, 'demo to start');
      const started = JSON.parse(out) as { producers: Array<{ shmName: string }> };
      expect(started.producers.map((p) => p.shmName).sort()).toEqual([...names].sort());
      const descriptors = ['waveform', 'counter', 'camera', 'temperature'].map((c) => `lab.demo.${c}.channel.json`);
      expect(readdirSync(discoveryDir).sort()).toEqual([...descriptors].sort());
      const list = JSON.parse(cli('ls', '--json').stdout) as Array<{ name: string; valid: boolean; liveness: string }>;
      for (const n of names) expect(list.find((d) => d.name === n)).toMatchObject({ valid: true, liveness: 'alive' });
      const cam = JSON.parse(
        cli('inspect', names[2] ?? '', '--json', '--records', '1', '--schema', 'demo/schemas/lab.demo.camera.json')
          .stdout,
      );
      expect(cam.records[0].fields).toMatchObject({
        width: 1024,
        height: 1024,
        pixels: { length: 1024 * 1024, truncated: true },
      });
      expect(cam.schema.check.ok).toBe(true);
      child.kill('SIGINT');
      const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
      expect(signal).toBe('SIGINT');
      for (const n of names) expect(existsSync(`/dev/shm/${n}`)).toBe(false);
      expect(readdirSync(discoveryDir)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const n of names) unlinkQuietly(n);
      rmSync(discoveryDir, { recursive: true, force: true });
    }
  });
});
