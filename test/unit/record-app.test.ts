// The app's Record button behind the contract (record.start / record.status /
// record.stop through the core's Router): a demo counter producer writes a real
// segment, announced in a temporary discovery directory, and the recording lands in
// the recordings folder given to the core, readable record for record with
// @mcap/core. Bad requests get errors in words.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsIn, recordIdsIn } from '../support/mcap-read.js';
import type { ApiErrorDto, RecordingStatusDto, WireResponse } from '../../preload/contract.js';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { serviceOptionsFrom } from '../../main/core/options.js';
import { startDemoProducers, type DemoRun } from '../../main/datablock/demo.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { openDataBlock } from '../../main/datablock/reader.js';
import { announceProducers, type Announcement } from '../../main/producer/announce.js';
import { defaultRecordingsDir } from '../../main/record/recordings-dir.js';
import { runId } from '../support/run-marker.js';
import { uniqueName, unlinkQuietly, waitFor } from './datablock-helpers.js';

function ok(res: WireResponse): RecordingStatusDto {
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`);
  return res.result as RecordingStatusDto;
}

function failed(res: WireResponse): ApiErrorDto {
  if (res.ok) throw new Error(`expected an error, got ${JSON.stringify(res.result)}`);
  return res.error;
}

describe('the Record button (record.* requests)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-record-app-'));
  const discoveryDir = join(dir, 'discovery');
  const recordingsDir = join(dir, 'recordings');
  const suffix = `.app${runId()}${process.pid}`;
  const channel = `lab.recapp.t${runId()}${process.pid}`;
  const bare = uniqueName('rec-noschema');
  let core: HubScopeCore;
  let demo: DemoRun;
  let announcement: Announcement;
  let plain: DataBlockWriter;
  let segment = '';

  const call = (method: string, params: unknown = null) => core.router.handle(method, params);

  beforeAll(async () => {
    core = await startCore({
      shell: 'browser',
      services: {
        broker: { mode: 'off' },
        discovery: { dir: discoveryDir, source: 'option', perUser: false, pollIntervalMs: null },
        sampleIntervalMs: 200,
        recordingsDir,
      },
      alerts: { rulesFile: null },
    });
    demo = await startDemoProducers({ channels: ['counter'], rates: { counter: 500 }, nameSuffix: suffix });
    segment = demo.producers[0]!.shmName;
    announcement = await announceProducers(
      demo.producers.map((p) => ({ ...p, channel })),
      { producerName: 'record-app-test', discoveryDir, brokerEndpoint: null },
    );
    plain = createDataBlock(bare, { capacity: 8, slotSize: 64 });
    await waitFor(
      () => (core.bus.latest('channels') ?? []).some((r) => r.channel === channel && r.shmName === segment),
      10_000,
      'the demo channel in the channel rows',
    );
  });

  afterAll(async () => {
    await core?.close();
    await announcement?.close();
    await demo?.stop();
    plain?.close();
    unlinkQuietly(bare);
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a channel (named by its channel name) into the recordings folder, read back with @mcap/core', async () => {
    expect(ok(await call('record.status'))).toMatchObject({ state: 'idle', dir: recordingsDir, files: [] });
    const started = ok(await call('record.start', { channels: [channel] }));
    expect(started.state).toBe('recording');
    expect(started.files).toHaveLength(1);
    const path = started.files[0]!;
    expect(path.startsWith(`${recordingsDir}/`)).toBe(true);
    expect(path).toMatch(/\.mcap$/);
    expect(started.channels.map((c) => c.shmName)).toEqual([segment]);

    // A second recording while one runs is refused, naming the running file.
    const again = failed(await call('record.start', { channels: [segment] }));
    expect(again.code).toBe('BAD_REQUEST');
    expect(again.message).toContain('already running');
    expect(again.message).toContain(path);

    // Records arrive while the core polls the ring on its own (no view open).
    let status = started;
    for (let i = 0; i < 300 && status.recorded < 50; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = ok(await call('record.status'));
    }
    expect(status.state).toBe('recording');
    expect(status.recorded).toBeGreaterThanOrEqual(50);
    expect(status.elapsedMs).toBeGreaterThan(0);

    const stopped = ok(await call('record.stop'));
    expect(stopped.state).toBe('idle');
    expect(stopped.files).toEqual([path]);
    expect(stopped.endedAt).not.toBeNull();
    expect(stopped.error).toBeNull();
    expect(stopped.channels[0]?.preBuffered).toBe(0); // no pre-buffer: from the press on
    expect(readdirSync(recordingsDir)).toEqual([path.slice(recordingsDir.length + 1)]);

    const back = await countsIn(path);
    expect(back.topics).toEqual([segment]);
    expect(back.counts.length).toBe(stopped.recorded);
    expect(back.lost).toBe(String(stopped.channels[0]?.lost));
    // Every record once, in order (500 Hz into a ring read every 20 ms loses nothing).
    const first = back.counts[0] ?? 0;
    expect(back.counts).toEqual(back.counts.map((_, i) => first + i));

    // Stopping again changes nothing; the last recording is still described.
    const idle = ok(await call('record.stop'));
    expect(idle).toMatchObject({ state: 'idle', files: [path], recorded: stopped.recorded });
  });

  it('with a pre-buffer, also records what the ring held before the press', async () => {
    const reader = openDataBlock(segment);
    let pressedAt: bigint;
    try {
      pressedAt = reader.commitIndex() ?? 0n;
    } finally {
      reader.close();
    }
    const started = ok(await call('record.start', { channels: [segment], preBufferS: 60 }));
    let status = started;
    for (let i = 0; i < 300 && status.recorded < 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = ok(await call('record.status'));
    }
    const stopped = ok(await call('record.stop'));
    const ids = await recordIdsIn(stopped.files[0]!);
    expect(ids.length).toBe(stopped.recorded);
    // The ring's older records come first, then the ones committed after the press, each once.
    expect(BigInt(ids[0]!)).toBeLessThan(pressedAt);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    expect(ids.at(-1)!).toBeGreaterThan(Number(pressedAt));
    // The status says how many came from before: those up to the newest at the start.
    const before = stopped.channels[0]!.preBuffered;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(ids.length);
    expect(ids[before - 1]!).toBeGreaterThanOrEqual(Number(pressedAt));

    for (const preBufferS of [-1, 3601, Number.NaN, '10']) {
      const bad = failed(await call('record.start', { channels: [segment], preBufferS }));
      expect(bad.code).toBe('BAD_REQUEST');
      expect(bad.message).toMatch(/preBufferS must be a number of seconds from 0 to 3600/);
    }
  });

  it('explains what cannot be recorded, and records nothing', async () => {
    const before = readdirSync(recordingsDir).length;
    const empty = failed(await call('record.start', { channels: [] }));
    expect(empty.code).toBe('BAD_REQUEST');
    expect(empty.message).toMatch(/record\.start needs \{ channels/);
    expect(failed(await call('record.start', { channels: [42] })).code).toBe('BAD_REQUEST');
    expect(failed(await call('record.stop', { now: true })).message).toMatch(/takes no parameters/);

    const noSchema = failed(await call('record.start', { channels: [bare] }));
    expect(noSchema.code).toBe('BAD_REQUEST');
    expect(noSchema.message).toContain(`no schema known for ${bare}`);

    // A schema file outside the allowed folders is refused without being read.
    const outside = join(dir, 'mine.json');
    writeFileSync(outside, '{}');
    const refused = failed(await call('record.start', { channels: [bare], schemaPath: outside }));
    expect(refused.code).toBe('BAD_REQUEST');

    const gone = `hs-test-${runId()}-missing-${process.pid}`;
    const missing = failed(await call('record.start', { channels: [gone] }));
    expect(missing.message).toContain(gone);
    expect(readdirSync(recordingsDir).length).toBe(before);
    expect(ok(await call('record.status')).state).toBe('idle');
  });

  it('takes --recordings-dir, else $XDG_DATA_HOME or ~/.local/share', () => {
    const env = { HOME: '/home/u' };
    expect(defaultRecordingsDir(env)).toBe('/home/u/.local/share/hubscope/recordings');
    expect(defaultRecordingsDir({ ...env, XDG_DATA_HOME: '/data' })).toBe('/data/hubscope/recordings');
    // A relative XDG_DATA_HOME is ignored (XDG base directory spec).
    expect(defaultRecordingsDir({ ...env, XDG_DATA_HOME: 'rel' })).toBe('/home/u/.local/share/hubscope/recordings');
    const base = { broker: 'off', 'no-discovery': true };
    expect(serviceOptionsFrom(base, env).recordingsDir).toBe('/home/u/.local/share/hubscope/recordings');
    expect(serviceOptionsFrom({ ...base, 'recordings-dir': recordingsDir }, env).recordingsDir).toBe(recordingsDir);
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => serviceOptionsFrom({ ...base, 'recordings-dir': file }, env)).toThrow(
      /--recordings-dir .* is not a directory/,
    );
    // The test run itself never points at the user's folder (test/support/global-setup.ts).
    expect(defaultRecordingsDir().startsWith(process.env.HOME ?? '/nonexistent')).toBe(true);
    expect(process.env.XDG_DATA_HOME).toBeUndefined();
  });
});
