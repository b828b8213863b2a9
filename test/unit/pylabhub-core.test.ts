// The core with a pylabhub hub (--pylabhub) against the hub double and a producer
// double over real sockets: the pylabhub topic, one channel row, and the consumer
// seat: taken only on pylabhub.attach, refused where the hub has no seat, given back
// when the hand-over fails, on detach and when the core closes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PylabhubAttachDto, WireResponse } from '../../preload/contract.js';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { generateKeyPair, writeKeyFile } from '../../main/keys/index.js';
import { hubscopeConsumerUid } from '../../main/pylabhub/allow-list-command.js';
import { PylabhubHubDouble } from '../support/pylabhub-hub-double.js';
import { startShmProducer, type ProducerBehaviour, type ShmProducerDouble } from '../support/pylabhub-shm-producer.js';
import { waitFor, writerImage } from './datablock-helpers.js';

const PRODUCER_UID = 'prod.coretest.p00000001';

describe('core with a pylabhub hub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-plh-core-'));
  const own = generateKeyPair();
  const keyFile = join(dir, 'hubscope.key');
  const hubKeyFile = join(dir, 'hub.pubkey');
  const consumerUid = hubscopeConsumerUid(own.publicKey);
  let hub: PylabhubHubDouble;
  let core: HubScopeCore | undefined;
  const producers: ShmProducerDouble[] = [];
  let beat: NodeJS.Timeout | undefined;

  async function channel(name: string, behaviour: ProducerBehaviour, topology: 'one-to-one' | 'fan-out') {
    const producer = await startShmProducer({ dir, channel: name, image: writerImage(), behaviour });
    producers.push(producer);
    hub.addChannel({
      name,
      producerUid: PRODUCER_UID,
      producerPid: process.pid,
      producerPubkey: producer.publicKey,
      transport: 'shm',
      endpoint: producer.endpoint,
      topology,
      shmMetrics: null,
    });
    hub.heartbeat(name, PRODUCER_UID);
    return producer;
  }

  async function request(method: string, params: unknown): Promise<WireResponse> {
    return core!.router.handle(method, params);
  }

  async function startTheCore(): Promise<HubScopeCore> {
    core = await startCore({
      shell: 'browser',
      services: {
        broker: { mode: 'off' },
        discovery: null,
        sampleIntervalMs: 1000,
        pylabhub: [{ endpoint: hub.endpoint, hubKeyFile, keyFile, createKey: false }],
      },
      alerts: { rulesFile: null },
    });
    await waitFor(
      () =>
        core!.bus.latest('pylabhub')?.[0]?.state === 'reachable' &&
        (core!.bus.latest('pylabhub')?.[0]?.channels.length ?? 0) >= 3,
      10_000,
      'the hub reachable with its channels',
    );
    return core;
  }

  beforeAll(async () => {
    writeKeyFile(keyFile, own);
    hub = await PylabhubHubDouble.start({
      knownRoles: [{ name: 'hubscope', uid: consumerUid, role: 'any', pubkey_z85: own.publicKey }],
    });
    writeFileSync(hubKeyFile, hub.publicKey);
    await channel('lab.core.fanout', 'hand-over', 'fan-out');
    await channel('lab.core.taken', 'hand-over', 'one-to-one');
    await channel('lab.core.deny', 'deny', 'fan-out');
    beat = setInterval(() => {
      for (const name of ['lab.core.fanout', 'lab.core.taken', 'lab.core.deny']) hub.heartbeat(name, PRODUCER_UID);
    }, 500);
  });

  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  afterAll(async () => {
    clearInterval(beat);
    await Promise.all(producers.map((p) => p.close()));
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the hub and one row per channel, with nothing registered on the hub', async () => {
    await startTheCore();
    const [status] = core!.bus.latest('pylabhub')!;
    expect(status!.endpoint).toBe(hub.endpoint);
    expect(status!.roles).toContain(PRODUCER_UID);
    await waitFor(() => (core!.bus.latest('channels') ?? []).length === 3, 5_000, 'three channel rows');
    const row = core!.bus.latest('channels')!.find((r) => r.channel === 'lab.core.fanout')!;
    expect(row.sources).toEqual(['pylabhub']);
    expect(row.pylabhub?.attach).toMatchObject({ enabled: true, attached: false });
    // A monitor only: no consumer registration until the user asks.
    expect(hub.received.filter((m) => m.msgType === 'CONSUMER_REG_REQ')).toEqual([]);
  });

  it('attach takes a seat and hands the DataBlock to the inspector; detach gives it back', async () => {
    await startTheCore();
    const attached = await request('pylabhub.attach', { hub: hub.endpoint, channel: 'lab.core.fanout' });
    expect(attached.ok).toBe(true);
    const dto = (attached as { result: PylabhubAttachDto }).result;
    expect(dto).toMatchObject({
      consumerUid,
      producerUid: PRODUCER_UID,
      handover: { segment: 'memfd:lab.core.fanout' },
    });
    expect(hub.consumersOf('lab.core.fanout')).toEqual([consumerUid]);
    const inspected = await request('datablock.inspect', { name: 'memfd:lab.core.fanout', records: 4 });
    expect(inspected).toMatchObject({ ok: true, result: { valid: true } });
    expect((inspected as { result: { records: unknown[] } }).result.records).toHaveLength(4);
    const detached = await request('pylabhub.detach', { hub: hub.endpoint, channel: 'lab.core.fanout' });
    expect(detached).toEqual({ ok: true, result: null });
    expect(hub.consumersOf('lab.core.fanout')).toEqual([]);
    // The name no longer opens anything once detached.
    expect(await request('datablock.inspect', { name: 'memfd:lab.core.fanout' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('closing the core gives every seat back', async () => {
    await startTheCore();
    expect((await request('pylabhub.attach', { hub: hub.endpoint, channel: 'lab.core.fanout' })).ok).toBe(true);
    expect(hub.consumersOf('lab.core.fanout')).toEqual([consumerUid]);
    await core!.close();
    core = undefined;
    expect(hub.consumersOf('lab.core.fanout')).toEqual([]);
  });

  it('a one-to-one channel whose seat is taken: the action is disabled with the reason, and refused', async () => {
    const first = await startTheCore();
    expect((await request('pylabhub.attach', { hub: hub.endpoint, channel: 'lab.core.taken' })).ok).toBe(true);
    // A second app (another core) sees the seat taken.
    core = undefined;
    let second: HubScopeCore | undefined;
    try {
      second = await startTheCore();
      await waitFor(
        () => second!.bus.latest('channels')?.find((r) => r.channel === 'lab.core.taken')?.consumerCount === 1,
        5_000,
        'the consumer counted',
      );
      const row = second.bus.latest('channels')!.find((r) => r.channel === 'lab.core.taken')!;
      expect(row.pylabhub?.attach).toEqual({
        enabled: false,
        // Monitors do not learn the topology (DISC_ACK has none): the hub's default, one-to-one, is assumed.
        reason: "the hub does not say this channel's topology; the default one-to-one admits one consumer and it has 1",
        attached: false,
      });
      const refused = await second.router.handle('pylabhub.attach', { hub: hub.endpoint, channel: 'lab.core.taken' });
      expect(refused).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      expect((refused as { error: { message: string } }).error.message).toMatch(/one-to-one channel/);
      expect(hub.consumersOf('lab.core.taken')).toEqual([consumerUid]);
    } finally {
      await second?.close();
      await first.close();
    }
    expect(hub.consumersOf('lab.core.taken')).toEqual([]);
  });

  it('a failed hand-over gives the seat back and says why; bad requests are named', async () => {
    await startTheCore();
    const denied = await request('pylabhub.attach', { hub: hub.endpoint, channel: 'lab.core.deny' });
    expect(denied).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect((denied as { error: { message: string } }).error.message).toMatch(
      /^registered as consumer of lab\.core\.deny, but the producer's hand-over failed: .*The consumer seat was given back\.$/,
    );
    expect(hub.consumersOf('lab.core.deny')).toEqual([]);
    expect(await request('pylabhub.attach', { hub: 'tcp://127.0.0.1:1', channel: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringContaining('No pylabhub hub tcp://127.0.0.1:1 is monitored') },
    });
    expect(await request('pylabhub.attach', { hub: hub.endpoint })).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    expect(await request('pylabhub.detach', { hub: hub.endpoint, channel: 'lab.core.fanout' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });
});
