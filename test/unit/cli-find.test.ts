// `hubscope find`: the consumer's lookup, broker first, files when the broker is down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/index.js';
import { publishDescriptor, type DescriptorHandle } from '../../main/discovery/publish.js';
import { MessageHub } from '../../main/hub/index.js';
import { createProducer } from '../../main/producer/producer.js';
import { execNode } from '../support/processes.js';
import { VECTOR_SCHEMA } from './datablock-helpers.js';
import { sampleInput } from './discovery-helpers.js';
import { SMALL_RING } from '../support/spec-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-find-'));
const channel = `lab.find.t${process.pid}`;

interface Found {
  code: number;
  out: { via: string | null; note: string; shmName?: string; segment?: string[] | null };
}

/** Runs the CLI asynchronously: the broker under test lives in this process and must keep answering. */
function find(...args: string[]): Promise<Found> {
  const argv = [
    '--import',
    'tsx',
    'test/support/cli-from-source.ts',
    'find',
    channel,
    '--discovery-dir',
    dir,
    '--json',
  ];
  return new Promise((resolve) => {
    execNode([...argv, ...args], { timeout: 20_000 }, (err, stdout) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: JSON.parse(stdout) as Found['out'] });
    });
  });
}

describe('hubscope find', () => {
  let broker: Broker | undefined;
  let descriptor: DescriptorHandle | undefined;
  afterAll(async () => {
    await descriptor?.remove();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the channel is nowhere when neither the broker nor the files know it', async () => {
    const { code, out } = await find('--broker', 'tcp://127.0.0.1:1');
    expect(code).toBe(1);
    expect(out.via).toBeNull();
    expect(out.note).toContain(`channel "${channel}" not found`);
  });

  it('falls back to the discovery files when the broker is unreachable, and says so', async () => {
    descriptor = publishDescriptor(dir, { ...sampleInput(channel), shmName: `/${channel}` });
    const { code, out } = await find('--broker', 'tcp://127.0.0.1:1');
    expect(code).toBe(0);
    expect(out.via).toBe('files');
    expect(out.note).toMatch(/unreachable.*found through discovery file/);
    expect(out.shmName).toBe(`/${channel}`);
    // The producer is on this host, so its segment is looked at too.
    expect(out.segment).toEqual([`segment /dev/shm/${channel} does not exist on this host`]);
  });

  it('answers through the broker when it has the channel', async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0' });
    const hub = new MessageHub({ endpoint: broker.endpoint });
    const producer = await hub.registerProducer({
      channel,
      shmName: `/${channel}`,
      config: SMALL_RING,
      producerName: 'find-test',
    });
    try {
      const { code, out } = await find('--broker', broker.endpoint);
      expect(code).toBe(0);
      expect(out.via).toBe('broker');
      expect(out.note).toContain('found through');
    } finally {
      await producer.close();
      await hub.close();
    }
  });
  it('looks at the segment of a local producer: liveness, records and rate', async () => {
    const name = `lab.find.live.t${process.pid}`;
    const producer = await createProducer(name, {
      schema: { ...VECTOR_SCHEMA, id: name },
      capacity: 8,
      discoveryDir: dir,
      channel: name,
    });
    const timer = setInterval(() => producer.write({ seq: 1n, value: 2, flags: 3 }), 10);
    try {
      const out = await new Promise<Found['out']>((resolve) => {
        const argv = ['--import', 'tsx', 'test/support/cli-from-source.ts', 'find', name, '--discovery-dir', dir];
        execNode([...argv, '--broker', 'off', '--json'], {}, (_e, stdout) =>
          resolve(JSON.parse(stdout) as Found['out']),
        );
      });
      expect(out.via).toBe('files');
      expect(out.segment?.[0]).toMatch(
        new RegExp(`^segment /dev/shm/${name}: alive .*; \\d+ records written, [1-9][\\d.]* records/s now$`),
      );
    } finally {
      clearInterval(timer);
      await producer.close();
    }
  });
});
