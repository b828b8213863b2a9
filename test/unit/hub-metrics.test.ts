// The MessageHub client's own connection metrics and trace ring, against a real broker:
// requests, errors by code and bytes match what was exchanged, a paused broker shows up
// as timeouts, a restart as a reconnect, and the trace pairs each request with its reply.
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { ConnectionMetrics, RTT_WINDOW } from '../../main/hub/connection-metrics.js';
import { MessageHub } from '../../main/hub/message-hub.js';
import type { TraceEntry } from '../../main/protocol/trace.js';
import { codeOf, producerInput, uniqueName, waitFor } from './hub-fixtures/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('MessageHub connection metrics', () => {
  it('counts requests, errors by code and bytes; the broker sees the same bytes', async () => {
    // No heartbeat during the test: every request counted is one the test made.
    const broker = await startBroker({ heartbeatIntervalMs: 60_000 });
    cleanups.push(() => broker.close());
    const hub = new MessageHub({ endpoint: broker.endpoint, clientName: 'metrics-test' });
    cleanups.push(() => hub.close());

    expect(hub.metrics()).toMatchObject({ requests: 0, bytesIn: 0, bytesOut: 0, rttP50Ms: null, reconnects: 0 });
    await hub.ping();
    await hub.ping();
    expect(await codeOf(hub.discover(uniqueName('lab.none')))).toBe('NOT_FOUND');
    const m = hub.metrics();
    // HELLO, two PINGs, one DISCOVER (a heartbeat may have gone out too).
    expect(m.requests).toBeGreaterThanOrEqual(4);
    expect(m.errorsByCode).toEqual({ NOT_FOUND: 1 });
    expect(m.replies).toBe(m.requests - 1);
    expect(m.timeouts).toBe(0);
    expect(m.rttSamples).toBe(m.requests);
    expect(m.rttP50Ms).toBeGreaterThan(0);
    expect(m.rttP99Ms!).toBeGreaterThanOrEqual(m.rttP50Ms!);

    // The broker counts this connection's bytes from its side: in and out swap.
    const reply = await hub.request('METRICS', {});
    const after = hub.metrics();
    const row = reply.connections.find((c) => c.client === 'metrics-test');
    expect(row).toBeDefined();
    // The METRICS request itself is counted by the broker on arrival, its reply after the answer.
    const mine = hub.trace({ types: ['METRICS'] });
    const metricsReqBytes = mine.find((e) => e.direction === 'out')!.bytes;
    const metricsReplyBytes = mine.find((e) => e.direction === 'in')!.bytes;
    expect(row!.bytesIn).toBe(after.bytesOut);
    expect(row!.bytesOut).toBe(after.bytesIn - metricsReplyBytes);
    expect(metricsReqBytes).toBeGreaterThan(0);
  });

  it('counts timeouts while the broker does not handle requests', async () => {
    const broker = await startBroker({});
    cleanups.push(() => broker.close());
    const hub = new MessageHub({ endpoint: broker.endpoint, requestTimeoutMs: 200 });
    cleanups.push(() => hub.close());
    await hub.ping();

    broker.pauseHandling();
    const codes = await Promise.all([codeOf(hub.status()), codeOf(hub.ping({ timeoutMs: 150 }))]);
    expect(codes).toEqual(['TIMEOUT', 'TIMEOUT']);
    const m = hub.metrics();
    expect(m.timeouts).toBe(2);
    expect(m.errorsByCode).toEqual({});
    // Both requests went out; their replies never came.
    const traced = hub.trace({ types: ['STATUS'] });
    expect(traced.map((e) => e.direction)).toEqual(['out']);

    broker.resumeHandling();
    await hub.ping();
    // The late replies to the timed-out requests are dropped, not counted as answers.
    await waitFor('late replies read', () => hub.metrics().bytesIn > m.bytesIn);
    expect(hub.metrics().timeouts).toBe(2);
    // ...but traced, without a latency: the trace shows the reply came after all.
    const late = hub.trace({ types: ['STATUS'], direction: 'in' });
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ type: 'STATUS_OK', correlationId: traced[0]!.correlationId });
    expect(late[0]!.latencyMs).toBeUndefined();
  });

  it('counts a reconnect across a broker restart', async () => {
    let broker: Broker = await startBroker({ heartbeatIntervalMs: 100 });
    cleanups.push(() => broker.close());
    const endpoint = broker.endpoint;
    const hub = new MessageHub({ endpoint, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    cleanups.push(() => hub.close());
    await hub.ping();
    expect(hub.metrics().reconnects).toBe(0);

    await broker.close('test restart');
    await waitFor('reconnecting', () => hub.state === 'reconnecting');
    expect(await codeOf(hub.ping())).toBe('UNAVAILABLE');
    broker = await startBroker({ endpoint, heartbeatIntervalMs: 100 });
    await waitFor('reconnected', () => hub.state === 'connected', 10_000);
    await hub.ping();
    const m = hub.metrics();
    expect(m.reconnects).toBe(1);
    // The BROKER_SHUTDOWN notification of the first broker was received and traced.
    expect(m.notifications).toBeGreaterThanOrEqual(1);
    expect(hub.trace({ types: ['BROKER_SHUTDOWN'] })).toHaveLength(1);
  });

  it('traces each request with its reply, filters by type and channel, exports JSON lines', async () => {
    const broker = await startBroker({});
    cleanups.push(() => broker.close());
    const hub = new MessageHub({ endpoint: broker.endpoint, clientName: 'trace-test', traceCapacity: 50 });
    cleanups.push(() => hub.close());
    const channel = uniqueName('lab.trace');
    const producer = await hub.registerProducer(producerInput(channel));
    await hub.discover(channel);
    expect(await codeOf(hub.discover(uniqueName('lab.missing')))).toBe('NOT_FOUND');

    const onChannel = hub.trace({ channel });
    expect(onChannel.map((e) => `${e.direction} ${e.type}`)).toEqual([
      'out PRODUCER_REGISTER',
      'in PRODUCER_REGISTER_OK',
      'out DISCOVER',
      'in DISCOVER_OK',
    ]);
    const [request, reply] = onChannel.slice(2) as [TraceEntry, TraceEntry];
    expect(reply.correlationId).toBe(request.correlationId);
    expect(reply).toMatchObject({ requestType: 'DISCOVER', connection: broker.endpoint, client: 'trace-test' });
    expect(reply.latencyMs).toBeGreaterThan(0);
    expect(request.bytes).toBeGreaterThan(channel.length);

    const errors = hub.trace({ types: ['DISCOVER'], direction: 'in' }).filter((e) => e.errorCode !== undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ type: 'ERROR', errorCode: 'NOT_FOUND', requestType: 'DISCOVER' });

    const lines = hub.exportTraceJsonLines({ types: ['DISCOVER'] }).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as TraceEntry).type)).toEqual([
      'DISCOVER',
      'DISCOVER_OK',
      'DISCOVER',
      'ERROR',
    ]);

    await producer.close();
    // The ring stays bounded.
    for (let i = 0; i < 40; i++) await hub.ping();
    expect(hub.trace()).toHaveLength(50);
  });

  it('keeps round-trip percentiles over a bounded window', () => {
    const m = new ConnectionMetrics('tcp://x:1', 'unit');
    for (let i = 0; i < RTT_WINDOW; i++)
      m.answered('PING_OK', String(i), { type: 'PING', channel: undefined }, 10, 1000);
    for (let i = 0; i < RTT_WINDOW; i++)
      m.answered('PING_OK', String(i), { type: 'PING', channel: undefined }, 10, 1 + (i % 100));
    const s = m.snapshot();
    expect(s.rttSamples).toBe(RTT_WINDOW);
    expect(s.rttP99Ms).toBeLessThan(1000); // the old, slow ones are gone
    expect(s.rttP50Ms).toBeGreaterThanOrEqual(1);
    expect(s.replies).toBe(2 * RTT_WINDOW);
  });
});
