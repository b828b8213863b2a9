// `hubscope record` and `hubscope replay` as real processes, on a real `hubscope
// demo` producer (temporary discovery directory, no broker): the recording holds
// consecutive counter records read back with @mcap/core, and replay writes them
// into new segments, announced with a descriptor file carrying the recorded schema,
// that Ctrl-C (or the end of an --exit replay) removes with their descriptors.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countsIn } from '../support/mcap-read.js';
import { openDataBlock } from '../../main/datablock/reader.js';
import { decodeStruct, layoutOf, parseSchema } from '../../main/datablock/schema.js';
import { scanDiscoveryDir } from '../../main/discovery/scan.js';
import { runId } from '../support/run-marker.js';
import { CLI, spawnNodeSync, startCli, stopProcess, type Started } from '../support/processes.js';
import { unlinkQuietly } from './datablock-helpers.js';
import { readFileSync } from 'node:fs';

const COUNTER_SCHEMA = parseSchema(JSON.parse(readFileSync('demo/schemas/lab.demo.counter.json', 'utf8')));

describe('hubscope record / replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-record-cli-'));
  const discoveryDir = join(dir, 'discovery');
  const suffix = `.r${runId()}${process.pid}`;
  const counter = `lab.demo.counter${suffix}`;
  const children: Started[] = [];
  // Replays announce into the test's directory, and register with no broker.
  const announceIn = ['--discovery-dir', discoveryDir, '--broker', 'off'];
  afterAll(async () => {
    for (const c of children) await stopProcess(c.child);
    for (const n of [counter, `${counter}.replay`, `${counter}.again`, `${counter}.term`]) unlinkQuietly(n);
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a live demo channel and replays it into a new segment', async () => {
    const demo = await startCli(
      [
        'demo',
        '--only',
        'counter',
        '--counter-hz',
        '500',
        '--suffix',
        suffix,
        '--broker',
        'off',
        '--discovery-dir',
        discoveryDir,
        '--json',
      ],
      /"producers"/,
    );
    children.push(demo);
    const out = join(dir, 'counter.mcap');
    // The schema comes from the demo's discovery descriptor.
    const rec = spawnNodeSync(
      [CLI, 'record', counter, '--duration', '1', '-o', out, '--discovery-dir', discoveryDir, '--json'],
      {
        timeout: 30_000,
      },
    );
    expect(rec.stderr).toBe('');
    expect(rec.status).toBe(0);
    const summary = JSON.parse(rec.stdout) as { files: string[]; channels: Array<{ recorded: number; lost: number }> };
    expect(summary.files).toEqual([out]);
    const recorded = await countsIn(out);
    expect(recorded.counts.length).toBe(summary.channels[0]?.recorded);
    expect(recorded.counts.length).toBeGreaterThan(10);
    expect(recorded.lost).toBe(String(summary.channels[0]?.lost));
    // Every record once, in order (no overwrite at 500 Hz into a ring read every 20 ms).
    const first = recorded.counts[0] ?? 0;
    expect(recorded.counts).toEqual(recorded.counts.map((_, i) => first + i));

    const replayDescriptors = async () =>
      (await scanDiscoveryDir(discoveryDir)).entries.filter((e) => e.descriptor.shmName.includes(`${counter}.`));

    // Replay as fast as possible, then exit (the segments and their descriptors go with it).
    const fast = spawnNodeSync(
      [CLI, 'replay', out, '--rate', '0', '--suffix', '.again', '--exit', '--json', ...announceIn],
      { timeout: 30_000 },
    );
    expect(fast.status).toBe(0);
    const lines = fast.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[1]).toEqual({
      done: true,
      written: [{ shmName: `${counter}.again`, written: recorded.counts.length }],
    });
    expect(existsSync(`/dev/shm/${counter}.again`)).toBe(false);
    expect(lines[0]?.notes).toEqual([`descriptors published in ${discoveryDir}`]);
    expect(await replayDescriptors()).toEqual([]);

    // Replay and stay: the new segment holds the recorded values until Ctrl-C, and is
    // announced as a channel of its own name with the recorded schema.
    const replay = await startCli(['replay', out, '--rate', '0', '--json', ...announceIn], /"done":true/);
    children.push(replay);
    const announced = await replayDescriptors();
    expect(announced.map((e) => [e.channel, e.descriptor.shmName.replace(/^\//, ''), e.status])).toEqual([
      [`${counter}.replay`, `${counter}.replay`, 'live'],
    ]);
    expect(announced[0]?.schema).toEqual(COUNTER_SCHEMA);
    expect(announced[0]?.descriptor.pid).toBe(replay.child.pid);
    expect(announced[0]?.descriptor.producer.name).toBe('hubscope replay');
    const reader = openDataBlock(`${counter}.replay`);
    try {
      const layout = layoutOf(COUNTER_SCHEMA.slot);
      const latest = reader.latest();
      expect(latest && decodeStruct(layout, latest.bytes).count).toBe(BigInt(recorded.counts.at(-1) ?? -1));
    } finally {
      reader.close();
    }
    replay.child.kill('SIGINT');
    await new Promise((r) => replay.child.once('exit', r));
    expect(replay.child.signalCode).toBe('SIGINT');
    expect(existsSync(`/dev/shm/${counter}.replay`)).toBe(false);
    expect(await replayDescriptors()).toEqual([]);

    // SIGTERM (a supervisor) removes them the same way, even mid-replay at the recorded pace.
    const paced = await startCli(['replay', out, '--suffix', '.term', '--json', ...announceIn], /"segments"/);
    children.push(paced);
    expect((await replayDescriptors()).map((e) => e.channel)).toEqual([`${counter}.term`]);
    paced.child.kill('SIGTERM');
    await new Promise((r) => paced.child.once('exit', r));
    expect(paced.child.signalCode).toBe('SIGTERM');
    expect(existsSync(`/dev/shm/${counter}.term`)).toBe(false);
    expect(await replayDescriptors()).toEqual([]);
  });

  it('explains bad input', () => {
    const none = spawnNodeSync([CLI, 'record', '-o', join(dir, 'x.mcap')], { timeout: 30_000 });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/at least one channel/);
    const noSchema = spawnNodeSync([CLI, 'record', `missing${suffix}`, '-o', join(dir, 'y.mcap'), '--no-discovery'], {
      timeout: 30_000,
    });
    expect(noSchema.status).toBe(2);
    expect(noSchema.stderr).toMatch(/no schema for missing/);
    const bad = spawnNodeSync([CLI, 'replay', join(dir, 'nothing.mcap')], { timeout: 30_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/cannot open .*nothing\.mcap/);
  });
});
