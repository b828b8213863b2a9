// `hubscope trace <endpoint>` as a real process against a real broker process: it
// prints the exchanges of another client; the broker refuses TRACE_SUBSCRIBE on an
// open broker; the subscriber's budget drops and counts what it cannot take.
import { type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../../main/broker/broker.js';
import { TraceRing } from '../../main/protocol/trace.js';
import { TraceSubscriptions } from '../../main/broker/trace-subscriptions.js';
import { createSession } from '../../main/broker/session.js';
import { formatTraceEntry } from '../../main/cli/trace.js';
import { MessageHub } from '../../main/hub/index.js';
import { ROOT, spawnNode, stopProcess } from '../support/processes.js';
import { Child } from './hub-fixtures/child.js';
import { tempDir, uniqueName } from './hub-fixtures/helpers.js';
import { RawClient } from './hub-fixtures/raw-client.js';

const tmp = tempDir();
const children: Child[] = [];
const procs: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  await Promise.all(procs.splice(0).map((p) => stopProcess(p, 2000)));
});
afterAll(() => tmp.cleanup());

/** `hubscope <args>` from the sources (tsx), its stdout and stderr collected. */
function hubscope(args: string[]): { proc: ChildProcess; out: () => string; err: () => string } {
  const cli = pathToFileURL(join(ROOT, 'main', 'cli', 'index.ts')).href;
  const code = `import(${JSON.stringify(cli)}).then((m) => m.runCli(${JSON.stringify(args)})).then(
    (c) => { process.exitCode = c; },
    (e) => { console.error('hubscope: ' + e.message); process.exitCode = 1; });`;
  const proc = spawnNode(['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return { proc, out: () => out, err: () => err };
}

describe('hubscope trace (real processes)', () => {
  it("prints another client's exchanges as JSON lines", async () => {
    const discovery = join(tmp.dir, uniqueName('discovery'));
    const broker = new Child('broker-process.ts', ['--endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', discovery]);
    children.push(broker);
    const endpoint = await broker.waitForLine('endpoint', (l) => l.startsWith('tcp://'), 20_000);
    await broker.waitForLine('server key', (l) => l.startsWith('server key '));
    const tracer = hubscope(['trace', endpoint, '--discovery-dir', discovery, '--json']);
    await expect.poll(() => tracer.err(), { timeout: 20_000 }).toContain('following the trace of');

    const other = new MessageHub({ endpoint, clientName: 'other-client', discoveryDir: discovery });
    const channel = uniqueName('trace.cli');
    try {
      await other.ping();
      await expect(other.discover(channel)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await other.close();
    }
    const entries = () =>
      tracer
        .out()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await expect
      .poll(() => entries().some((e) => e.type === 'ERROR' && e.errorCode === 'NOT_FOUND'), { timeout: 10_000 })
      .toBe(true);
    const seen = entries().filter((e) => e.client === 'other-client');
    expect(seen).toContainEqual(expect.objectContaining({ direction: 'in', type: 'PING' }));
    expect(seen).toContainEqual(expect.objectContaining({ direction: 'out', type: 'PING_OK', requestType: 'PING' }));
    expect(seen).toContainEqual(expect.objectContaining({ direction: 'in', type: 'DISCOVER', channel }));
    expect(seen).toContainEqual(
      expect.objectContaining({ direction: 'out', type: 'ERROR', requestType: 'DISCOVER', errorCode: 'NOT_FOUND' }),
    );
    // Bodies never travel in the trace.
    expect(tracer.out()).not.toContain('"body"');
    expect(entries().some((e) => e.type === 'TRACE_EVENT')).toBe(false);
  });

  it('refuses a bad endpoint with a usage error', async () => {
    const t = hubscope(['trace', 'localhost:5570']);
    const code = await new Promise<number | null>((resolve) => t.proc.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(t.err()).toMatch(/"localhost:5570" is not a broker endpoint/);
  });
});

describe('TRACE_SUBSCRIBE', () => {
  it('is refused on an open broker: the trace needs an authenticated session', async () => {
    const broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', open: true, heartbeatIntervalMs: 60_000 });
    const r = new RawClient(broker.endpoint);
    try {
      await r.request('HELLO', { ...r.helloBody('open-tracer'), capabilities: ['trace'] });
      const reply = await r.request('TRACE_SUBSCRIBE', {});
      expect(reply.body.code).toBe('AUTH_FAILED');
      expect(String(reply.body.message)).toMatch(/authenticated session/);
    } finally {
      r.close();
      await broker.close();
    }
  });

  it('sends at most maxEventsPerSecond per subscriber and counts the dropped ones', () => {
    const ring = new TraceRing(10);
    const session = createSession(Buffer.from('sub'), { name: 'sub', host: 'h', pid: 1 }, 2, 0);
    const got: Array<{ seq: number; dropped: number }> = [];
    const subs = new TraceSubscriptions(
      ring,
      (_to, body) => got.push({ seq: body.entry.seq, dropped: body.dropped }),
      () => true,
      3,
    );
    subs.subscribe(session, { types: ['PING'] }, 0);
    const push = (type: string, at: number) =>
      ring.push({ at, direction: 'in', connection: 'c', type, correlationId: 'x', bytes: 1 });
    for (let i = 0; i < 5; i++) push('PING', 0);
    push('DISCOVER', 0);
    push('PING', 2000);
    expect(got).toEqual([
      { seq: 1, dropped: 0 },
      { seq: 2, dropped: 0 },
      { seq: 3, dropped: 0 },
      { seq: 7, dropped: 2 },
    ]);
    expect(subs.unsubscribe(session)).toBe(true);
    push('PING', 5000);
    expect(got).toHaveLength(4);
  });

  it('formats an entry as one readable line', () => {
    const line = formatTraceEntry({
      seq: 1,
      at: Date.UTC(2026, 0, 1, 12, 0, 0, 5),
      direction: 'out',
      connection: 'abcdef',
      client: 'cam',
      type: 'ERROR',
      correlationId: 'r1',
      channel: 'lab.x',
      bytes: 80,
      requestType: 'DISCOVER',
      latencyMs: 3,
      errorCode: 'NOT_FOUND',
    });
    expect(line).toMatch(/^12:00:00\.005 <- cam +ERROR +r1 channel=lab\.x 80B 3ms NOT_FOUND$/);
  });
});
