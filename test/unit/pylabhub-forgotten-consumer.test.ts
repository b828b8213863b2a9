// A hub that silently forgets HubScope's consumer (test/support/pylabhub-hub-double.ts
// forgetConsumer: a restart that lost its registrations, an admin), over real CURVE
// sockets with the setup of pylabhub-attach.test.ts (pylabhub-attach-fixture.ts):
// two answered polls that no longer list HubScope's uid make the attachment
// `forgotten`, then one CONSUMER_REG_REQ either re-admits it (attached again, a note
// in its history) or, when another consumer took the seat, ends it with the refusal in
// words and the app lets the handed-over DataBlock go. A hub that does not answer
// (stopped, closed) is not a hub that forgot. Waits are for states and for counted
// polls; where the point is that something does not happen, a few poll cycles pass.
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PylabhubHubDto } from '../../preload/contract.js';
import type { PylabhubAttachmentStatus, PylabhubMonitor } from '../../main/pylabhub/monitor.js';
import { attachKeys, startAttachHub, type AttachHub } from '../support/pylabhub-attach-fixture.js';
import type { PylabhubHubDouble } from '../support/pylabhub-hub-double.js';
import { startShmProducer } from '../support/pylabhub-shm-producer.js';
import { waitFor, writerImage } from './datablock-helpers.js';

const INTERVAL_MS = 100;
const MISS = 3;
const OTHER_UID = 'cons.someone.uid00000009';

const keys = attachKeys('hubscope-plh-forgotten-');
const { dir, ownUid: OWN_UID } = keys;

let fx: AttachHub;
let hub: PylabhubHubDouble;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fx = await startAttachHub(keys, { intervalMs: INTERVAL_MS, miss: MISS });
  hub = fx.hub;
});
afterEach(async () => {
  await fx.closeMonitors();
});
afterAll(async () => {
  await fx.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every attachment state a monitor's snapshots showed for `channel`, in order (repeats folded). */
function watchStates(m: PylabhubMonitor, channel: string): PylabhubAttachmentStatus['state'][] {
  const states: PylabhubAttachmentStatus['state'][] = [];
  m.onChange((s) => {
    const a = s.attachments.find((x) => x.channel === channel);
    if (a && states[states.length - 1] !== a.state) states.push(a.state);
  });
  return states;
}

const attachment = (m: PylabhubMonitor, channel: string) => m.snapshot().attachments.find((a) => a.channel === channel);
const listsUs = (m: PylabhubMonitor, channel: string) =>
  m
    .snapshot()
    .channels.find((c) => c.name === channel)
    ?.consumers.some((r) => r.uid === OWN_UID) ?? false;
const registrations = (d: PylabhubHubDouble, channel: string) =>
  d.received.filter(
    (r) => r.msgType === 'CONSUMER_REG_REQ' && r.identity === OWN_UID && r.body.channel_name === channel,
  ).length;
const polls = (d: PylabhubHubDouble, m: PylabhubMonitor) =>
  d.received.filter((r) => r.msgType === 'CHANNEL_LIST_REQ' && r.identity === m.snapshot().status.routingId).length;

describe('a hub that forgets the attached consumer', () => {
  it('is noticed (forgotten), and one re-registration makes it attached again; the hub lists it again', async () => {
    const name = 'lab.forgotten.again';
    fx.channel(name);
    const m = fx.monitor({ pollMs: 100, requestTimeoutMs: 1000 });
    await m.refresh();
    const states = watchStates(m, name);
    await m.attachAsConsumer(name, OWN_UID);
    m.start();
    await waitFor(() => listsUs(m, name), 10_000, 'a poll that lists HubScope as a consumer');

    expect(hub.forgetConsumer(name, OWN_UID)).toBe(true);
    await waitFor(() => states.includes('forgotten'), 10_000, 'the attachment forgotten');
    await waitFor(
      () => attachment(m, name)?.state === 'attached' && attachment(m, name)!.history.length === 1,
      10_000,
      'the attachment re-registered',
    );
    expect(states).toEqual(['attached', 'forgotten', 'attached']);
    const a = attachment(m, name)!;
    expect(a).toMatchObject({ state: 'attached', forgotten: null, forgottenSince: null, endedReason: null });
    expect(a.history[0]).toMatch(
      /^\d\d:\d\d:\d\d re-registered after the hub forgot it \(not listed as a consumer since \d\d:\d\d:\d\d\)$/,
    );
    expect(registrations(hub, name)).toBe(2);
    expect(hub.consumersOf(name)).toEqual([OWN_UID]);
    // Heartbeats go on for the new registration, and the hub's answers list HubScope again.
    await waitFor(() => hub.heartbeatsOf(name, OWN_UID) >= 2, 10_000, 'heartbeats of the new registration');
    const after = polls(hub, m);
    await waitFor(() => polls(hub, m) >= after + 4 && listsUs(m, name), 10_000, 'four more polls listing HubScope');
    expect(attachment(m, name)?.state).toBe('attached');
    expect(registrations(hub, name)).toBe(2); // one re-registration, no loop
    expect(hub.consumerState(name, OWN_UID)).toBe('Connected');

    // What the forgotten state said, while it lasted.
    const seen: Array<string | null> = [];
    m.onChange((s) => seen.push(s.attachments.find((x) => x.channel === name)?.forgotten ?? null));
    hub.forgetConsumer(name, OWN_UID);
    await waitFor(() => seen.some((t) => t !== null), 10_000, 'the second forgetting noticed');
    expect(seen.find((t) => t !== null)).toMatch(
      new RegExp(
        `^the hub no longer lists HubScope as a consumer of ${name.replace(/\./g, '\\.')} \\(since \\d\\d:\\d\\d:\\d\\d\\); it may give the seat to another consumer$`,
      ),
    );
    await waitFor(() => attachment(m, name)?.history.length === 2, 10_000, 'the second re-registration');
    await m.detach(name);
    expect(hub.consumersOf(name)).toEqual([]);
    fx.live.delete(name);
    hub.removeChannel(name);
  });

  it('in the app: re-registered, the block stays readable; once the seat is taken, the attachment ends with the refusal and memfd:<channel> is gone', async () => {
    const name = 'lab.forgotten.seat';
    const producer = await startShmProducer({ dir, channel: name, image: writerImage(), behaviour: 'hand-over' });
    const core = await fx.app();
    let other: NodeJS.Timeout | undefined;
    const forgottenTexts: string[] = [];
    const off = core.bus.subscribe((topic, value) => {
      if (topic !== 'pylabhub') return;
      for (const h of value as PylabhubHubDto[])
        for (const a of h.attached) if (a.channel === name && a.forgotten) forgottenTexts.push(a.forgotten);
    });
    try {
      fx.channel(name, {
        producerPid: process.pid,
        producerPubkey: producer.publicKey,
        endpoint: producer.endpoint,
        topology: 'one-to-one',
      });
      const topic = () => core.bus.latest('pylabhub')?.[0];
      const listed = () =>
        topic()
          ?.channels.find((c) => c.name === name)
          ?.consumers.some((r) => r.uid === OWN_UID) ?? false;
      await waitFor(
        () => topic()?.channels.some((c) => c.name === name && c.transport === 'shm') ?? false,
        10_000,
        'the channel listed',
      );
      expect(await core.router.handle('pylabhub.attach', { hub: hub.endpoint, channel: name })).toMatchObject({
        ok: true,
        result: { handover: { segment: `memfd:${name}` } },
      });
      await waitFor(listed, 15_000, 'a poll that lists HubScope as a consumer');

      // Forgotten while the seat is free: re-registered, and the handed-over block stays.
      hub.forgetConsumer(name, OWN_UID);
      await waitFor(() => (topic()?.attached[0]?.history?.length ?? 0) === 1, 20_000, 'the re-registration');
      expect(forgottenTexts[0]).toMatch(/^the hub no longer lists HubScope as a consumer of lab\.forgotten\.seat /);
      expect(topic()?.attached).toMatchObject([
        { channel: name, forgotten: null, history: [expect.stringMatching(/re-registered after the hub forgot it/)] },
      ]);
      expect(await core.router.handle('datablock.inspect', { name: `memfd:${name}` })).toMatchObject({ ok: true });
      expect(hub.consumersOf(name)).toEqual([OWN_UID]);

      // Forgotten, and another consumer takes the one-to-one seat before HubScope asks again.
      hub.forgetConsumer(name, OWN_UID);
      hub.takeSeat(name, OTHER_UID);
      other = setInterval(() => hub.heartbeat(name, OTHER_UID), INTERVAL_MS / 2);
      await waitFor(() => (topic()?.ended ?? []).some((e) => e.channel === name), 20_000, 'the attachment ended');
      expect(topic()?.ended).toMatchObject([
        {
          channel: name,
          reason: expect.stringMatching(
            /^the hub forgot HubScope as a consumer of lab\.forgotten\.seat \(not listed since \d\d:\d\d:\d\d\), and refused to register it again: another consumer has taken the seat \(the channel is one-to-one\) \(ONE_TO_ONE_CARDINALITY_VIOLATED: /,
          ),
        },
      ]);
      expect(topic()?.attached).toEqual([]);
      // Released as on detach: the memfd reader registration is gone with the seat.
      expect(await core.router.handle('datablock.inspect', { name: `memfd:${name}` })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await core.router.handle('pylabhub.detach', { hub: hub.endpoint, channel: name })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      // The other consumer keeps its seat: HubScope deregistered nobody.
      expect(hub.consumersOf(name)).toEqual([OTHER_UID]);
      expect(hub.received.filter((r) => r.msgType === 'CONSUMER_DEREG_REQ' && r.body.channel_name === name)).toEqual(
        [],
      );
    } finally {
      off();
      clearInterval(other);
      fx.live.delete(name);
      await core.close();
      await producer.close();
      hub.removeChannel(name);
    }
  });
});

describe('a hub that does not answer', () => {
  // Its own hub, so that stopping and closing it leaves the other tests' hub alone.
  let quiet: AttachHub;
  beforeAll(async () => {
    quiet = await startAttachHub(keys, { intervalMs: INTERVAL_MS, miss: MISS });
  });
  afterAll(async () => {
    await quiet.closeMonitors();
    await quiet.close();
  });

  it('stopped, then closed, is not a hub that forgot the consumer', async () => {
    const name = 'lab.forgotten.quiet';
    quiet.channel(name);
    const m = quiet.monitor({ pollMs: 100, requestTimeoutMs: 300 });
    await m.refresh();
    const states = watchStates(m, name);
    await m.attachAsConsumer(name, OWN_UID);
    m.start();
    await waitFor(() => listsUs(m, name), 10_000, 'a poll that lists HubScope as a consumer');

    // Stopped: every poll from now on goes unanswered.
    quiet.hub.pause();
    await waitFor(() => quiet.hub.heldCount('CHANNEL_LIST_REQ') >= 4, 20_000, 'four polls unanswered');
    expect(m.snapshot().status.state).not.toBe('reachable');
    expect(attachment(m, name)?.state).toBe('attached');

    // Going on: the held heartbeats count, the answers list HubScope again.
    quiet.hub.resume();
    const after = polls(quiet.hub, m);
    await waitFor(
      () => polls(quiet.hub, m) >= after + 3 && m.snapshot().status.state === 'reachable' && listsUs(m, name),
      10_000,
      'answered polls listing HubScope again',
    );
    expect(attachment(m, name)?.state).toBe('attached');
    expect(registrations(quiet.hub, name)).toBe(1);

    // Closed: nothing answers, and the attachment stays what it was.
    quiet.live.delete(name);
    await quiet.hub.close();
    await waitFor(() => m.snapshot().status.state !== 'reachable', 10_000, 'the hub no longer answering');
    await sleep(8 * (300 + 100)); // several poll cycles that get no answer
    expect(m.snapshot().status.state).not.toBe('reachable');
    expect(attachment(m, name)).toMatchObject({ state: 'attached', forgotten: null, history: [] });
    expect(states).toEqual(['attached']);
  });
});
