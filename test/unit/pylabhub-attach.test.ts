// An attached consumer's liveness against the hub double (test/support/pylabhub-hub-double.ts)
// over real sockets, with short liveness settings (interval 100 ms, 3 missed heartbeats
// to Pending, 3 more to removal): HubScope's HEARTBEAT_NOTIFY keeps the seat well past
// the removal time, detach gives it back, the hub's CHANNEL_CLOSING_NOTIFY ends the
// attachment, an ERROR nobody waits for is a problem, and a lost CONSUMER_REG_ACK does
// not leave the seat held; in the app, the hub's close lets the handed-over DataBlock
// go and the pylabhub topic says why. Waits are for states, not for durations, except where the
// point is that the hub would have removed a silent consumer by then.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PylabhubAttachmentStatus, type PylabhubMonitor } from '../../main/pylabhub/monitor.js';
import { PylabhubHubDouble } from '../support/pylabhub-hub-double.js';
import {
  ATTACH_PRODUCER_UID as PROD,
  attachKeys,
  startAttachHub,
  type AttachHub,
} from '../support/pylabhub-attach-fixture.js';
import { startShmProducer } from '../support/pylabhub-shm-producer.js';
import { waitFor, writerImage } from './datablock-helpers.js';

const INTERVAL_MS = 100;
const MISS = 3;
/** Pending after INTERVAL × MISS silent, removed after INTERVAL × MISS more. */
const REMOVAL_MS = INTERVAL_MS * MISS * 2;

const keys = attachKeys('hubscope-plh-attach-');
const { dir, ownUid: OWN_UID } = keys;

let fx: AttachHub;
let hub: PylabhubHubDouble;
const live = new Set<string>();

const monitor = (requestTimeoutMs = 1000): PylabhubMonitor => fx.monitor({ requestTimeoutMs });
/** A fan-out shm channel whose producer the test keeps alive (it heartbeats for itself). */
const channel = (name: string): void => fx.channel(name);

function consumerCount(m: PylabhubMonitor, name: string): number | null {
  return m.snapshot().channels.find((c) => c.name === name)?.consumerCount ?? null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fx = await startAttachHub(keys, { intervalMs: INTERVAL_MS, miss: MISS, live });
  hub = fx.hub;
});
afterEach(async () => {
  await fx.closeMonitors();
});
afterAll(async () => {
  await fx.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('an attached consumer', () => {
  it('heartbeats at the ACK interval and keeps its seat well past the removal time; detach frees it', async () => {
    channel('lab.attach.stay');
    const m = monitor();
    await m.refresh();
    await m.attachAsConsumer('lab.attach.stay', OWN_UID);
    expect(hub.consumerState('lab.attach.stay', OWN_UID)).toBe('Connected');
    // A consumer without heartbeats is removed after REMOVAL_MS; three times that later it is still there.
    await sleep(REMOVAL_MS * 3);
    expect(hub.consumersOf('lab.attach.stay')).toEqual([OWN_UID]);
    expect(hub.consumerState('lab.attach.stay', OWN_UID)).toBe('Connected');
    expect((await m.refresh()).channels.find((c) => c.name === 'lab.attach.stay')?.consumerCount).toBe(1);
    expect(hub.heartbeatsOf('lab.attach.stay', OWN_UID)).toBeGreaterThanOrEqual(3);

    const beats = hub.received.filter((r) => r.msgType === 'HEARTBEAT_NOTIFY' && r.identity === OWN_UID);
    expect(beats[0]!.correlationId).toBe(''); // a NOTIFY
    expect(beats[0]!.body).toMatchObject({
      channel_name: 'lab.attach.stay',
      role_uid: OWN_UID,
      role_type: 'consumer',
      producer_pid: process.pid,
      consumer_pid: process.pid,
    });
    expect(hub.logged.filter((l) => l.includes(OWN_UID))).toEqual([]); // own pid, never 0
    const status = m.snapshot().attachments.find((a) => a.channel === 'lab.attach.stay')!;
    expect(status).toMatchObject({ state: 'attached', heartbeatIntervalMs: INTERVAL_MS, problem: null });
    expect(status.heartbeatsSent).toBeGreaterThanOrEqual(3);

    await m.detach('lab.attach.stay');
    expect(hub.consumersOf('lab.attach.stay')).toEqual([]);
    expect((await m.refresh()).channels.find((c) => c.name === 'lab.attach.stay')?.consumerCount).toBe(0);
    const afterDetach = hub.received.length;
    await sleep(INTERVAL_MS * 3);
    // No heartbeat after the DEREG.
    const late = hub.received.slice(afterDetach).filter((r) => r.identity === OWN_UID);
    expect(late).toEqual([]);
    expect(m.snapshot().attachments).toEqual([]);
    live.delete('lab.attach.stay');
    hub.removeChannel('lab.attach.stay');
  });

  it('ends when the hub closes the channel, with the reason, and stops heartbeating', async () => {
    channel('lab.attach.closing');
    const m = monitor();
    await m.refresh();
    const endedEvents: PylabhubAttachmentStatus[] = [];
    m.onAttachmentEnded((a) => endedEvents.push(a));
    await m.attachAsConsumer('lab.attach.closing', OWN_UID);
    await waitFor(() => hub.heartbeatsOf('lab.attach.closing', OWN_UID) >= 1, 5_000, 'a first heartbeat');
    live.delete('lab.attach.closing');
    hub.closeChannel('lab.attach.closing');
    await waitFor(() => endedEvents.length === 1, 5_000, 'the attachment ended');
    expect(endedEvents[0]).toMatchObject({
      channel: 'lab.attach.closing',
      state: 'ended',
      endedReason: 'the hub closed lab.attach.closing (admin_requested)',
    });
    expect(m.snapshot().attachments).toMatchObject([{ channel: 'lab.attach.closing', state: 'ended' }]);
    await expect(m.detach('lab.attach.closing')).rejects.toThrow(/not attached/);
    const after = hub.received.length;
    await sleep(INTERVAL_MS * 3);
    expect(hub.received.slice(after).filter((r) => r.identity === OWN_UID)).toEqual([]);
  });

  it('ends on a producer that timed out (pending_timeout)', async () => {
    channel('lab.attach.timeout');
    const m = monitor();
    await m.refresh();
    await m.attachAsConsumer('lab.attach.timeout', OWN_UID);
    live.delete('lab.attach.timeout'); // the producer falls silent
    await waitFor(
      () => m.snapshot().attachments.some((a) => a.channel === 'lab.attach.timeout' && a.state === 'ended'),
      5_000,
      'the attachment ended',
    );
    expect(m.snapshot().attachments.find((a) => a.channel === 'lab.attach.timeout')?.endedReason).toBe(
      'the hub closed lab.attach.timeout (pending_timeout)',
    );
  });

  it('records an ERROR from the hub that answers no request as a heartbeat problem', async () => {
    channel('lab.attach.error');
    const m = monitor();
    await m.refresh();
    await m.attachAsConsumer('lab.attach.error', OWN_UID);
    hub.sendTo(OWN_UID, 'ERROR', PylabhubHubDouble.nonce(), {
      status: 'error',
      error_code: 'NOT_A_ROLE_OF_CHANNEL',
      message: `${OWN_UID} is not on lab.attach.error`,
    });
    await waitFor(
      () => (m.snapshot().attachments.find((a) => a.channel === 'lab.attach.error')?.problem ?? null) !== null,
      5_000,
      'the problem recorded',
    );
    expect(m.snapshot().attachments.find((a) => a.channel === 'lab.attach.error')).toMatchObject({
      state: 'attached',
      problem: expect.stringMatching(/^the hub sent ERROR NOT_A_ROLE_OF_CHANNEL: /),
    });
    await m.detach('lab.attach.error');
    live.delete('lab.attach.error');
    hub.removeChannel('lab.attach.error');
  });

  it('gives the seat back when the CONSUMER_REG_ACK is lost', async () => {
    channel('lab.attach.lost');
    // Shorter than REMOVAL_MS: the hub still holds the registration when the time-out comes.
    const m = monitor(REMOVAL_MS / 2);
    await m.refresh();
    hub.hostile.badHashFor.add('CONSUMER_REG_ACK'); // HubScope drops the ACK: a time-out
    try {
      await expect(m.attachAsConsumer('lab.attach.lost', OWN_UID)).rejects.toThrow(
        /cannot attach to lab\.attach\.lost: no reply to CONSUMER_REG_REQ within 300 ms; the registration the hub had made was given back/,
      );
    } finally {
      hub.hostile.badHashFor.delete('CONSUMER_REG_ACK');
    }
    const deregs = hub.received.filter(
      (r) => r.msgType === 'CONSUMER_DEREG_REQ' && r.body.channel_name === 'lab.attach.lost',
    );
    expect(deregs.map((r) => r.identity)).toEqual([OWN_UID]);
    expect(hub.consumersOf('lab.attach.lost')).toEqual([]);
    await m.refresh();
    expect(consumerCount(m, 'lab.attach.lost')).toBe(0);
    live.delete('lab.attach.lost');
    hub.removeChannel('lab.attach.lost');
  });
});

describe('the app when the hub closes an attached channel', () => {
  it('lets the handed-over DataBlock go and says why in the pylabhub topic', async () => {
    const name = 'lab.attach.core';
    const producer = await startShmProducer({ dir, channel: name, image: writerImage(), behaviour: 'hand-over' });
    const core = await fx.app();
    try {
      hub.addChannel({
        name,
        producerUid: PROD,
        producerPid: process.pid,
        producerPubkey: producer.publicKey,
        transport: 'shm',
        endpoint: producer.endpoint,
        topology: 'fan-out',
        shmMetrics: null,
      });
      hub.heartbeat(name, PROD);
      live.add(name);
      const topic = () => core.bus.latest('pylabhub')?.[0];
      await waitFor(
        () => topic()?.channels.some((c) => c.name === name && c.transport === 'shm') ?? false,
        10_000,
        'the channel listed',
      );
      expect(await core.router.handle('pylabhub.attach', { hub: hub.endpoint, channel: name })).toMatchObject({
        ok: true,
        result: { handover: { segment: `memfd:${name}` } },
      });
      expect(await core.router.handle('datablock.inspect', { name: `memfd:${name}` })).toMatchObject({ ok: true });
      expect(topic()?.attached).toMatchObject([{ channel: name, problem: null }]);

      live.delete(name);
      hub.closeChannel(name);
      await waitFor(() => (topic()?.ended ?? []).some((e) => e.channel === name), 5_000, 'the attachment ended');
      expect(topic()?.ended).toMatchObject([{ channel: name, reason: `the hub closed ${name} (admin_requested)` }]);
      expect(topic()?.attached).toEqual([]);
      // The memfd reader registration is gone with the seat.
      expect(await core.router.handle('datablock.inspect', { name: `memfd:${name}` })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await core.router.handle('pylabhub.detach', { hub: hub.endpoint, channel: name })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
    } finally {
      live.delete(name);
      await core.close();
      await producer.close();
    }
  });
});
