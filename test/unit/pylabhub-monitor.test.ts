// PylabhubMonitor over real sockets on loopback against the hub test double
// (test/support/pylabhub-hub-double.ts): listing, rates, liveness, the silent and
// unreachable hubs, attaching as a consumer and its refusals, hostile replies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { generateKeyPair, writeKeyFile, type CurveKeyPair } from '../../main/keys/index.js';
import { allowListCommand, hubscopeConsumerUid } from '../../main/pylabhub/allow-list-command.js';
import { envelopeHash } from '../../main/pylabhub/envelope-hash.js';
import { PylabhubMonitor, type PylabhubHubOptions } from '../../main/pylabhub/monitor.js';
import { PylabhubHubDouble } from '../support/pylabhub-hub-double.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-plh-monitor-'));
const own: CurveKeyPair = generateKeyPair();
const ownKeyFile = join(dir, 'hubscope.key');
writeKeyFile(ownKeyFile, own);
const OWN_UID = hubscopeConsumerUid(own.publicKey);
const BLDS = 'seq:uint64:1:0|value:float64:1:0|flags:uint32:1:0';
const PROD = 'prod.interop.uid00000001';
const READ_ONLY = new Set(['CHANNEL_LIST_REQ', 'METRICS_REQ', 'DISC_REQ', 'SCHEMA_REQ']);

let hub: PylabhubHubDouble;
let hubKeyFile: string;
const monitors: PylabhubMonitor[] = [];

function monitor(extra: Partial<PylabhubHubOptions> = {}): PylabhubMonitor {
  const m = new PylabhubMonitor({
    endpoint: hub.endpoint,
    hubKeyFile,
    keyFile: ownKeyFile,
    requestTimeoutMs: 1000,
    ...extra,
  });
  monitors.push(m);
  return m;
}

beforeAll(async () => {
  hub = await PylabhubHubDouble.start({
    knownRoles: [{ name: 'hubscope', uid: OWN_UID, role: 'any', pubkey_z85: own.publicKey }],
  });
  hubKeyFile = join(dir, 'hub.pubkey');
  writeFileSync(hubKeyFile, hub.publicKey); // as plh_hub writes it: 40 bytes, no newline
});
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A consumer that registers itself over the wire (another program on the hub). */
async function registerOtherConsumer(channel: string, uid: string): Promise<Record<string, unknown>> {
  const keys = generateKeyPair();
  hub.addKnownRole({ name: 'other', uid, role: 'consumer', pubkey_z85: keys.publicKey });
  const d = new Dealer({
    routingId: uid,
    linger: 0,
    curveServerKey: hub.publicKey,
    curvePublicKey: keys.publicKey,
    curveSecretKey: keys.secretKey,
  });
  try {
    d.connect(hub.endpoint);
    const corr = PylabhubHubDouble.nonce();
    const body = {
      channel_name: channel,
      role_uid: uid,
      role_type: 'consumer',
      role_name: 'other',
      data_transport: 'shm',
      zmq_pubkey: keys.publicKey,
      abi_fingerprint: { broker_proto_major: 7 },
      consumer_pid: 777,
      client_nonce: PylabhubHubDouble.nonce(),
      client_wall_ts: Date.now(),
      envelope_hash: envelopeHash(uid, 'CONSUMER_REG_REQ', corr),
    };
    await d.send(['C', 'CONSUMER_REG_REQ', corr, JSON.stringify(body)]);
    const [, type, , reply] = await d.receive();
    expect(type?.toString()).toBe('CONSUMER_REG_ACK');
    return JSON.parse(reply!.toString()) as Record<string, unknown>;
  } finally {
    d.close();
  }
}

describe('PylabhubMonitor against the hub double', () => {
  it('lists channels with producer, consumers, schema hash, rate and liveness', async () => {
    const endpoint = `unix:///tmp/pylabhub-shmcap-${PROD}-lab.demo.counter.sock`;
    hub.addChannel({
      name: 'lab.demo.counter',
      producerUid: PROD,
      producerName: 'interop-producer',
      producerPid: 4242,
      producerPubkey: generateKeyPair().publicKey,
      transport: 'shm',
      endpoint,
      schemaId: '$lab.demo.counter.v1',
      schemaBlds: BLDS,
      schemaPacking: 'aligned',
    });
    hub.addChannel({
      name: 'lab.named.seg',
      producerUid: 'prod.direct.uid00000003',
      producerPid: 99,
      transport: 'shm',
      shmMetrics: { slot_count: 8, commit_index: 3 },
    });
    hub.addChannel({
      name: 'lab.zmq.waiting',
      producerUid: 'prod.zmq.uid00000004',
      producerPid: 5,
      transport: 'zmq',
      topology: 'fan-out',
    });
    const t0 = Date.UTC(2026, 11, 1, 22, 29, 5, 0);
    hub.heartbeat('lab.demo.counter', PROD, { role: { out_slots_written: 10 } }, new Date(t0));
    hub.heartbeat('lab.named.seg', 'prod.direct.uid00000003');
    await registerOtherConsumer('lab.demo.counter', 'cons.interop.uid00000002');

    const m = monitor();
    const changes: number[] = [];
    m.onChange((s) => changes.push(s.channels.length));
    let snap = await m.refresh();
    expect(snap.status.state).toBe('reachable');
    hub.heartbeat('lab.demo.counter', PROD, { role: { out_slots_written: 110 } }, new Date(t0 + 500));
    snap = await m.refresh();

    const byName = new Map(snap.channels.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(['lab.demo.counter', 'lab.named.seg', 'lab.zmq.waiting']);
    const counter = byName.get('lab.demo.counter')!;
    expect(counter).toMatchObject({
      transport: 'shm',
      observable: 'live',
      producer: { uid: PROD, name: 'interop-producer', pid: 4242 },
      producerUids: [PROD],
      consumers: [{ uid: 'cons.interop.uid00000002', name: 'other', pid: 777 }],
      consumerCount: 1,
      schemaId: '$lab.demo.counter.v1',
      schemaHash: `aaa05396f3cbad139fd9041f37e3713cc6a02fdba73a2b572c44b4deb3bf22ea${'0'.repeat(64)}`,
      slotsPerSec: 200, // 100 slots in 0.5 s of the hub's _collected_at
      metricsCollectedAt: '2026-12-01 22:29:05.500000',
      shmKind: 'memfd',
    });
    expect(byName.get('lab.named.seg')).toMatchObject({ shmKind: 'named', observable: 'live', schemaId: null });
    // Registered but no heartbeat yet: DISC_PENDING, so no transport from DISC_ACK yet.
    expect(byName.get('lab.zmq.waiting')).toMatchObject({
      observable: 'registering',
      shmKind: null,
      slotsPerSec: null,
    });
    expect(snap.status.roles).toEqual(
      ['cons.interop.uid00000002', PROD, 'prod.direct.uid00000003', 'prod.zmq.uid00000004'].sort(),
    );
    expect(snap.status.rttMs).toBeGreaterThan(0);
    expect(snap.status.problem).toBeNull();
    expect(snap.status.differences).toEqual([]);
    expect(changes.length).toBeGreaterThan(0);

    // DISC/SCHEMA are asked once per channel, then again only for a new producer.
    const discs = () =>
      hub.received.filter((r) => r.identity === m.snapshot().status.routingId && r.msgType === 'DISC_REQ');
    const before = discs().length;
    await m.refresh();
    expect(discs().filter((r) => r.body.channel_name === 'lab.demo.counter')).toHaveLength(
      discs()
        .slice(0, before)
        .filter((r) => r.body.channel_name === 'lab.demo.counter').length,
    );
    // A monitor sends read-only queries only.
    const sent = hub.received.filter((r) => r.identity === m.snapshot().status.routingId);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((r) => !READ_ONLY.has(r.msgType))).toEqual([]);

    hub.removeChannel('lab.named.seg');
    hub.removeChannel('lab.zmq.waiting');
  });

  it('is silent, with the exact plh_hub command, when its key is not on the allow-list', async () => {
    const stranger = generateKeyPair();
    const strangerFile = join(dir, 'stranger.key');
    writeKeyFile(strangerFile, stranger, { overwrite: true });
    const m = monitor({ keyFile: strangerFile, requestTimeoutMs: 600 });
    const snap = await m.refresh();
    expect(snap.status.state).toBe('silent');
    expect(snap.status.allowListCommand).toBe(allowListCommand(stranger.publicKey));
    expect(snap.status.allowListCommand).toContain(stranger.publicKey);
    expect(snap.status.allowListCommand).toMatch(
      /^plh_hub <hub_dir> --add-known-role hubscope cons\.hubscope\.k[0-9a-f]{8} any '/,
    );
    expect(snap.status.problem).toMatch(/not on the hub's allow-list/);
    expect(snap.status.problem).toMatch(/restart the hub/);
    expect(snap.channels).toEqual([]);
  });

  it('is silent when the hub key file holds another key', async () => {
    const wrong = join(dir, 'wrong-hub.pubkey');
    writeFileSync(wrong, generateKeyPair().publicKey);
    const m = monitor({ hubKeyFile: wrong, requestTimeoutMs: 600 });
    const snap = await m.refresh();
    expect(snap.status.state).toBe('silent');
    expect(snap.status.problem).toMatch(/hub key file does not hold this hub's key/);
    expect(snap.status.allowListCommand).toContain(own.publicKey);
  });

  it('is silent when a TCP port accepts but never speaks', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const m = monitor({ endpoint: `tcp://127.0.0.1:${port}`, requestTimeoutMs: 600 });
      const snap = await m.refresh();
      expect(snap.status.state).toBe('silent');
      await m.close();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('is unreachable when nothing listens on the port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const m = monitor({ endpoint: `tcp://127.0.0.1:${port}`, requestTimeoutMs: 600 });
    const snap = await m.refresh();
    expect(snap.status.state).toBe('unreachable');
    expect(snap.status.problem).toMatch(/unreachable: nothing accepts TCP connections/);
    expect(snap.status.allowListCommand).toBeNull();
  });

  it('polls by itself after start() and tells listeners', async () => {
    const m = monitor({ pollMs: 100 });
    const reachable = new Promise<string[]>((resolve) =>
      m.onChange((s) => {
        if (s.status.state === 'reachable') resolve(s.channels.map((c) => c.name));
      }),
    );
    m.start();
    expect(await reachable).toContain('lab.demo.counter');
    // Polls go on: more than one CHANNEL_LIST_REQ arrives.
    const id = m.snapshot().status.routingId;
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (hub.received.filter((r) => r.identity === id && r.msgType === 'CHANNEL_LIST_REQ').length >= 3) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
  });

  it('asks DISC_REQ again when the producer of a channel changes', async () => {
    hub.addChannel({ name: 'lab.swap', producerUid: 'prod.first.uid00000010', producerPid: 10, transport: 'shm' });
    hub.heartbeat('lab.swap', 'prod.first.uid00000010');
    const m = monitor();
    const id = m.snapshot().status.routingId;
    const discs = () =>
      hub.received.filter((r) => r.identity === id && r.msgType === 'DISC_REQ' && r.body.channel_name === 'lab.swap');
    await m.refresh();
    await m.refresh();
    expect(discs()).toHaveLength(1);
    hub.addChannel({ name: 'lab.swap', producerUid: 'prod.second.uid00000011', producerPid: 11, transport: 'zmq' });
    hub.heartbeat('lab.swap', 'prod.second.uid00000011');
    const snap = await m.refresh();
    expect(discs()).toHaveLength(2);
    expect(snap.channels.find((c) => c.name === 'lab.swap')).toMatchObject({
      transport: 'zmq',
      producer: { uid: 'prod.second.uid00000011', pid: 11 },
    });
    hub.removeChannel('lab.swap');
  });

  it('is unreachable once a hub that answered goes away', async () => {
    const gone = await PylabhubHubDouble.start({
      knownRoles: [{ name: 'hubscope', uid: OWN_UID, role: 'any', pubkey_z85: own.publicKey }],
    });
    const goneKey = join(dir, 'gone.pubkey');
    writeFileSync(goneKey, gone.publicKey);
    const m = monitor({ endpoint: gone.endpoint, hubKeyFile: goneKey, requestTimeoutMs: 600 });
    expect(m.snapshot().status.state).toBe('connecting');
    expect((await m.refresh()).status.state).toBe('reachable');
    await gone.close();
    const snap = await m.refresh();
    expect(snap.status.state).toBe('unreachable');
    expect(snap.status.problem).toMatch(/is gone: the connection closed/);
  });

  it('refuses bad key files and endpoints at construction, naming the file', () => {
    const notKey = join(dir, 'not-a-key');
    writeFileSync(notKey, 'hello\n');
    expect(() => monitor({ keyFile: notKey })).toThrow(/not-a-key is not a HubScope key file/);
    expect(() => monitor({ hubKeyFile: ownKeyFile })).toThrow(/hubscope\.key is not a hub public key file/);
    expect(() => monitor({ endpoint: 'http://x' })).toThrow(/tcp:\/\/host:port/);
  });
});

describe('attaching as a consumer', () => {
  it('refuses a one-to-one channel that has a consumer, without sending anything', async () => {
    const m = monitor();
    await m.refresh();
    await expect(m.attachAsConsumer('lab.demo.counter', OWN_UID)).rejects.toThrow(
      /one-to-one channel .*has 1 consumer already.*will not take/,
    );
    await expect(m.attachAsConsumer('lab.nowhere', OWN_UID)).rejects.toThrow(/does not list that channel/);
    await expect(m.attachAsConsumer('lab.demo.counter', 'hubscope')).rejects.toThrow(/not a role uid/);
    expect(hub.received.filter((r) => r.msgType === 'CONSUMER_REG_REQ' && r.identity === OWN_UID)).toEqual([]);
  });

  it('attaches to a fan-out shm channel only when asked, and detaches', async () => {
    const endpoint = 'unix:///tmp/pylabhub-shmcap-prod.fan.uid00000005-lab.fan.out.sock';
    const producerKey = generateKeyPair().publicKey;
    hub.addChannel({
      name: 'lab.fan.out',
      producerUid: 'prod.fan.uid00000005',
      producerPid: 55,
      producerPubkey: producerKey,
      transport: 'shm',
      endpoint,
      topology: 'fan-out',
    });
    hub.heartbeat('lab.fan.out', 'prod.fan.uid00000005');
    const m = monitor();
    await m.refresh();
    // The hub does not tell a monitor the topology: the default (one-to-one) applies
    // until it does, and this channel has no consumer yet, so attaching is allowed.
    const target = await m.attachAsConsumer('lab.fan.out', OWN_UID);
    expect(target).toEqual({
      channel: 'lab.fan.out',
      producerUid: 'prod.fan.uid00000005',
      producerPublicKey: producerKey,
      endpoint,
    });
    expect(hub.consumersOf('lab.fan.out')).toEqual([OWN_UID]);
    const reg = hub.received.find((r) => r.msgType === 'CONSUMER_REG_REQ' && r.identity === OWN_UID)!;
    expect(reg.body).toMatchObject({ role_uid: OWN_UID, zmq_pubkey: own.publicKey, role_type: 'consumer' });
    expect(reg.body.client_nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(reg.body.abi_fingerprint as object)).toHaveLength(16); // 15 axes + build_id
    await expect(m.attachAsConsumer('lab.fan.out', OWN_UID)).rejects.toThrow(/already attached/);
    await m.detach('lab.fan.out');
    expect(hub.consumersOf('lab.fan.out')).toEqual([]);
    hub.removeChannel('lab.fan.out');
  });

  it("reports the hub's refusal (uid not in known_roles)", async () => {
    hub.addChannel({
      name: 'lab.free',
      producerUid: 'prod.free.uid00000006',
      producerPid: 6,
      transport: 'shm',
      endpoint: 'unix:///tmp/x.sock',
    });
    hub.heartbeat('lab.free', 'prod.free.uid00000006');
    const m = monitor();
    await m.refresh();
    await expect(m.attachAsConsumer('lab.free', 'cons.unlisted.uid00000009')).rejects.toThrow(
      /the hub refused to attach HubScope to lab\.free: UNKNOWN_ROLE/,
    );
    hub.removeChannel('lab.free');
  });

  it('refuses a zmq channel', async () => {
    hub.addChannel({
      name: 'lab.zmq.live',
      producerUid: 'prod.zmq.uid00000007',
      producerPid: 7,
      transport: 'zmq',
      endpoint: 'tcp://127.0.0.1:1',
    });
    hub.heartbeat('lab.zmq.live', 'prod.zmq.uid00000007');
    const m = monitor();
    await m.refresh();
    await expect(m.attachAsConsumer('lab.zmq.live', OWN_UID)).rejects.toThrow(
      /zmq channel; attaching hands over shared memory/,
    );
    hub.removeChannel('lab.zmq.live');
  });
});

describe('hostile replies', () => {
  afterEach(() => {
    hub.hostile.badHashFor.clear();
    hub.hostile.badMarkerFor.clear();
    hub.hostile.mutate = undefined;
  });

  it('drops a reply with a bad envelope hash or marker and says so', async () => {
    hub.hostile.badHashFor.add('CHANNEL_LIST_ACK');
    const m = monitor({ requestTimeoutMs: 600 });
    let snap = await m.refresh();
    expect(snap.status.state).toBe('silent');
    expect(snap.status.differences.join('\n')).toMatch(
      /dropped a message from the hub: envelope_hash of CHANNEL_LIST_ACK does not match/,
    );
    hub.hostile.badHashFor.clear();
    hub.hostile.badMarkerFor.add('CHANNEL_LIST_ACK');
    snap = await m.refresh();
    expect(snap.status.differences.join('\n')).toMatch(/marker frame is "X"/);
    hub.hostile.badMarkerFor.clear();
    snap = await m.refresh();
    expect(snap.status.state).toBe('reachable');
  });

  it('uses what it can of replies with wrong types and never crashes', async () => {
    hub.hostile.mutate = (type, body) => {
      if (type === 'CHANNEL_LIST_ACK') {
        return {
          ...body,
          channels: [
            { name: 5 },
            'not an object',
            { name: 'lab.odd', producer_uids: 'nope', producer_uid: 7, consumer_count: -3, observable: ['x'] },
            ...(body.channels as unknown[]),
          ],
        };
      }
      if (type === 'METRICS_ACK')
        return { ...body, channels: 'x', shm_blocks: { blocks: [null, { channel: 'lab.odd', consumers: 'x' }] } };
      if (type === 'DISC_ACK') return { ...body, data_transport: 'carrier-pigeon', schema_hash: 12 };
      return body;
    };
    const m = monitor();
    const snap = await m.refresh();
    expect(snap.status.state).toBe('reachable');
    const names = snap.channels.map((c) => c.name);
    expect(names).toContain('lab.odd');
    expect(names).toContain('lab.demo.counter');
    const odd = snap.channels.find((c) => c.name === 'lab.odd')!;
    expect(odd).toMatchObject({ producer: null, consumerCount: null, observable: null, producerUids: [] });
    const diffs = snap.status.differences.join('\n');
    expect(diffs).toMatch(/CHANNEL_LIST_ACK field/);
    expect(diffs).toMatch(/without a \(unique\) name/);
  });
});
