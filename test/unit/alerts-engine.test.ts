// Every default alert rule raised and cleared by the core's own alert engine,
// against real producers: segments in /dev/shm written by createDataBlock, a
// descriptor file that disagrees with its segment, a child process killed with
// SIGKILL, and a real broker stopped and started again. Thresholds are small
// (rules are configurable); every wait has a deadline, nothing is timed.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertDto, AlertRuleName, AlertRules } from '../../preload/contract.js';
import type { AlertEvent } from '../../main/alerts/alert-engine.js';
import { DEFAULT_ALERT_RULES } from '../../main/alerts/rules.js';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { H } from '../../main/datablock/format.js';
import { createDataBlock, type DataBlockWriter } from '../../main/datablock/writer.js';
import { native } from '../../main/native/binding.js';
import { announceProducers } from '../../main/producer/announce.js';
import { spawnNode } from '../support/processes.js';
import { uniqueName, unlinkQuietly, VECTOR_SCHEMA, waitFor } from './datablock-helpers.js';

const TEST_RULES: AlertRules = {
  ...DEFAULT_ALERT_RULES,
  noRecord: { enabled: true, seconds: 0.5 },
  checksumFailures: { enabled: true, seconds: 1 },
  consumerLag: { enabled: true, records: 3 },
  brokerUnreachable: { enabled: true, seconds: 0.2 },
};
/** Heartbeat staleness is the C++ side's fixed 5 s; waiting for it needs more. */
const DEADLINE_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'hubscope-alerts-'));
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function coreWith(services: Parameters<typeof startCore>[0]['services'], tag: string) {
  const events: AlertEvent[] = [];
  const core = await startCore({
    shell: 'browser',
    services,
    alerts: { rulesFile: join(dir, `${tag}-alerts.json`), notifiers: [(e) => void events.push(e)] },
  });
  cleanups.push(() => core.close());
  const set = await core.router.handle('alerts.rules.set', { rules: TEST_RULES });
  expect(set.ok).toBe(true);
  return { core, events };
}

function alertOf(core: HubScopeCore, rule: AlertRuleName, subject: string): AlertDto | undefined {
  return core.bus.latest('alerts')?.active.find((a) => a.rule === rule && a.subject.includes(subject));
}

async function raisedAndCleared(
  core: HubScopeCore,
  events: AlertEvent[],
  rule: AlertRuleName,
  subject: string,
  clear: () => unknown,
): Promise<AlertDto> {
  await waitFor(() => alertOf(core, rule, subject) !== undefined, DEADLINE_MS, `${rule} raised for ${subject}`);
  const raised = alertOf(core, rule, subject)!;
  expect(events.some((e) => e.event === 'raised' && e.alert.id === raised.id)).toBe(true);
  await clear();
  await waitFor(() => alertOf(core, rule, subject) === undefined, DEADLINE_MS, `${rule} cleared for ${subject}`);
  const cleared = core.bus.latest('alerts')!.history.find((a) => a.id === raised.id)!;
  expect(cleared.clearedAt).not.toBeNull();
  expect(Date.parse(cleared.clearedAt!)).toBeGreaterThanOrEqual(Date.parse(cleared.raisedAt));
  expect(cleared.durationMs).toBe(Date.parse(cleared.clearedAt!) - Date.parse(cleared.raisedAt));
  expect(events.some((e) => e.event === 'cleared' && e.alert.id === raised.id)).toBe(true);
  return cleared;
}

function writer(
  tag: string,
  options: Parameters<typeof createDataBlock>[1] = {},
): { name: string; w: DataBlockWriter } {
  const name = uniqueName(tag);
  const w = createDataBlock(name, { slotSize: 64, capacity: 16, ...options });
  cleanups.push(() => {
    w.close();
    unlinkQuietly(name);
  });
  return { name, w };
}

describe('alert rules on segments and channels', () => {
  let core: HubScopeCore;
  let events: AlertEvent[];
  const discoveryDir = join(dir, 'discovery');

  beforeAll(async () => {
    ({ core, events } = await coreWith(
      {
        broker: { mode: 'off' },
        discovery: { dir: discoveryDir, source: 'option', perUser: false, pollIntervalMs: null },
        sampleIntervalMs: 100,
      },
      'segments',
    ));
  });

  it('no record on an active channel: raised while nothing is written, cleared by a new record', async () => {
    const { name, w } = writer('norecord');
    w.writeRaw(new Uint8Array(64));
    const cleared = await raisedAndCleared(core, events, 'noRecord', name, () => w.writeRaw(new Uint8Array(64)));
    expect(cleared.message).toMatch(/^no new record in \/dev\/shm\/.* for \d+ s, although its producer is alive$/);
  });

  it('producer heartbeat stale: raised after 5 s without a heartbeat, cleared by the next one', async () => {
    const { name, w } = writer('heartbeat', { heartbeatIntervalMs: 3_600_000 });
    await raisedAndCleared(core, events, 'heartbeatStale', name, () => w.heartbeat());
  });

  it('producer dead while its segment remains: a killed child process; cleared when the segment is removed', async () => {
    const name = uniqueName('dead');
    cleanups.push(() => unlinkQuietly(name));
    const child: ChildProcess = spawnNode(
      ['--import', 'tsx', join(import.meta.dirname, 'alerts-producer-child.ts'), name],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`the producer child exited early (${code})`)));
    });
    await waitFor(
      () => core.bus.latest('datablocks')?.some((d) => d.name === name && d.alive === true) === true,
      DEADLINE_MS,
      'the child segment',
    );
    expect(alertOf(core, 'producerDead', name)).toBeUndefined();
    child.kill('SIGKILL');
    const cleared = await raisedAndCleared(core, events, 'producerDead', name, () => unlinkQuietly(name));
    expect(cleared.message).toContain(`the producer of /dev/shm/${name} is dead but the segment remains`);
  });

  it('checksum failures rising: raised when the counter rises, cleared once it stays put', async () => {
    const { name, w } = writer('checksum', { checksumPolicy: 'Enforced' });
    w.writeRaw(new Uint8Array(64));
    await waitFor(
      () => core.bus.latest('datablocks')?.some((d) => d.name === name && d.checksumFailures === 0) === true,
      DEADLINE_MS,
      'the segment sampled',
    );
    // The counter a consumer increments when it finds a bad checksum.
    const seg = new (native().Segment)(`/${name}`, 'attach');
    cleanups.push(() => seg.close());
    seg.add64(H.errorCounters + 2 * 8, 3n);
    await raisedAndCleared(core, events, 'checksumFailures', name, () => undefined);
  });

  it('consumer lag over the threshold: raised by unread records, cleared when the consumer catches up', async () => {
    const { name, w } = writer('lag', { syncPolicy: 'Sequential' });
    for (let i = 0; i < 5; i++) w.writeRaw(new Uint8Array(64));
    const seg = new (native().Segment)(`/${name}`, 'attach');
    cleanups.push(() => seg.close());
    // The consumer's read_index moves on as a consumer's would after reading all five.
    const cleared = await raisedAndCleared(core, events, 'consumerLag', name, () => seg.store64(H.readIndex, 5n));
    expect(cleared.message).toContain('are 5 records behind (threshold 3)');
  });

  it('ring overwrites for a Sequential consumer: raised when the producer ran past an unread ring, cleared when it catches up', async () => {
    const { name, w } = writer('overwrite', { syncPolicy: 'Sequential' });
    const seg = new (native().Segment)(`/${name}`, 'attach');
    cleanups.push(() => seg.close());
    // The writer fills the ring (16), a consumer frees 4 slots and the writer commits 4
    // more (20 in all); the consumer's cursor then says it has read none of them, as a
    // consumer's does when its producer ignores the Sequential policy and overwrites:
    // 20 unread records in a 16-slot ring, so 4 were overwritten before they were read.
    for (let i = 0; i < 16; i++) expect(w.writeRaw(new Uint8Array(64))).not.toBe(false);
    seg.store64(H.readIndex, 4n);
    for (let i = 0; i < 4; i++) expect(w.writeRaw(new Uint8Array(64))).not.toBe(false);
    seg.store64(H.readIndex, 0n);
    const cleared = await raisedAndCleared(core, events, 'ringOverwrites', name, () => seg.store64(H.readIndex, 20n));
    expect(cleared.message).toContain('overwrote 4 records its Sequential consumers had not read');
  });

  it('schema mismatch: raised while the descriptor file disagrees with the segment header, cleared when it goes', async () => {
    const channel = `lab.alerts.mismatch${process.pid}`;
    const name = uniqueName('mismatch');
    const w = createDataBlock(name, { schema: { ...VECTOR_SCHEMA, id: channel }, capacity: 4 });
    cleanups.push(() => {
      w.close();
      unlinkQuietly(name);
    });
    const other = {
      id: channel,
      version: 1,
      slot: { packing: 'aligned' as const, fields: [{ name: 'x', type: 'float32' as const }] },
    };
    const announcement = await announceProducers([{ channel, shmName: name, schema: other, config: w.config }], {
      producerName: 'alerts-test',
      discoveryDir,
      brokerEndpoint: null,
    });
    cleanups.push(() => announcement.close());
    const cleared = await raisedAndCleared(core, events, 'schemaMismatch', channel, () => announcement.close());
    expect(cleared.channel).toBe(channel);
    expect(cleared.message).toMatch(/slot schema hash .* but the file says/);
  });
});

describe('alert rule on the broker', () => {
  it('broker unreachable: raised when the real broker stops, cleared when it runs again', async () => {
    // The default (CURVE) broker: the app's link finds its key as a user's link would. An
    // open broker here raced other tests: once any test has made this run's broker.key, the
    // link's local-key fallback speaks CURVE to an open broker and never connects.
    let broker: Broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0' });
    cleanups.push(() => broker.close());
    const endpoint = broker.endpoint;
    const { core, events } = await coreWith(
      { broker: { mode: 'remote', endpoint }, discovery: null, sampleIntervalMs: 100 },
      'broker',
    );
    await waitFor(() => core.bus.latest('broker')?.connection === 'connected', DEADLINE_MS, 'the broker connected');
    await broker.close();
    const cleared = await raisedAndCleared(core, events, 'brokerUnreachable', endpoint, async () => {
      broker = await startBroker({ endpoint });
    });
    expect(cleared.subject).toBe(`broker ${endpoint}`);
  });
});
