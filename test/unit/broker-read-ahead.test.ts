// The broker's read-ahead queue (main/broker/request-queue.ts, priority-queue.ts):
// within one QoS class, connections take turns, so a connection that sends a burst of
// requests delays another connection's request of the same class by at most one of
// its own, while each connection's requests keep their order. The backlog is built
// with pauseHandling, and the order is read from the broker's trace (the order in
// which it sent the replies), so nothing here depends on timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { PriorityQueue } from '../../main/broker/priority-queue.js';
import { SMALL_RING } from '../support/spec-fixtures.js';
import { uniqueName } from './hub-fixtures/helpers.js';
import { helloedRawClient, type RawClient } from './hub-fixtures/raw-client.js';

const BURST = 40;

describe('broker read-ahead', () => {
  let broker: Broker;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', open: true });
  });
  afterAll(async () => {
    broker.resumeHandling();
    raws.forEach((r) => r.close());
    await broker.close();
  });

  it('takes connections in turn within a class, each in its own order', () => {
    const q = new PriorityQueue<string>(3);
    for (let i = 0; i < 4; i++) q.push(2, `a${i}`, 'a');
    q.push(2, 'b0', 'b');
    q.push(1, 'n0', 'a');
    q.push(2, 'b1', 'b');
    q.push(0, 'c0', 'c');
    expect(q.sizeOf(2)).toBe(6);
    const out: string[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    expect(out).toEqual(['c0', 'n0', 'a0', 'b0', 'a1', 'b1', 'a2', 'a3']);
    expect(q.size).toBe(0);
    expect(q.sizeOf(2)).toBe(0);
  });

  it('answers a quiet connection after one request of a connection that sent a burst first', async () => {
    const loud = await helloedRawClient(broker.endpoint, 'loud', ['qos']);
    const quiet = await helloedRawClient(broker.endpoint, 'quiet', ['qos']);
    raws.push(loud, quiet);
    const channel = uniqueName('read-ahead');
    const registered = await loud.request('PRODUCER_REGISTER', {
      channel,
      shmName: `/${uniqueName('ra')}`,
      config: SMALL_RING,
      host: 'testhost',
      pid: process.pid,
      producerName: 'read-ahead-test',
      producerUid: uniqueName('uid'),
      qos: 'bulk',
    });
    expect(registered.type).toBe('PRODUCER_REGISTER_OK');

    broker.pauseHandling();
    for (let i = 0; i < BURST; i++) {
      await loud.sendFrames(['HS1', 'DISCOVER', `loud-${i}`, JSON.stringify({ channel })]);
    }
    while (broker.queuedRequests < BURST) await new Promise((r) => setTimeout(r, 5));
    await quiet.sendFrames(['HS1', 'DISCOVER', 'quiet-0', JSON.stringify({ channel })]);
    while (broker.queuedRequests < BURST + 1) await new Promise((r) => setTimeout(r, 5));
    const since = broker.trace.recorded;
    broker.resumeHandling();

    await quiet.next((m) => m.correlationId === 'quiet-0');
    await loud.next((m) => m.correlationId === `loud-${BURST - 1}`);
    const sent = broker.trace
      .entries({ types: ['DISCOVER'], direction: 'out' })
      .filter((e) => e.seq > since)
      .map((e) => e.correlationId);
    // All answered, loud's in its order, and quiet's right after loud's first.
    expect(sent).toHaveLength(BURST + 1);
    expect(sent.indexOf('quiet-0')).toBe(1);
    expect(sent.filter((c) => c !== 'quiet-0')).toEqual([...Array(BURST).keys()].map((i) => `loud-${i}`));
  });
});
