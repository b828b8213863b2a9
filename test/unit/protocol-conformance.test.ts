// Protocol v1 as a client author reads it: a real broker over tcp loopback, spoken to
// with raw frames only (no MessageHub), in the broker's default mode (CURVE, HELLO with
// the key proof of protocol 2, docs/security.md), checking what docs/protocol.md and
// docs/protocol/*.json promise. Each describe block is one point where the broker and
// the docs once disagreed (issue 9); the rules newly documented are checked here too.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { packageRoot } from '../../main/paths.js';
import { SMALL_RING, SPEC_SLOT, SPEC_SLOT_FINGERPRINT } from '../support/spec-fixtures.js';
import { uniqueName } from './hub-fixtures/helpers.js';
import { RawClient, type RawReply } from './hub-fixtures/raw-client.js';

/** Long enough that nothing in the main suite times out while a test runs. */
const SLOW_HEARTBEAT_MS = 5000;
/** For the liveness tests: registrations are removed after 3 of these. */
const FAST_HEARTBEAT_MS = 100;

const errorCodesJson = JSON.parse(
  readFileSync(join(packageRoot(), 'docs', 'protocol', 'error-codes.json'), 'utf8'),
) as { brokerErrorCodes: Record<string, { meaning: string; action: string }> };

function channelName(what: string): string {
  return uniqueName(`conf.${what}`).replace(/-/g, '_');
}

/** An ERROR reply with `code`, whose action is the one docs/protocol/error-codes.json gives. */
function expectError(reply: RawReply, code: string): Record<string, unknown> {
  expect(reply.type, JSON.stringify(reply.body)).toBe('ERROR');
  expect(reply.body.code).toBe(code);
  expect(reply.body.action).toBe(errorCodesJson.brokerErrorCodes[code]!.action);
  return reply.body;
}

function expectOk(reply: RawReply, type: string): Record<string, unknown> {
  expect(reply.type, JSON.stringify(reply.body)).toBe(`${type}_OK`);
  return reply.body;
}

function producerBody(channel: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channel,
    shmName: '/' + channel.replace(/\./g, '_'),
    config: SMALL_RING,
    host: 'testhost',
    pid: process.pid,
    producerName: 'conformance-producer',
    producerUid: 'uid-conformance',
    ...extra,
  };
}

function consumerBody(
  channel: string,
  consumerId: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { channel, consumerId, host: 'testhost', pid: process.pid, ...extra };
}

const SCHEMA_A = { id: 'conf.a', version: 1, slot: SPEC_SLOT };
const SCHEMA_B = {
  id: 'conf.b',
  version: 1,
  slot: { packing: 'aligned', fields: [{ name: 'x', type: 'float32' }] },
};

describe('protocol v1 conformance (raw frames, real broker over tcp)', () => {
  let broker: Broker;
  const raws: RawClient[] = [];

  async function client(name = 'conformance'): Promise<RawClient> {
    const r = RawClient.forBroker(broker.endpoint, broker.serverKey);
    raws.push(r);
    expectOk(await r.request('HELLO', r.helloBody(name)), 'HELLO');
    return r;
  }

  /** Every message queued at `r` up to (and including) the reply to a fresh PING. */
  async function flush(r: RawClient): Promise<RawReply[]> {
    const corr = `flush-${randomUUID()}`;
    await r.sendFrames(['HS1', 'PING', corr, '{}']);
    await r.next((m) => m.correlationId === corr);
    return r.drain();
  }

  beforeAll(async () => {
    broker = await startBroker({
      endpoint: 'tcp://127.0.0.1:0',
      heartbeatIntervalMs: SLOW_HEARTBEAT_MS,
      maxMessageBytes: 1024 * 1024,
    });
  });
  afterAll(async () => {
    raws.forEach((r) => r.close());
    await broker.close();
  });

  describe('1. SCHEMA_GET returns the schema as registered', () => {
    it('keeps fields[].unit and fields[].description (slot and flexzone), outside the fingerprint', async () => {
      const r = await client();
      const annotated = {
        id: uniqueName('conf.annotated'),
        version: 3,
        description: 'annotated',
        slot: {
          packing: 'aligned',
          fields: SPEC_SLOT.fields.map((f, i) => ({ ...f, unit: `u${i}`, description: `slot field ${i}` })),
        },
        flexzone: {
          packing: 'packed',
          fields: [{ name: 'gain', type: 'float64', unit: 'dB', description: 'amplifier gain' }],
        },
      };
      const reg = expectOk(await r.request('SCHEMA_REGISTER', { schema: annotated }), 'SCHEMA_REGISTER');
      expect(reg.fingerprint).toBe(SPEC_SLOT_FINGERPRINT);
      const got = expectOk(await r.request('SCHEMA_GET', { id: annotated.id }), 'SCHEMA_GET');
      expect(got.schema).toEqual(annotated);
      expect(got.fingerprint).toBe(SPEC_SLOT_FINGERPRINT);
    });
  });

  describe('2. a producer re-registering with another schema', () => {
    it('drops the consumer expecting the old one and tells the producer CONSUMER_LEFT schema-mismatch', async () => {
      const channel = channelName('reschema');
      const p = await client('producer');
      const c = await client('consumer');
      const first = expectOk(
        await p.request('PRODUCER_REGISTER', producerBody(channel, { schemaDefinition: SCHEMA_A })),
        'PRODUCER_REGISTER',
      );
      const fingerprint = (first.channel as { schema: { fingerprint: string } }).schema.fingerprint;
      expectOk(
        await c.request('CONSUMER_REGISTER', consumerBody(channel, 'c1', { expectedFingerprint: fingerprint })),
        'CONSUMER_REGISTER',
      );
      await p.next((m) => m.type === 'CONSUMER_JOINED' && m.body.channel === channel);
      const again = expectOk(
        await p.request('PRODUCER_REGISTER', producerBody(channel, { schemaDefinition: SCHEMA_B })),
        'PRODUCER_REGISTER',
      );
      expect(again.reregistered).toBe(true);
      const dropped = await c.next((m) => m.type === 'REGISTRATION_DROPPED');
      expect(dropped.body).toMatchObject({ channel, role: 'consumer', consumerId: 'c1', reason: 'schema-mismatch' });
      const left = await p.next((m) => m.type === 'CONSUMER_LEFT');
      expect(left.correlationId).toBe('');
      expect(left.body).toEqual({ channel, consumerId: 'c1', reason: 'schema-mismatch' });
    });

    it('tells a producer new on the channel nothing about a consumer it never heard of', async () => {
      const channel = channelName('newschema');
      const p = await client('producer');
      const c = await client('consumer');
      expectOk(
        await c.request('CONSUMER_REGISTER', consumerBody(channel, 'c1', { expectedFingerprint: 'ab'.repeat(32) })),
        'CONSUMER_REGISTER',
      );
      expectOk(
        await p.request('PRODUCER_REGISTER', producerBody(channel, { schemaDefinition: SCHEMA_A })),
        'PRODUCER_REGISTER',
      );
      expect((await c.next((m) => m.type === 'REGISTRATION_DROPPED')).body.reason).toBe('schema-mismatch');
      const seen = await flush(p);
      expect(seen.filter((m) => m.type === 'CONSUMER_LEFT' || m.type === 'CONSUMER_JOINED')).toEqual([]);
    });
  });

  describe('3. CHANNEL_DESTROY', () => {
    it('sends CHANNEL_CLOSING and then REGISTRATION_DROPPED {reason:"destroyed"} to producer and consumer', async () => {
      const channel = channelName('destroy');
      const p = await client('producer');
      const c = await client('consumer');
      const admin = await client('admin');
      expectOk(await p.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
      expectOk(await c.request('CONSUMER_REGISTER', consumerBody(channel, 'c1')), 'CONSUMER_REGISTER');
      const destroyed = expectOk(await admin.request('CHANNEL_DESTROY', { channel }), 'CHANNEL_DESTROY');
      expect(destroyed).toEqual({ channel, notified: 2 });
      for (const [who, role] of [
        [p, 'producer'],
        [c, 'consumer'],
      ] as const) {
        const got = (await flush(who)).filter((m) => m.correlationId === '' && m.body.channel === channel);
        const types = got.map((m) => m.type).filter((t) => t !== 'CONSUMER_JOINED');
        expect(types).toEqual(['CHANNEL_CLOSING', 'REGISTRATION_DROPPED']);
        expect(got.find((m) => m.type === 'CHANNEL_CLOSING')!.body.reason).toBe('destroyed');
        expect(got.find((m) => m.type === 'REGISTRATION_DROPPED')!.body).toMatchObject({ role, reason: 'destroyed' });
      }
      const hb = expectOk(
        await c.request('HEARTBEAT', { producers: [], consumers: [{ channel, consumerId: 'c1' }] }),
        'HEARTBEAT',
      );
      expect(hb.unknownConsumers).toEqual([{ channel, consumerId: 'c1' }]);
    });
  });

  describe('4. correlation ids', () => {
    it('accepts a UUID and any 1 to 128 printable ASCII characters', async () => {
      const r = await client();
      for (const id of [randomUUID(), 'x'.repeat(128), '!~{}|"\\', `req-${randomUUID()}-${randomUUID()}`]) {
        await r.sendFrames(['HS1', 'PING', id, '{}']);
        expect((await r.next((m) => m.correlationId === id)).type).toBe('PING_OK');
      }
    });

    it('echoes a UUID on every ERROR not about the id itself', async () => {
      const r = await client();
      const id = randomUUID();
      await r.sendFrames(['HS1', 'NO_SUCH_TYPE', id, '{}']);
      expectError(await r.next((m) => m.correlationId === id), 'UNKNOWN_TYPE');
      const id2 = randomUUID();
      await r.sendFrames(['HS1', 'DISCOVER', id2, '{"channel":"no such"}']);
      expectError(await r.next((m) => m.correlationId === id2), 'BAD_REQUEST');
    });

    it('answers a bad id with BAD_REQUEST carrying its longest valid prefix', async () => {
      const r = await client();
      const long = 'L'.repeat(129);
      await r.sendFrames(['HS1', 'PING', long, '{}']);
      const tooLong = expectError(await r.next((m) => m.correlationId === long.slice(0, 128)), 'BAD_REQUEST');
      expect(String(tooLong.message)).toMatch(/128/);
      await r.sendFrames(['HS1', 'PING', 'abc def', '{}']);
      expectError(await r.next((m) => m.correlationId === 'abc'), 'BAD_REQUEST');
      await r.sendFrames(['HS1', 'PING', Buffer.from([0x61, 0x62, 0x00, 0x63]), '{}']);
      expectError(await r.next((m) => m.correlationId === 'ab'), 'BAD_REQUEST');
      await r.sendFrames(['HS1', 'PING', '', '{}']);
      expectError(await r.next((m) => m.type === 'ERROR' && m.correlationId === ''), 'BAD_REQUEST');
    });
  });

  describe('5. errors inside a schema document are SCHEMA_INVALID naming the field', () => {
    const slot = (fields: unknown) => ({ id: 'conf.bad', version: 1, slot: { packing: 'aligned', fields } });
    const cases: Array<{ what: string; schema: unknown; names: RegExp }> = [
      { what: 'unknown field type', schema: slot([{ name: 'a', type: 'float128' }]), names: /type.*float128/ },
      { what: 'empty field list', schema: slot([]), names: /fields/ },
      { what: 'count 0', schema: slot([{ name: 'a', type: 'int8', count: 0 }]), names: /count/ },
      { what: 'missing slot', schema: { id: 'conf.bad', version: 1 }, names: /slot/ },
      {
        what: 'bad packing',
        schema: { id: 'conf.bad', version: 1, slot: { packing: 'tight', fields: [{ name: 'a', type: 'int8' }] } },
        names: /packing/,
      },
      {
        what: 'duplicate name',
        schema: slot([
          { name: 'a', type: 'int8' },
          { name: 'a', type: 'int16' },
        ]),
        names: /"a"/,
      },
      {
        what: 'more than 4096 fields',
        schema: slot(Array.from({ length: 4097 }, (_, i) => ({ name: `f${i}`, type: 'int8' }))),
        names: /fields/,
      },
    ];

    it.each(cases)('SCHEMA_REGISTER with $what', async ({ schema, names }) => {
      const r = await client();
      const e = expectError(await r.request('SCHEMA_REGISTER', { schema }), 'SCHEMA_INVALID');
      expect(String(e.message)).toMatch(names);
    });

    it.each(cases)('PRODUCER_REGISTER.schemaDefinition with $what', async ({ schema, names }) => {
      const r = await client();
      const channel = channelName('badschema');
      const e = expectError(
        await r.request('PRODUCER_REGISTER', producerBody(channel, { schemaDefinition: schema })),
        'SCHEMA_INVALID',
      );
      expect(String(e.message)).toMatch(names);
    });

    it('a missing document or a bad field outside it is BAD_REQUEST', async () => {
      const r = await client();
      expectError(await r.request('SCHEMA_REGISTER', {}), 'BAD_REQUEST');
      const channel = channelName('badconfig');
      const e = expectError(
        await r.request(
          'PRODUCER_REGISTER',
          producerBody(channel, { schemaDefinition: SCHEMA_A, config: { ...SMALL_RING, policy: 'Ring' } }),
        ),
        'BAD_REQUEST',
      );
      expect(String(e.message)).toMatch(/\/config\/policy/);
    });
  });

  describe('6. CHANNEL_LIST.prefix follows the dot hierarchy', () => {
    it('matches whole segments only', async () => {
      const r = await client();
      const root = channelName('tree');
      const names = [`${root}.alpha`, `${root}.alpha.one`, `${root}.alpha.two.deep`, `${root}.alphabet`, `${root}.alp`];
      for (const channel of names) expectOk(await r.request('CHANNEL_CREATE', { channel }), 'CHANNEL_CREATE');
      const listed = async (prefix: string) =>
        (expectOk(await r.request('CHANNEL_LIST', { prefix }), 'CHANNEL_LIST').channels as Array<{ name: string }>).map(
          (c) => c.name,
        );
      const alpha = [`${root}.alpha`, `${root}.alpha.one`, `${root}.alpha.two.deep`];
      expect(await listed(`${root}.alpha`)).toEqual(alpha);
      expect(await listed(`${root}.alpha.`)).toEqual(alpha);
      expect(await listed(`${root}.al`)).toEqual([]);
      expect(await listed(root)).toEqual([...names].sort());
      for (const channel of names) expectOk(await r.request('CHANNEL_DESTROY', { channel }), 'CHANNEL_DESTROY');
    });
  });

  describe('7. the framing tag and the type frame', () => {
    it('HS<n> other than HS1 is UNSUPPORTED_VERSION; any other tag or a malformed type is BAD_REQUEST', async () => {
      const r = await client();
      const cases: Array<[string, string, string]> = [
        ['HS2', 'PING', 'UNSUPPORTED_VERSION'],
        ['HS10', 'PING', 'UNSUPPORTED_VERSION'],
        ['XYZ', 'PING', 'BAD_REQUEST'],
        ['', 'PING', 'BAD_REQUEST'],
        ['HS1', 'ping', 'BAD_REQUEST'],
        ['HS1', '1PING', 'BAD_REQUEST'],
        ['HS1', 'P'.repeat(65), 'BAD_REQUEST'],
      ];
      for (const [i, [tag, type, code]] of cases.entries()) {
        const id = `tag-${i}`;
        await r.sendFrames([tag, type, id, '{}']);
        expectError(await r.next((m) => m.correlationId === id), code);
      }
    });
  });

  describe('8. rules newly documented', () => {
    it('after BYE the next request gets HELLO_REQUIRED; HELLO makes the connection usable again', async () => {
      const r = await client();
      expectOk(await r.request('BYE', {}), 'BYE');
      expectError(await r.request('PING', {}), 'HELLO_REQUIRED');
      expectOk(await r.request('HELLO', r.helloBody()), 'HELLO');
      expectOk(await r.request('PING', {}), 'PING');
    });

    it('the default broker is CURVE: HELLO_OK (protocol 2) states the mode, its key and the client key', async () => {
      const r = RawClient.forBroker(broker.endpoint, broker.serverKey);
      raws.push(r);
      const hello = expectOk(await r.request('HELLO', r.helloBody()), 'HELLO');
      expect(hello.version).toBe(2);
      expect(hello.security).toMatchObject({
        mode: 'curve',
        serverKey: broker.serverKey,
        serverKeyFingerprint: expect.stringMatching(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/),
        clientKeyFingerprint: expect.stringMatching(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/),
      });
      const noAuth = { ...r.helloBody(), auth: undefined };
      expectError(await r.request('HELLO', noAuth), 'AUTH_FAILED');
    });

    it('a second HELLO keeps the connection registrations', async () => {
      const channel = channelName('rehello');
      const r = await client('first-name');
      expectOk(await r.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
      expectOk(await r.request('CONSUMER_REGISTER', consumerBody(channel, 'self')), 'CONSUMER_REGISTER');
      expectOk(await r.request('HELLO', r.helloBody('second-name')), 'HELLO');
      const hb = expectOk(
        await r.request('HEARTBEAT', { producers: [channel], consumers: [{ channel, consumerId: 'self' }] }),
        'HEARTBEAT',
      );
      expect(hb).toMatchObject({ unknownProducers: [], unknownConsumers: [] });
      const status = expectOk(await r.request('STATUS', {}), 'STATUS');
      expect((status.clients as Array<{ name: string }>).some((c) => c.name === 'second-name')).toBe(true);
      expectOk(await r.request('BYE', {}), 'BYE');
    });

    it('CHANNEL_CREATE on an active channel makes it explicit: it stays pending after its producer leaves', async () => {
      const channel = channelName('explicit');
      const r = await client();
      expectOk(await r.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
      const created = expectOk(await r.request('CHANNEL_CREATE', { channel }), 'CHANNEL_CREATE');
      expect(created).toMatchObject({ created: false, channel: { state: 'active', explicit: true } });
      expectOk(
        await r.request('PRODUCER_DEREGISTER', { channel, producerUid: 'uid-conformance' }),
        'PRODUCER_DEREGISTER',
      );
      expectError(await r.request('DISCOVER', { channel }), 'PENDING');
      const listed = expectOk(await r.request('CHANNEL_LIST', { prefix: channel }), 'CHANNEL_LIST');
      expect(listed.channels).toMatchObject([{ name: channel, state: 'pending', explicit: true }]);
      expectOk(await r.request('CHANNEL_DESTROY', { channel }), 'CHANNEL_DESTROY');
    });

    it('PRODUCER_DEREGISTER naming another producerUid is CHANNEL_OWNED and changes nothing', async () => {
      const channel = channelName('owned');
      const r = await client();
      expectOk(await r.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
      const e = expectError(
        await r.request('PRODUCER_DEREGISTER', { channel, producerUid: 'someone-else' }),
        'CHANNEL_OWNED',
      );
      expect(e.details).toMatchObject({ owner: { producerUid: 'uid-conformance' } });
      const found = expectOk(await r.request('DISCOVER', { channel }), 'DISCOVER');
      expect((found.channel as { state: string }).state).toBe('active');
      expectOk(await r.request('CHANNEL_DESTROY', { channel }), 'CHANNEL_DESTROY');
    });

    it('schema and schemaDefinition naming different schemas is BAD_REQUEST', async () => {
      const r = await client();
      const e = expectError(
        await r.request(
          'PRODUCER_REGISTER',
          producerBody(channelName('disagree'), { schema: { id: 'other', version: 1 }, schemaDefinition: SCHEMA_A }),
        ),
        'BAD_REQUEST',
      );
      expect(String(e.message)).toMatch(/other/);
    });

    it('CHANNEL_LIST: states [] matches nothing; total counts the matches before limit', async () => {
      const r = await client();
      const root = channelName('limit');
      for (const n of ['a', 'b', 'c'])
        expectOk(await r.request('CHANNEL_CREATE', { channel: `${root}.${n}` }), 'CHANNEL_CREATE');
      expect(expectOk(await r.request('CHANNEL_LIST', { prefix: root, states: [] }), 'CHANNEL_LIST')).toEqual({
        channels: [],
        total: 0,
      });
      const limited = expectOk(await r.request('CHANNEL_LIST', { prefix: root, limit: 2 }), 'CHANNEL_LIST');
      expect((limited.channels as Array<{ name: string }>).map((c) => c.name)).toEqual([`${root}.a`, `${root}.b`]);
      expect(limited.total).toBe(3);
      for (const n of ['a', 'b', 'c'])
        expectOk(await r.request('CHANNEL_DESTROY', { channel: `${root}.${n}` }), 'CHANNEL_DESTROY');
    });

    it('SCHEMA_MISMATCH: expected is the fingerprint from the request, actual the broker one', async () => {
      const channel = channelName('mismatch');
      const p = await client('producer');
      const c = await client('consumer');
      expectOk(
        await p.request('PRODUCER_REGISTER', producerBody(channel, { schemaDefinition: SCHEMA_A })),
        'PRODUCER_REGISTER',
      );
      const wrong = 'cd'.repeat(32);
      const consumerSide = expectError(
        await c.request('CONSUMER_REGISTER', consumerBody(channel, 'c1', { expectedFingerprint: wrong })),
        'SCHEMA_MISMATCH',
      );
      expect(consumerSide.details).toMatchObject({ expected: wrong, actual: SPEC_SLOT_FINGERPRINT });
      const producerSide = expectError(
        await p.request(
          'PRODUCER_REGISTER',
          producerBody(channelName('claim'), {
            schema: { id: SCHEMA_A.id, version: 1, fingerprint: wrong },
            schemaDefinition: SCHEMA_A,
          }),
        ),
        'SCHEMA_MISMATCH',
      );
      expect(producerSide.details).toMatchObject({ expected: wrong, actual: SPEC_SLOT_FINGERPRINT });
      expectOk(await p.request('CHANNEL_DESTROY', { channel }), 'CHANNEL_DESTROY');
    });

    it('the held-DISCOVER limit is shared by all connections', async () => {
      const small = await startBroker({ endpoint: 'tcp://127.0.0.1:0', maxDiscoveryWaiters: 2 });
      const local: RawClient[] = [];
      try {
        const open = async () => {
          const r = RawClient.forBroker(small.endpoint, small.serverKey);
          local.push(r);
          expectOk(await r.request('HELLO', r.helloBody()), 'HELLO');
          return r;
        };
        const [a, b, c] = [await open(), await open(), await open()];
        const channel = channelName('held');
        expectOk(await a.request('CHANNEL_CREATE', { channel }), 'CHANNEL_CREATE');
        await a.sendFrames(['HS1', 'DISCOVER', 'held-a', JSON.stringify({ channel, waitMs: 60000 })]);
        await b.sendFrames(['HS1', 'DISCOVER', 'held-b', JSON.stringify({ channel, waitMs: 60000 })]);
        // Each connection's messages are handled in order: once its PING is answered,
        // its DISCOVER is held (and not answered yet).
        expect(await flush(a)).toEqual([]);
        expect(await flush(b)).toEqual([]);
        // A third connection, holding nothing itself, is answered PENDING at once.
        const e = expectError(await c.request('DISCOVER', { channel, waitMs: 60000 }), 'PENDING');
        expect(e.details).toMatchObject({ channel, heldLimit: 2 });
        // The held ones are answered as soon as a producer registers.
        expectOk(await c.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
        expect((await a.next((m) => m.correlationId === 'held-a')).type).toBe('DISCOVER_OK');
        expect((await b.next((m) => m.correlationId === 'held-b')).type).toBe('DISCOVER_OK');
      } finally {
        local.forEach((r) => r.close());
        await small.close();
      }
    });
  });

  describe('10. CONSUMER_JOINED', () => {
    it('comes from CONSUMER_REGISTER, not DISCOVER, and goes to the producer only', async () => {
      const channel = channelName('joined');
      const p = await client('producer');
      const c = await client('consumer');
      expectOk(await p.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
      expectOk(await c.request('DISCOVER', { channel }), 'DISCOVER');
      expect((await flush(p)).filter((m) => m.type === 'CONSUMER_JOINED')).toEqual([]);
      expectOk(await c.request('CONSUMER_REGISTER', consumerBody(channel, 'viewer-1')), 'CONSUMER_REGISTER');
      const joined = (await flush(p)).filter((m) => m.type === 'CONSUMER_JOINED');
      expect(joined).toHaveLength(1);
      expect(joined[0]!.correlationId).toBe('');
      expect(joined[0]!.body).toMatchObject({ channel, consumer: { consumerId: 'viewer-1' } });
      expect((await flush(c)).filter((m) => m.type === 'CONSUMER_JOINED')).toEqual([]);
      expectOk(await p.request('CHANNEL_DESTROY', { channel }), 'CHANNEL_DESTROY');
    });
  });

  describe('11. ERROR bodies follow docs/protocol/error-codes.json', () => {
    it('carries the documented action and a message naming the field and value', async () => {
      const r = await client();
      const e = expectError(await r.request('DISCOVER', { channel: 'bad name' }), 'BAD_REQUEST');
      expect(String(e.message)).toMatch(/\/channel.*bad name/);
      const channel = channelName('owner');
      const other = await client();
      expectOk(await r.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
      expectError(
        await other.request('PRODUCER_REGISTER', producerBody(channel, { producerUid: 'another' })),
        'CHANNEL_OWNED',
      );
      expectOk(await r.request('CHANNEL_DESTROY', { channel }), 'CHANNEL_DESTROY');
    });
  });

  describe('12. array bounds from the JSON Schemas', () => {
    it('HEARTBEAT.consumers takes at most 10000 entries', async () => {
      const r = await client();
      const consumers = (n: number) => Array.from({ length: n }, (_, i) => ({ channel: 'a', consumerId: `c${i}` }));
      const ok = expectOk(await r.request('HEARTBEAT', { producers: [], consumers: consumers(10000) }), 'HEARTBEAT');
      expect((ok.unknownConsumers as unknown[]).length).toBe(10000);
      const e = expectError(
        await r.request('HEARTBEAT', { producers: [], consumers: consumers(10001) }),
        'BAD_REQUEST',
      );
      expect(String(e.message)).toMatch(/\/consumers/);
    });
  });
});

describe('protocol v1 conformance: liveness (fast heartbeat)', () => {
  let broker: Broker;
  const raws: RawClient[] = [];
  const timers: NodeJS.Timeout[] = [];

  async function client(name = 'conformance'): Promise<RawClient> {
    const r = RawClient.forBroker(broker.endpoint, broker.serverKey);
    raws.push(r);
    expectOk(await r.request('HELLO', r.helloBody(name)), 'HELLO');
    return r;
  }

  /** Heartbeats for `r` every interval, as the docs require, until the test ends. */
  function keepAlive(r: RawClient, producers: string[], consumers: Array<{ channel: string; consumerId: string }>) {
    let n = 0;
    timers.push(
      setInterval(() => {
        void r.sendFrames(['HS1', 'HEARTBEAT', `hb-${++n}`, JSON.stringify({ producers, consumers })]);
      }, FAST_HEARTBEAT_MS / 2),
    );
  }

  beforeAll(async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', heartbeatIntervalMs: FAST_HEARTBEAT_MS });
  });
  afterAll(async () => {
    timers.forEach((t) => clearInterval(t));
    raws.forEach((r) => r.close());
    await broker.close();
  });

  it('announces livenessTimeoutMs = 3 heartbeat intervals', async () => {
    const r = RawClient.forBroker(broker.endpoint, broker.serverKey);
    raws.push(r);
    const hello = expectOk(await r.request('HELLO', r.helloBody()), 'HELLO');
    expect(hello).toMatchObject({ heartbeatIntervalMs: FAST_HEARTBEAT_MS, livenessTimeoutMs: 3 * FAST_HEARTBEAT_MS });
  });

  it('a silent producer is removed: REGISTRATION_DROPPED to it, PRODUCER_GONE to its consumers', async () => {
    const channel = channelName('silent');
    const p = await client('producer');
    const c = await client('consumer');
    expectOk(await p.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
    expectOk(await c.request('CONSUMER_REGISTER', consumerBody(channel, 'c1')), 'CONSUMER_REGISTER');
    keepAlive(c, [], [{ channel, consumerId: 'c1' }]);
    const gone = await c.next((m) => m.type === 'PRODUCER_GONE');
    expect(gone.body).toEqual({ channel, reason: 'timeout' });
    const dropped = await p.next((m) => m.type === 'REGISTRATION_DROPPED');
    expect(dropped.body).toMatchObject({ channel, role: 'producer', reason: 'timeout' });
  });

  describe('9. a closing channel at the liveness timeout', () => {
    it('drops a consumer that kept heartbeating and tells it REGISTRATION_DROPPED {reason:"channel-closed"}', async () => {
      const channel = channelName('closing');
      const p = await client('producer');
      const c = await client('consumer');
      expectOk(await p.request('PRODUCER_REGISTER', producerBody(channel)), 'PRODUCER_REGISTER');
      expectOk(await c.request('CONSUMER_REGISTER', consumerBody(channel, 'c1')), 'CONSUMER_REGISTER');
      keepAlive(c, [], [{ channel, consumerId: 'c1' }]);
      expectOk(
        await p.request('PRODUCER_DEREGISTER', { channel, producerUid: 'uid-conformance' }),
        'PRODUCER_DEREGISTER',
      );
      const closing = await c.next((m) => m.type === 'CHANNEL_CLOSING');
      expect(closing.body).toEqual({ channel, reason: 'producer-closed' });
      const dropped = await c.next((m) => m.type === 'REGISTRATION_DROPPED');
      expect(dropped.body).toMatchObject({ channel, role: 'consumer', consumerId: 'c1', reason: 'channel-closed' });
      expectError(await c.request('DISCOVER', { channel }), 'NOT_FOUND');
    });
  });
});
