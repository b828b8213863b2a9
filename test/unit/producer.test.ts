// createProducer: a DataBlock that announces itself, against a real broker and directory.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/index.js';
import { openDataBlock } from '../../main/datablock/reader.js';
import { MessageHub } from '../../main/hub/index.js';
import { createProducer } from '../../main/producer/producer.js';
import { uniqueName, unlinkQuietly, VECTOR_SCHEMA, waitFor } from './datablock-helpers.js';

describe('createProducer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-producer-'));
  const shmName = uniqueName('producer');
  let broker: Broker | undefined;
  afterAll(async () => {
    await broker?.close();
    unlinkQuietly(shmName);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a DataBlock, publishes its descriptor, registers it, and undoes all three on close', async () => {
    broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0' });
    const channel = `lab.producer.t${process.pid}`;
    const producer = await createProducer(shmName, {
      schema: { ...VECTOR_SCHEMA, id: channel },
      capacity: 4,
      discoveryDir: dir,
      brokerEndpoint: broker.endpoint,
      producerName: 'unit-test',
    });
    expect(producer.channel).toBe(channel);
    expect(producer.write({ seq: 7n, value: 1.5, flags: 3 })).toBe(true);
    const reader = openDataBlock(shmName);
    expect(reader.latest()?.id).toBe(0n);
    reader.close();
    expect(readdirSync(dir)).toContain(`${channel}.channel.json`);

    const hub = new MessageHub({ endpoint: broker.endpoint });
    try {
      const info = await hub.discover(channel, { timeoutMs: 2000 });
      expect(info).toMatchObject({ state: 'active', shmName, producer: { producerName: 'unit-test' } });
      await producer.close();
      expect(existsSync(`/dev/shm/${shmName}`)).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
      await waitFor(() => broker!.status().channels.total === 0, 5000, 'the channel to be deregistered');
    } finally {
      await hub.close();
    }
  });
});
