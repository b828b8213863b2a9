// Broker, producer and consumer as separate real processes: a broker killed with
// SIGKILL and restarted on the same endpoint gets everything registered again; a
// producer killed with SIGKILL is reported to its consumer; the state file keeps the
// schema registry; SIGTERM shuts the broker down gracefully, telling its clients.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MessageHub } from '../../main/hub/message-hub.js';
import { Child } from './hub-fixtures/child.js';
import {
  COUNTER_FINGERPRINT,
  COUNTER_SCHEMA,
  ipcEndpoint,
  tempDir,
  uniqueName,
  waitFor,
} from './hub-fixtures/helpers.js';

const HEARTBEAT_MS = 200;
const MAX_BACKOFF_MS = 500; // client-process.ts reconnect.maxDelayMs
/** Scheduling slack for a loaded 2-core machine (process start, tsx, parallel tests). */
const SLACK_MS = 4000;

const children: Child[] = [];
function spawnChild(fixture: string, args: string[]): Child {
  const c = new Child(fixture, args);
  children.push(c);
  return c;
}

async function startBrokerProcess(endpoint: string, stateFile: string): Promise<{ child: Child; endpoint: string }> {
  const child = spawnChild('broker-process.ts', [
    '--endpoint',
    endpoint,
    '--heartbeat-ms',
    String(HEARTBEAT_MS),
    '--state-file',
    stateFile,
    // Its own discovery dir: a SIGKILLed broker leaves its endpoint file behind.
    '--discovery-dir',
    join(tmp.dir, 'discovery'),
    '--json',
  ]);
  const line = await child.waitForLine('broker endpoint on stdout', (l) => /^(tcp|ipc):\/\//.test(l), 20_000);
  return { child, endpoint: line };
}

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
});

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe.each([
  { name: 'tcp', endpoint: () => 'tcp://127.0.0.1:0' },
  { name: 'ipc', endpoint: () => ipcEndpoint(tmp.dir).replace('b.sock', `${uniqueName('p')}.sock`) },
])('separate processes over $name', ({ endpoint: makeEndpoint }) => {
  it('re-registers everything after the broker is SIGKILLed and restarted, keeping schemas via the state file', async () => {
    const stateFile = join(tmp.dir, `${uniqueName('state')}.json`);
    const first = await startBrokerProcess(makeEndpoint(), stateFile);
    const endpoint = first.endpoint;
    const channel = uniqueName('lab.proc');
    const producer = spawnChild('client-process.ts', [endpoint, 'producer', channel]);
    await producer.waitForEvent('producer registered', (e) => e.event === 'registered', 20_000);
    const consumer = spawnChild('client-process.ts', [endpoint, 'consumer', channel]);
    await consumer.waitForEvent('consumer registered', (e) => e.event === 'registered', 20_000);
    await producer.waitForEvent('consumer-joined', (e) => e.event === 'consumer-joined');

    const observer = new MessageHub({ endpoint, reconnect: { initialDelayMs: 50, maxDelayMs: MAX_BACKOFF_MS } });
    try {
      const extraSchema = { ...COUNTER_SCHEMA, id: uniqueName('lab.kept') };
      await observer.registerSchema(extraSchema);
      const before = await observer.discover(channel);
      expect(before).toMatchObject({ state: 'active', consumerCount: 1, schema: { fingerprint: COUNTER_FINGERPRINT } });
      const oldBoot = (await observer.ping()).bootId;
      // Let the state file be written (the broker writes it right after registration).
      await waitFor('state file with the schema', () => readFileSync(stateFile, 'utf8').includes(extraSchema.id), 5000);

      await first.child.kill('SIGKILL');
      const second = await startBrokerProcess(endpoint, stateFile);
      expect(second.endpoint).toBe(endpoint);

      // Clients notice the new boot id and register again within two heartbeat intervals plus backoff.
      const fresh = new MessageHub({ endpoint });
      try {
        const info = await waitFor(
          'producer and consumer registered again',
          async () => {
            const i = await fresh.discover(channel);
            return i.state === 'active' && i.consumerCount === 1 ? i : undefined;
          },
          2 * HEARTBEAT_MS + MAX_BACKOFF_MS + SLACK_MS,
          20,
        );
        expect(info.schema?.fingerprint).toBe(COUNTER_FINGERPRINT);
        const newBoot = (await fresh.ping()).bootId;
        expect(newBoot).not.toBe(oldBoot);
        await producer.waitForEvent(
          'producer saw the restart',
          (e) => e.event === 'broker-restarted' && e.bootId === newBoot,
        );
        await consumer.waitForEvent(
          'consumer re-registered',
          (e) => e.event === 'reregistered' && e.bootId === newBoot && e.failed === 0,
        );
        // The schema registered only by the observer came back from the state file.
        const kept = await fresh.getSchema(extraSchema.id);
        expect(kept.fingerprint).toBe(COUNTER_FINGERPRINT);
      } finally {
        await fresh.close();
      }

      // A producer killed with SIGKILL: its consumer is told within the liveness timeout.
      await producer.kill('SIGKILL');
      const gone = await consumer.waitForEvent(
        'PRODUCER_GONE',
        (e) => e.event === 'producer-gone',
        HEARTBEAT_MS * 3 + SLACK_MS,
      );
      expect(gone.reason).toBe('timeout');
      const after = await waitFor(
        'channel pending again',
        async () => (await observer.listChannels({ prefix: channel }))[0],
        5000,
      );
      expect(after.state).toBe('pending');
      expect(after.consumerCount).toBe(1);

      // SIGTERM: graceful shutdown, the consumer hears BROKER_SHUTDOWN and starts reconnecting.
      await second.child.kill('SIGTERM');
      expect(second.child.proc.exitCode).toBe(0);
      await consumer.waitForEvent('consumer reconnecting', (e) => e.event === 'state' && e.state === 'reconnecting');
      expect(second.child.stderr).toContain('"msg":"broker stopped"');
    } finally {
      await observer.close();
    }
  });
});
