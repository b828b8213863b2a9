// MessageHub client behaviour: reconnection and re-registration after a broker
// restart (in-process), timeouts, and a misbehaving "broker" that must not crash it.
import { Router } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { backoffDelay } from '../../main/hub/backoff.js';
import { HubError } from '../../main/hub/hub-error.js';
import { MessageHub, type ConnectionState } from '../../main/hub/message-hub.js';
import { codeOf, COUNTER_SCHEMA, producerInput, uniqueName, waitFor } from './hub-fixtures/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('MessageHub client', () => {
  it('reconnects after a graceful broker restart and registers everything again', async () => {
    const HB = 100;
    let broker: Broker = await startBroker({ heartbeatIntervalMs: HB });
    cleanups.push(() => broker.close());
    const endpoint = broker.endpoint;
    const hub = new MessageHub({ endpoint, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    cleanups.push(() => hub.close());
    const states: ConnectionState[] = [];
    hub.on('state', (s) => states.push(s));
    const restarts: string[] = [];
    hub.on('broker-restarted', (e) => restarts.push(e.bootId));
    const reregistered: Array<{ producers: number; consumers: number; failed: number }> = [];
    hub.on('reregistered', (e) => reregistered.push(e));

    const channel = uniqueName('lab.restart');
    await hub.registerSchema({ ...COUNTER_SCHEMA, id: channel });
    const producer = await hub.registerProducer(producerInput(channel, { schema: { id: channel, version: 1 } }));
    await hub.registerConsumer({ channel, consumerId: 'self' });
    const firstBoot = broker.bootId;

    await broker.close('test restart');
    await waitFor('reconnecting', () => hub.state === 'reconnecting');
    expect(await codeOf(hub.ping())).toBe('UNAVAILABLE'); // fails fast between attempts (or during one)

    broker = await startBroker({ endpoint, heartbeatIntervalMs: HB });
    await waitFor('re-registered on the new broker', () => reregistered.length > 0, 10_000);
    expect(reregistered[0]).toEqual({ bootId: broker.bootId, producers: 1, consumers: 1, failed: 0 } as never);
    expect(restarts).toEqual([broker.bootId]);
    expect(broker.bootId).not.toBe(firstBoot);
    const info = await hub.discover(channel);
    expect(info).toMatchObject({ state: 'active', consumerCount: 1, schema: { id: channel } });
    expect(producer.closed).toBe(false);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');
    // Heartbeats resume: the registrations outlive several liveness timeouts.
    const until = Date.now() + HB * 8;
    await waitFor('several liveness timeouts', () => Date.now() > until);
    expect((await hub.discover(channel)).state).toBe('active');
  });

  it('backs off exponentially with jitter, up to the maximum', () => {
    const o = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 };
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, o, () => 0.5))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(0, o, () => 0)).toBe(80);
    expect(backoffDelay(0, o, () => 1)).toBe(120);
  });

  it('times out, reports protocol errors and ignores junk from a misbehaving broker', async () => {
    const fake = new Router({ linger: 0 });
    await fake.bind('tcp://127.0.0.1:*');
    cleanups.push(() => fake.close());
    const hub = new MessageHub({ endpoint: fake.lastEndpoint!, requestTimeoutMs: 300, security: { open: true } });
    cleanups.push(() => hub.close());
    const warnings: string[] = [];
    hub.on('warning', (w) => warnings.push(w));
    void (async () => {
      for await (const [id, , type, corr] of fake) {
        const t = type!.toString();
        const c = corr!.toString();
        if (t === 'HELLO') {
          const ok = {
            version: 1,
            bootId: 'fake',
            brokerTime: Date.now(),
            heartbeatIntervalMs: 60_000,
            livenessTimeoutMs: 180_000,
            maxMessageBytes: 65536,
            broker: { software: 'fake', version: '0' },
          };
          await fake.send([id!, 'HS1', 'HELLO_OK', c, JSON.stringify(ok)]);
          // Junk notifications and frames: the client must shrug them off.
          await fake.send([id!, 'HS1', 'CONSUMER_JOINED', '', '{"channel":5}']);
          await fake.send([id!, 'HS1', 'NO_SUCH_NOTE', '', '{}']);
          await fake.send([id!, 'garbage']);
          await fake.send([id!, 'HS1', 'PING_OK', 'unknown-corr', '{}']);
        } else if (t === 'PING') {
          await fake.send([id!, 'HS1', 'PING_OK', c, '{"bootId":42}']);
        } else if (t === 'STATUS') {
          await fake.send([id!, 'HS1', 'ERROR', c, JSON.stringify({ code: 'NOT_A_CODE', message: 'x', action: 'y' })]);
        } else if (t === 'SCHEMA_LIST') {
          await fake.send([
            id!,
            'HS1',
            'ERROR',
            c,
            JSON.stringify({ code: 'INTERNAL', message: 'boom', action: 'retry' }),
          ]);
        }
        // DISCOVER: never answered.
      }
    })().catch(() => undefined);

    expect(await codeOf(hub.discover('lab.x'))).toBe('TIMEOUT');
    expect(await codeOf(hub.ping())).toBe('PROTOCOL_ERROR');
    expect(await codeOf(hub.status())).toBe('PROTOCOL_ERROR');
    const err = await hub.listSchemas().catch((e: unknown) => e as HubError);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('INTERNAL');
    expect((err as HubError).action).toMatch(/retry/i);
    await waitFor('warnings about the junk', () => warnings.length >= 3);
    expect(hub.state).toBe('connected');
  });
});
