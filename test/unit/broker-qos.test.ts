// Priority channels (capability "qos", docs/protocol.md "Priority channels") over real
// sockets: the class a producer registers sets its heartbeat interval and liveness
// timeout, and under a queued backlog the broker answers a request about a critical
// channel before requests about a bulk channel that were queued earlier. The backlog
// is built with the broker's pauseHandling hook, so nothing here depends on timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { MessageHub } from '../../main/hub/message-hub.js';
import { PriorityQueue } from '../../main/broker/priority-queue.js';
import { SMALL_RING } from '../support/spec-fixtures.js';
import { uniqueName } from './hub-fixtures/helpers.js';
import { helloedRawClient, type RawClient } from './hub-fixtures/raw-client.js';

const HEARTBEAT_MS = 1000;
const BACKLOG = 50;

describe('priority channels (QoS)', () => {
  let broker: Broker;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', heartbeatIntervalMs: HEARTBEAT_MS, open: true });
  });
  afterAll(async () => {
    broker.resumeHandling();
    raws.forEach((r) => r.close());
    await broker.close();
  });

  async function client(capabilities?: string[]): Promise<RawClient> {
    const raw = await helloedRawClient(broker.endpoint, 'qos-test', capabilities);
    raws.push(raw);
    return raw;
  }

  function producer(channel: string, qos?: string): Record<string, unknown> {
    return {
      channel,
      shmName: `/${uniqueName('qos')}`,
      config: SMALL_RING,
      host: 'testhost',
      pid: process.pid,
      producerName: 'qos-test',
      producerUid: uniqueName('uid'),
      ...(qos ? { qos } : {}),
    };
  }

  it('gives each class its heartbeat interval and liveness timeout, and lists the class', async () => {
    const raw = await client(['qos']);
    const expected = { critical: [500, 1500], normal: [1000, 3000], bulk: [3000, 9000] } as const;
    for (const [qos, [interval, liveness]] of Object.entries(expected)) {
      const channel = uniqueName(`qos-${qos}`);
      const reply = await raw.request('PRODUCER_REGISTER', producer(channel, qos));
      expect(reply.type).toBe('PRODUCER_REGISTER_OK');
      expect(reply.body).toMatchObject({
        heartbeatIntervalMs: interval,
        livenessTimeoutMs: liveness,
        channel: { qos },
      });
    }
  });

  it('refuses a QoS class from a client that did not negotiate the capability', async () => {
    const raw = await client();
    const reply = await raw.request('PRODUCER_REGISTER', producer(uniqueName('qos'), 'critical'));
    expect(reply.body).toMatchObject({ code: 'BAD_REQUEST' });
    expect(String(reply.body.message)).toContain('capability "qos"');
  });

  it('answers a critical request before bulk requests queued earlier', async () => {
    const raw = await client(['qos']);
    const critical = uniqueName('qos-critical');
    const bulk = uniqueName('qos-bulk');
    expect((await raw.request('PRODUCER_REGISTER', producer(critical, 'critical'))).type).toBe('PRODUCER_REGISTER_OK');
    expect((await raw.request('PRODUCER_REGISTER', producer(bulk, 'bulk'))).type).toBe('PRODUCER_REGISTER_OK');

    broker.pauseHandling();
    for (let i = 0; i < BACKLOG; i++)
      await raw.sendFrames(['HS1', 'DISCOVER', `bulk-${i}`, JSON.stringify({ channel: bulk })]);
    await raw.sendFrames(['HS1', 'DISCOVER', 'critical', JSON.stringify({ channel: critical })]);
    while (broker.queuedRequests < BACKLOG + 1) await new Promise((r) => setTimeout(r, 5));
    broker.resumeHandling();

    await raw.next((m) => m.correlationId === `bulk-${BACKLOG - 1}`);
    const order = [...raw.drain().map((m) => m.correlationId), `bulk-${BACKLOG - 1}`];
    // One connection: replies arrive in the order the broker sent them.
    expect(order[0]).toBe('critical');
    expect(order.slice(1)).toEqual([...Array(BACKLOG).keys()].map((i) => `bulk-${i}`));
  });

  it('serves a priority queue highest class first and in arrival order within a class', () => {
    const q = new PriorityQueue<string>(3);
    q.push(2, 'bulk-1');
    q.push(1, 'normal-1');
    q.push(2, 'bulk-2');
    q.push(0, 'critical-1');
    q.push(0, 'critical-2');
    const out: string[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    expect(out).toEqual(['critical-1', 'critical-2', 'normal-1', 'bulk-1', 'bulk-2']);
    expect(q.size).toBe(0);
  });

  it('a MessageHub heartbeats at the critical interval, so its critical channel stays active', async () => {
    // A normal interval of 3000 ms: without the faster beats the critical producer (liveness 1.5 s) would be removed.
    const slow = await startBroker({ endpoint: 'tcp://127.0.0.1:0', heartbeatIntervalMs: 3000, open: true });
    const hub = new MessageHub({ endpoint: slow.endpoint, security: { open: true } });
    try {
      const channel = uniqueName('qos-hub');
      const p = await hub.registerProducer({
        channel,
        shmName: `/${uniqueName('qos')}`,
        config: SMALL_RING,
        producerName: 'qos-hub',
        qos: 'critical',
      });
      expect(p.info.qos).toBe('critical');
      // Past the critical liveness timeout (1.5 s), which the normal interval alone would miss.
      await new Promise((r) => setTimeout(r, 2200));
      expect((await hub.discover(channel)).state).toBe('active');
    } finally {
      await hub.close();
      await slow.close();
    }
  });
});
