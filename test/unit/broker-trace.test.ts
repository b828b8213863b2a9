// The trace ring: bounded, filtered, exported as JSON lines; and what a real broker records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { channelOf, TraceRing, type TraceEntry } from '../../main/protocol/trace.js';
import { uniqueName } from './hub-fixtures/helpers.js';
import { RawClient } from './hub-fixtures/raw-client.js';

function entry(i: number, over: Partial<TraceEntry> = {}): Omit<TraceEntry, 'seq'> {
  return {
    at: 1000 + i,
    direction: i % 2 === 0 ? 'in' : 'out',
    connection: 'c1',
    type: i % 2 === 0 ? 'DISCOVER' : 'DISCOVER_OK',
    correlationId: `r${Math.floor(i / 2)}`,
    bytes: 10,
    ...over,
  };
}

describe('TraceRing', () => {
  it('keeps only the most recent capacity entries, oldest first', () => {
    const ring = new TraceRing(5);
    for (let i = 0; i < 12; i++) ring.push(entry(i));
    expect(ring.size).toBe(5);
    expect(ring.recorded).toBe(12);
    expect(ring.entries().map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
  });

  it('filters by type (a request type matches its replies), channel, direction, connection and limit', () => {
    const ring = new TraceRing(100);
    ring.push(entry(0, { type: 'PING', channel: undefined }));
    ring.push(entry(1, { type: 'PING_OK', requestType: 'PING' }));
    ring.push(entry(2, { type: 'DISCOVER', channel: 'lab.a' }));
    ring.push(entry(3, { type: 'ERROR', requestType: 'DISCOVER', channel: undefined, errorCode: 'NOT_FOUND' }));
    ring.push(entry(4, { type: 'CONSUMER_REGISTER', channel: 'lab.b', connection: 'c2' }));
    ring.push(entry(5, { type: 'CHANNEL_ACTIVE', channel: 'lab.b', correlationId: '' }));
    expect(ring.entries({ types: ['PING'] }).map((e) => e.type)).toEqual(['PING', 'PING_OK']);
    expect(ring.entries({ types: ['DISCOVER'] }).map((e) => e.type)).toEqual(['DISCOVER', 'ERROR']);
    expect(ring.entries({ channel: 'lab.b' }).map((e) => e.type)).toEqual(['CONSUMER_REGISTER', 'CHANNEL_ACTIVE']);
    expect(ring.entries({ direction: 'out' }).map((e) => e.seq)).toEqual([2, 4, 6]);
    expect(ring.entries({ connection: 'c2' }).map((e) => e.seq)).toEqual([5]);
    expect(ring.entries({ limit: 2 }).map((e) => e.seq)).toEqual([5, 6]);
    expect(ring.entries({ types: [] })).toHaveLength(6);
  });

  it('exports JSON lines that parse back to the entries', () => {
    const ring = new TraceRing(3);
    for (let i = 0; i < 4; i++) ring.push(entry(i));
    const text = ring.toJsonLines();
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as TraceEntry),
    ).toEqual(ring.entries());
    expect(ring.toJsonLines({ types: ['NOPE'] })).toBe('');
  });

  it('tells followers of every entry until they stop', () => {
    const ring = new TraceRing(2);
    const seen: number[] = [];
    const stop = ring.follow((e) => seen.push(e.seq));
    ring.push(entry(0));
    ring.push(entry(1));
    stop();
    ring.push(entry(2));
    expect(seen).toEqual([1, 2]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new TraceRing(0)).toThrow(/trace capacity/);
    expect(() => new TraceRing(1.5)).toThrow(/trace capacity/);
  });

  it('finds the channel a body names', () => {
    expect(channelOf({ channel: 'lab.x' })).toBe('lab.x');
    expect(channelOf({ channel: { name: 'lab.y', state: 'active' } })).toBe('lab.y');
    expect(channelOf({})).toBeUndefined();
    expect(channelOf(null)).toBeUndefined();
  });
});

describe('the broker trace', () => {
  let broker: Broker;
  let raw: RawClient;
  beforeAll(async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', heartbeatIntervalMs: 60_000, traceCapacity: 50 });
    raw = RawClient.forBroker(broker.endpoint, broker.serverKey);
  });
  afterAll(async () => {
    raw.close();
    await broker.close();
  });

  it('records requests and their replies with latency, channel and error code, bounded', async () => {
    const name = uniqueName('tracer');
    await raw.request('HELLO', { ...raw.helloBody(name), capabilities: ['metrics', 'trace'] });
    const channel = uniqueName('trace.none');
    const failed = await raw.request('DISCOVER', { channel });
    expect(failed.body.code).toBe('NOT_FOUND');
    const request = broker.trace.entries({ direction: 'in', channel })[0]!;
    expect(request).toMatchObject({ type: 'DISCOVER', correlationId: failed.correlationId, client: name });
    const reply = broker.trace
      .entries({ direction: 'out' })
      .find((e) => e.correlationId === failed.correlationId && e.connection === request.connection)!;
    expect(reply).toMatchObject({ type: 'ERROR', requestType: 'DISCOVER', errorCode: 'NOT_FOUND' });
    expect(reply.latencyMs).toBeGreaterThanOrEqual(0);
    expect(reply.bytes).toBeGreaterThan(0);
    for (let i = 0; i < 40; i++) await raw.request('PING', {});
    expect(broker.trace.size).toBe(50);
    expect(broker.trace.recorded).toBeGreaterThan(80);
  });
});
