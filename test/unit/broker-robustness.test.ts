// Bad input against a real broker: every malformed message gets an ERROR to its
// sender only, floods are limited, and after more than 10,000 random or malformed
// frames every registration is intact and the broker still answers.
import { randomBytes } from 'node:crypto';
import { Dealer } from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { MessageHub } from '../../main/hub/message-hub.js';
import { REQUEST_TYPES } from '../../main/protocol/messages.js';
import { COUNTER_FINGERPRINT, COUNTER_SCHEMA, producerInput, uniqueName, waitFor } from './hub-fixtures/helpers.js';
import { helloBody, RawClient } from './hub-fixtures/raw-client.js';

const MAX_BYTES = 4096;

describe('broker against bad input', () => {
  let broker: Broker;
  const raws: RawClient[] = [];
  const raw = () => {
    const r = new RawClient(broker.endpoint);
    raws.push(r);
    return r;
  };

  beforeAll(async () => {
    broker = await startBroker({ heartbeatIntervalMs: 200, maxMessageBytes: MAX_BYTES, open: true });
  });
  afterAll(async () => {
    raws.forEach((r) => r.close());
    await broker.close();
  });

  it('refuses protocol versions it does not speak, naming the supported ones', async () => {
    const r = raw();
    const reply = await r.request('HELLO', helloBody('old-client', [3, 4]));
    expect(reply.type).toBe('ERROR');
    expect(reply.body).toMatchObject({ code: 'UNSUPPORTED_VERSION', details: { supported: [1, 2], offered: [3, 4] } });
    expect(String(reply.body.action)).toMatch(/upgrade/i);
    await r.sendFrames(['HS9', 'HELLO', 'x1', JSON.stringify(helloBody())]);
    expect((await r.next((m) => m.correlationId === 'x1')).body.code).toBe('UNSUPPORTED_VERSION');
    const ok = await r.request('HELLO', helloBody('new-client', [1, 2]));
    expect(ok.type).toBe('HELLO_OK');
    expect(ok.body.version).toBe(2);
  });

  it('answers each kind of malformed message with a specific ERROR', async () => {
    const r = raw();
    expect((await r.request('PING', {})).body.code).toBe('HELLO_REQUIRED');
    await r.request('HELLO', helloBody());
    const cases: Array<{ frames: Array<string | Buffer>; code: string; text?: RegExp }> = [
      { frames: ['HS1', 'NO_SUCH_TYPE', 'c1', '{}'], code: 'UNKNOWN_TYPE', text: /NO_SUCH_TYPE/ },
      { frames: ['HS1', 'DISCOVER', 'c2', '{not json'], code: 'BAD_REQUEST', text: /not valid JSON/ },
      { frames: ['HS1', 'DISCOVER', 'c3', '[1,2]'], code: 'BAD_REQUEST', text: /JSON object/ },
      { frames: ['HS1', 'DISCOVER', 'c4', '{"channel":42}'], code: 'BAD_REQUEST', text: /\/channel/ },
      { frames: ['HS1', 'DISCOVER', 'c5', '{"channel":"bad name"}'], code: 'BAD_REQUEST', text: /\/channel/ },
      { frames: ['HS1', 'DISCOVER', 'c6'], code: 'BAD_REQUEST', text: /4 frames/ },
      { frames: ['XX', 'DISCOVER', 'c7', '{}'], code: 'BAD_REQUEST', text: /tag/ },
      { frames: ['HS1', 'lower', 'c8', '{}'], code: 'BAD_REQUEST', text: /message type/ },
      {
        frames: ['HS1', 'DISCOVER', 'c9', JSON.stringify({ channel: 'a', pad: 'x'.repeat(MAX_BYTES) })],
        code: 'TOO_LARGE',
      },
      {
        frames: [
          'HS1',
          'SCHEMA_REGISTER',
          'c10',
          JSON.stringify({
            schema: { ...COUNTER_SCHEMA, slot: { packing: 'aligned', fields: [{ name: '1bad', type: 'int8' }] } },
          }),
        ],
        code: 'SCHEMA_INVALID',
      },
    ];
    for (const c of cases) {
      await r.sendFrames(c.frames);
      const corr = String(c.frames[2]);
      const reply = await r.next((m) => m.correlationId === corr);
      expect(reply.type, corr).toBe('ERROR');
      expect(reply.body.code, corr).toBe(c.code);
      if (c.text) expect(String(reply.body.message), corr).toMatch(c.text);
      expect(typeof reply.body.action).toBe('string');
    }
    // An unreadable correlation id still gets an (unmatched) ERROR.
    await r.sendFrames(['HS1', 'PING', Buffer.alloc(40, 1), '{}']);
    const unmatched = await r.next((m) => m.correlationId === '' && m.type === 'ERROR');
    expect(unmatched.body.code).toBe('BAD_REQUEST');
    expect((await r.request('PING', {})).type).toBe('PING_OK');
  });

  it('limits a flooding connection with RATE_LIMITED while serving others', async () => {
    const limited = await startBroker({ rateLimit: { perSecond: 50, burst: 50 }, open: true });
    const flooder = new RawClient(limited.endpoint);
    const polite = new MessageHub({ endpoint: limited.endpoint, security: { open: true } });
    try {
      await flooder.request('HELLO', helloBody('flooder'));
      for (let i = 0; i < 400; i++) await flooder.sendFrames(['HS1', 'PING', `f${i}`, '{}']);
      const err = await flooder.next((m) => m.type === 'ERROR' && m.body.code === 'RATE_LIMITED');
      expect((err.body.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      const answered = flooder.drain().filter((m) => m.type === 'PING_OK').length;
      expect(answered).toBeLessThan(400);
      expect((await polite.ping()).bootId).toBe(limited.bootId);
      expect(limited.status().counters.dropped).toBeGreaterThan(0);
    } finally {
      flooder.close();
      await polite.close();
      await limited.close();
    }
  });

  it('keeps every registration and keeps answering through 10,000+ random and malformed frames', async () => {
    const producerHub = new MessageHub({
      endpoint: broker.endpoint,
      clientName: 'victim-producer',
      security: { open: true },
    });
    const consumerHub = new MessageHub({
      endpoint: broker.endpoint,
      clientName: 'victim-consumer',
      security: { open: true },
    });
    const channel = uniqueName('lab.victim');
    try {
      const producer = await producerHub.registerProducer(
        producerInput(channel, { schemaDefinition: COUNTER_SCHEMA, producerUid: 'victim' }),
      );
      await consumerHub.registerConsumer({ channel, consumerId: 'victim-consumer' });
      const schemasBefore = (await consumerHub.listSchemas()).length;

      const rnd = (n: number) => Math.floor(Math.random() * n);
      const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
      const jsonJunk = [
        'null',
        '1',
        '"s"',
        '{}',
        '{"channel":null}',
        `{"channel":"${channel}.x","waitMs":-1}`,
        '{"__proto__":{"polluted":true}}', // (no valid CHANNEL_DESTROY of the victim: destroying is allowed by design)
        '{"constructor":{"prototype":{"polluted":true}}}',
        '['.repeat(500) + ']'.repeat(500),
        '{"a":' + '{"a":'.repeat(200) + '1' + '}'.repeat(201),
        '\u0000\u0001',
        '{"versions":[1e308],"client":{}}',
        `{"channel":"${channel}.sub","producerUid":"intruder"}`,
      ];
      // Adversarial but well-formed requests aimed at the victim's registrations.
      const hostile = [
        ['PRODUCER_REGISTER', { ...producerInput(channel), host: 'evil', pid: 1, producerUid: 'intruder' }],
        ['PRODUCER_DEREGISTER', { channel, producerUid: 'intruder' }],
        ['CONSUMER_REGISTER', { channel, consumerId: 'victim-consumer', host: 'evil', pid: 1 }],
        ['CONSUMER_REGISTER', { channel, consumerId: 'x', host: 'evil', pid: 1, expectedFingerprint: '00'.repeat(32) }],
        [
          'SCHEMA_REGISTER',
          { schema: { ...COUNTER_SCHEMA, slot: { packing: 'packed', fields: [{ name: 'z', type: 'int8' }] } } },
        ],
        ['HEARTBEAT', { producers: [channel], consumers: [{ channel, consumerId: 'victim-consumer' }] }],
      ] as const;
      function frames(): Array<string | Buffer> {
        switch (rnd(8)) {
          case 0:
            return Array.from({ length: rnd(7) }, () => randomBytes(rnd(64)));
          case 1:
            return ['HS1', randomBytes(rnd(20)), randomBytes(rnd(40)), randomBytes(rnd(200))];
          case 2:
            return ['HS1', pick(REQUEST_TYPES), `z${rnd(1e6)}`, pick(jsonJunk)];
          case 3:
            return [
              'HS1',
              pick(REQUEST_TYPES),
              `z${rnd(1e6)}`,
              JSON.stringify({ channel: randomBytes(8).toString('hex'), waitMs: rnd(3), versions: [rnd(9)] }),
            ];
          case 4:
            return ['HS1', 'DISCOVER', `z${rnd(1e6)}`, 'x'.repeat(MAX_BYTES + rnd(MAX_BYTES))];
          case 5: {
            const [type, body] = pick(hostile);
            return ['HS1', type, `h${rnd(1e6)}`, JSON.stringify(body)];
          }
          case 6:
            return ['HS1', 'HELLO', `z${rnd(1e6)}`, JSON.stringify(helloBody('fuzz', [rnd(4)]))];
          default:
            return [
              pick(['HS1', 'HS2', 'hs1', '']),
              pick(['PING', 'ERROR', 'HELLO_OK', 'X']),
              pick(['', 'a b', '1']),
              pick(jsonJunk),
            ];
        }
      }

      const fuzzers = [raw(), raw(), raw(), raw()];
      await Promise.all(fuzzers.slice(0, 2).map((f) => f.request('HELLO', helloBody('fuzzer'))));
      const TOTAL = 12_000;
      let sent = 0;
      await Promise.all(
        fuzzers.map(async (f, k) => {
          for (let i = k; i < TOTAL; i += fuzzers.length) {
            await f.sendFrames(frames());
            sent++;
            if (i % 40 === 0) await new Promise((r) => setImmediate(r));
          }
        }),
      );
      expect(sent).toBe(TOTAL);
      // A frame far above the limit makes ZeroMQ drop that connection; the broker goes on.
      const abuser = new Dealer({ linger: 0 });
      abuser.connect(broker.endpoint);
      await abuser.send(['HS1', 'PING', 'big', Buffer.alloc(MAX_BYTES * 8)]);
      abuser.close();

      // Everyone got answers; the broker still serves and nothing registered was lost.
      await waitFor('errors answered', () => broker.status().counters.errors > TOTAL / 2, 20_000);
      expect(fuzzers.every((f) => f.drain().some((m) => m.type === 'ERROR'))).toBe(true);
      expect((await consumerHub.ping()).bootId).toBe(broker.bootId);
      // Survive more than a liveness timeout, so that heartbeats prove the registrations live on.
      const until = Date.now() + 3 * 200 + 200;
      await waitFor('a liveness timeout', () => Date.now() > until, 5000);
      const info = await consumerHub.discover(channel);
      expect(info).toMatchObject({
        state: 'active',
        consumerCount: 1,
        producer: { producerUid: 'victim', host: producer.registration.host },
        schema: { fingerprint: COUNTER_FINGERPRINT },
      });
      expect((await producer.consumers()).map((c) => c.consumerId)).toEqual(['victim-consumer']);
      expect((await consumerHub.listSchemas()).length).toBeGreaterThanOrEqual(schemasBefore);
      expect((await consumerHub.getSchema(COUNTER_SCHEMA.id, 1)).fingerprint).toBe(COUNTER_FINGERPRINT);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(producer.closed).toBe(false);
    } finally {
      await producerHub.close();
      await consumerHub.close();
    }
  });
});
