// In-process broker + MessageHub clients over real ZeroMQ sockets (tcp loopback and ipc):
// the full register → discover → heartbeat → deregister flow and its notifications.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { MessageHub } from '../../main/hub/message-hub.js';
import { HubError } from '../../main/hub/hub-error.js';
import type { NotificationBody } from '../../main/protocol/messages.js';
import {
  COUNTER_FINGERPRINT,
  COUNTER_SCHEMA,
  ipcEndpoint,
  producerInput,
  tempDir,
  uniqueName,
  waitFor,
} from './hub-fixtures/helpers.js';

const HEARTBEAT_MS = 100;

async function expectHubError(p: Promise<unknown>, code: string): Promise<HubError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected HubError ${code}`).toBeInstanceOf(HubError);
  expect((err as HubError).code).toBe(code);
  return err as HubError;
}

const transports = [
  { name: 'tcp', endpoint: () => 'tcp://127.0.0.1:0' },
  { name: 'ipc', endpoint: (dir: string) => ipcEndpoint(dir) },
];

describe.each(transports)('broker flow over $name', ({ endpoint }) => {
  let broker: Broker;
  let tmp: ReturnType<typeof tempDir>;
  const hubs: MessageHub[] = [];
  const hub = () => {
    const h = new MessageHub({ endpoint: broker.endpoint, clientName: 'flow-test', requestTimeoutMs: 3000 });
    hubs.push(h);
    return h;
  };

  beforeAll(async () => {
    tmp = tempDir();
    broker = await startBroker({ endpoint: endpoint(tmp.dir), heartbeatIntervalMs: HEARTBEAT_MS });
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
  });
  afterAll(async () => {
    await broker.close();
    tmp.cleanup();
  });

  it('answers HELLO with boot id, broker time and heartbeat interval; PING measures RTT', async () => {
    const h = hub();
    const pong = await h.ping();
    expect(pong.bootId).toBe(broker.bootId);
    expect(pong.rttMs).toBeGreaterThan(0);
    expect(h.lastRttMs).toBe(pong.rttMs);
    expect(h.session?.heartbeatIntervalMs).toBe(HEARTBEAT_MS);
    expect(h.session?.livenessTimeoutMs).toBe(HEARTBEAT_MS * 3);
    expect(Math.abs((h.session?.brokerTime ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(h.state).toBe('connected');
    const status = await h.status();
    expect(status.endpoint).toBe(broker.endpoint);
    expect(status.clients.some((c) => c.name === 'flow-test' && c.pid === process.pid)).toBe(true);
  });

  it('register → discover → heartbeat → deregister, with notifications both ways', async () => {
    const channel = uniqueName('lab.flow').replace(/-/g, '_');
    const producerHub = hub();
    const consumerHub = hub();
    const producer = await producerHub.registerProducer(
      producerInput(channel, { schemaDefinition: COUNTER_SCHEMA, producerUid: 'uid-1' }),
    );
    expect(producer.info.state).toBe('active');
    expect(producer.info.schema?.fingerprint).toBe(COUNTER_FINGERPRINT);

    const found = await consumerHub.discover(channel);
    expect(found).toMatchObject({
      name: channel,
      state: 'active',
      shmName: '/' + channel.replace(/\./g, '_'),
      schema: { id: COUNTER_SCHEMA.id, version: 1, fingerprint: COUNTER_FINGERPRINT },
      producer: { producerName: 'test-producer', producerUid: 'uid-1', pid: process.pid },
      consumerCount: 0,
      config: { policy: 'RingBuffer', capacity: 4, slotSize: 64 },
    });

    const joined: Array<NotificationBody<'CONSUMER_JOINED'>> = [];
    const left: Array<NotificationBody<'CONSUMER_LEFT'>> = [];
    producer.on('consumer-joined', (e) => joined.push(e));
    producer.on('consumer-left', (e) => left.push(e));
    const consumer = await consumerHub.registerConsumer({
      channel,
      consumerId: 'c1',
      expectedFingerprint: COUNTER_FINGERPRINT,
    });
    await waitFor('CONSUMER_JOINED', () => joined.length === 1);
    expect(joined[0]?.consumer.consumerId).toBe('c1');
    expect((await producer.consumers()).map((c) => c.consumerId)).toEqual(['c1']);

    // Heartbeats keep both registrations alive well past the liveness timeout.
    const waitUntil = Date.now() + HEARTBEAT_MS * 6;
    await waitFor('several liveness timeouts', () => Date.now() > waitUntil, 5000);
    const again = await consumerHub.discover(channel);
    expect(again.state).toBe('active');
    expect(again.consumerCount).toBe(1);

    const closing: Array<NotificationBody<'CHANNEL_CLOSING'>> = [];
    consumer.on('channel-closing', (e) => closing.push(e));
    await consumer.close();
    await waitFor('CONSUMER_LEFT', () => left.length === 1);
    expect(left[0]).toMatchObject({ consumerId: 'c1', reason: 'deregistered' });

    await producer.close();
    await expectHubError(consumerHub.discover(channel), 'NOT_FOUND');
  });

  it('tells consumers when the producer closes the channel', async () => {
    const channel = uniqueName('lab.closing');
    const producer = await hub().registerProducer(producerInput(channel));
    const consumer = await hub().registerConsumer({ channel });
    const closing: Array<NotificationBody<'CHANNEL_CLOSING'>> = [];
    consumer.on('channel-closing', (e) => closing.push(e));
    await producer.close();
    await waitFor('CHANNEL_CLOSING', () => closing.length === 1);
    expect(closing[0]?.reason).toBe('producer-closed');
    const list = await hub().listChannels({ prefix: channel });
    expect(list[0]?.state).toBe('closing');
    await consumer.close();
    expect(await hub().listChannels({ prefix: channel })).toEqual([]);
  });

  it('holds a DISCOVER on a pending channel until the producer registers', async () => {
    const channel = uniqueName('lab.pending');
    const h = hub();
    await h.createChannel(channel, 'made ahead of its producer');
    await expectHubError(h.discover(channel), 'PENDING');
    const waiting = h.discover(channel, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 50));
    await hub().registerProducer(producerInput(channel));
    const info = await waiting;
    expect(info.state).toBe('active');
    expect(info.explicit).toBe(true);
    expect(info.description).toBe('made ahead of its producer');
    // A wait that runs out answers PENDING.
    const other = uniqueName('lab.pending2');
    await h.createChannel(other);
    const err = await expectHubError(h.discover(other, { timeoutMs: 150 }), 'PENDING');
    expect(err.message).toContain(other);
    await expectHubError(h.discover(uniqueName('lab.nothing')), 'NOT_FOUND');
  });

  it('tells a waiting consumer when its producer appears (CHANNEL_ACTIVE)', async () => {
    const channel = uniqueName('lab.wait');
    const consumer = await hub().registerConsumer({ channel, consumerId: 'early' });
    expect(consumer.info.state).toBe('pending');
    const active: Array<NotificationBody<'CHANNEL_ACTIVE'>> = [];
    consumer.on('channel-active', (e) => active.push(e));
    const producerHub = hub();
    const joined: string[] = [];
    const producer = await producerHub.registerProducer(producerInput(channel));
    producer.on('consumer-joined', (e) => joined.push(e.consumer.consumerId));
    await waitFor('CHANNEL_ACTIVE', () => active.length === 1);
    expect(active[0]?.info.producer?.producerName).toBe('test-producer');
    expect(consumer.info.state).toBe('active');
  });

  it('allows one producer per channel; the same producer re-registers idempotently', async () => {
    const channel = uniqueName('lab.owned');
    const a = hub();
    const input = producerInput(channel, { producerUid: 'owner', host: 'host-a', pid: 4242 });
    const first = await a.registerProducer(input);
    expect(first.info.state).toBe('active');
    const { producerName, shmName, config } = input;
    const again = await hub().request('PRODUCER_REGISTER', {
      channel,
      producerName,
      shmName,
      config,
      producerUid: 'owner',
      host: 'host-a',
      pid: 4242,
    });
    expect(again.reregistered).toBe(true);
    expect(again.created).toBe(false);
    const err = await expectHubError(
      hub().registerProducer(producerInput(channel, { producerUid: 'intruder' })),
      'CHANNEL_OWNED',
    );
    expect(err.message).toContain('test-producer');
    expect(err.details?.owner).toMatchObject({ producerUid: 'owner' });
  });

  it('refuses a consumer whose expected fingerprint differs, naming both fingerprints', async () => {
    const channel = uniqueName('lab.mismatch');
    await hub().registerProducer(producerInput(channel, { schemaDefinition: COUNTER_SCHEMA }));
    const wrong = 'ab'.repeat(32);
    const err = await expectHubError(
      hub().registerConsumer({ channel, expectedFingerprint: wrong }),
      'SCHEMA_MISMATCH',
    );
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(COUNTER_FINGERPRINT);
    expect(err.details).toMatchObject({ expected: wrong, actual: COUNTER_FINGERPRINT });
  });

  it('drops a waiting consumer with a different expectation when the producer arrives', async () => {
    const channel = uniqueName('lab.late-mismatch');
    const consumer = await hub().registerConsumer({ channel, expectedFingerprint: 'cd'.repeat(32) });
    const dropped: string[] = [];
    consumer.on('dropped', (e) => dropped.push(e.reason));
    await hub().registerProducer(producerInput(channel, { schemaDefinition: COUNTER_SCHEMA }));
    await waitFor('REGISTRATION_DROPPED', () => dropped.length === 1);
    expect(dropped).toEqual(['schema-mismatch']);
    expect(consumer.closed).toBe(true);
  });

  it('never trusts a client fingerprint', async () => {
    const h = hub();
    const reg = await h.registerSchema(COUNTER_SCHEMA);
    expect(reg.fingerprint).toBe(COUNTER_FINGERPRINT);
    const channel = uniqueName('lab.claim');
    const err = await expectHubError(
      h.registerProducer(
        producerInput(channel, { schema: { id: COUNTER_SCHEMA.id, version: 1, fingerprint: '00'.repeat(32) } }),
      ),
      'SCHEMA_MISMATCH',
    );
    expect(err.message).toContain(COUNTER_FINGERPRINT);
    const ok = await h.registerProducer(producerInput(channel, { schema: { id: COUNTER_SCHEMA.id, version: 1 } }));
    expect(ok.info.schema?.fingerprint).toBe(COUNTER_FINGERPRINT);
    await expectHubError(
      h.registerProducer(producerInput(uniqueName('lab.x'), { schema: { id: 'no.such.schema', version: 1 } })),
      'NOT_FOUND',
    );
  });

  it('keeps several versions per schema id and refuses a conflicting redefinition', async () => {
    const h = hub();
    const id = uniqueName('lab.schema');
    const v1 = { ...COUNTER_SCHEMA, id, version: 1 };
    const v2 = {
      ...COUNTER_SCHEMA,
      id,
      version: 2,
      slot: { packing: 'packed' as const, fields: COUNTER_SCHEMA.slot.fields },
    };
    expect((await h.registerSchema(v1)).created).toBe(true);
    expect((await h.registerSchema(v1)).created).toBe(false);
    const r2 = await h.registerSchema(v2);
    expect(r2.fingerprint).not.toBe(COUNTER_FINGERPRINT);
    expect((await h.listSchemas(id)).map((s) => s.version)).toEqual([1, 2]);
    expect((await h.getSchema(id)).schema.version).toBe(2);
    expect((await h.getSchema(id, 1)).fingerprint).toBe(COUNTER_FINGERPRINT);
    const conflict = await expectHubError(
      h.registerSchema({ ...v2, slot: { packing: 'aligned', fields: [{ name: 'x', type: 'int8' }] } }),
      'SCHEMA_CONFLICT',
    );
    expect(conflict.message).toContain(r2.fingerprint);
    const invalid = await expectHubError(
      h.registerSchema({
        ...v1,
        version: 3,
        slot: {
          packing: 'aligned',
          fields: [
            { name: 'a', type: 'int8' },
            { name: 'a', type: 'int8' },
          ],
        },
      }),
      'SCHEMA_INVALID',
    );
    expect(invalid.message).toContain('"a"');
    await expectHubError(h.getSchema(id, 9), 'NOT_FOUND');
  });

  it('lists channels with filters and destroys them, telling their registrations', async () => {
    const h = hub();
    const prefix = uniqueName('lab.list');
    await h.createChannel(`${prefix}.a`);
    const producer = await h.registerProducer(producerInput(`${prefix}.b`));
    const consumer = await hub().registerConsumer({ channel: `${prefix}.b` });
    expect((await h.listChannels({ prefix })).map((c) => c.name)).toEqual([`${prefix}.a`, `${prefix}.b`]);
    expect((await h.listChannels({ prefix, states: ['pending'] })).map((c) => c.name)).toEqual([`${prefix}.a`]);
    expect((await h.listChannels({ prefix, states: ['active'] })).map((c) => c.name)).toEqual([`${prefix}.b`]);
    expect(await h.listChannels({ prefix, producerHost: 'no-such-host' })).toEqual([]);
    const reasons: string[] = [];
    producer.on('channel-closing', (e) => reasons.push('p:' + e.reason));
    consumer.on('channel-closing', (e) => reasons.push('c:' + e.reason));
    await h.destroyChannel(`${prefix}.b`);
    await waitFor('CHANNEL_CLOSING to both', () => reasons.length === 2);
    expect(reasons.sort()).toEqual(['c:destroyed', 'p:destroyed']);
    expect(producer.closed && consumer.closed).toBe(true);
    await expectHubError(h.destroyChannel(`${prefix}.b`), 'NOT_FOUND');
    await expectHubError(h.createChannel('bad name!'), 'BAD_REQUEST');
  });

  it('shares one connection per endpoint through forEndpoint and closes it with the last reference', async () => {
    const a = MessageHub.forEndpoint(broker.endpoint);
    const b = MessageHub.forEndpoint(broker.endpoint);
    expect(a).toBe(b);
    await a.ping();
    const clients = (await a.status()).clients.length;
    await Promise.all([a.ping(), b.ping(), a.listChannels()]);
    expect((await b.status()).clients.length).toBe(clients);
    await a.close();
    expect(b.state).toBe('connected');
    await b.close();
    expect(b.state).toBe('closed');
    await expectHubError(b.ping(), 'CLOSED');
  });

  it('reports changes to subscribers', async () => {
    const kinds = new Set<string>();
    const off = broker.subscribe((k) => k.forEach((x) => kinds.add(x)));
    const h = hub();
    await h.registerSchema({ ...COUNTER_SCHEMA, id: uniqueName('lab.sub') });
    await h.createChannel(uniqueName('lab.sub'));
    await waitFor('change events', () => kinds.has('channels') && kinds.has('schemas') && kinds.has('clients'));
    off();
    expect(broker.status().schemas).toBeGreaterThan(0);
  });
});

describe('without a broker', () => {
  it('fails fast with UNAVAILABLE and never throws outside the promise', async () => {
    const { dir, cleanup } = tempDir();
    try {
      for (const endpoint of ['tcp://127.0.0.1:1', ipcEndpoint(dir)]) {
        // A long connect timeout: the failure must come from the refused connection, not the timer.
        const h = new MessageHub({ endpoint, connectTimeoutMs: 60_000 });
        const err = await expectHubError(h.ping(), 'UNAVAILABLE');
        expect(err.message).toContain(endpoint);
        expect(err.message).toContain('nothing accepts connections');
        await expectHubError(h.discover('lab.x'), 'UNAVAILABLE');
        expect(h.state).toBe('disconnected');
        await h.close();
      }
    } finally {
      cleanup();
    }
  });
});
