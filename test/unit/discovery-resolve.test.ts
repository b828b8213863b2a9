import { createServer } from 'node:net';
import { join } from 'node:path';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { silentLogger } from '../../main/broker/logger.js';
import { MessageHub } from '../../main/hub/index.js';
import { publishBrokerEndpoint } from '../../main/discovery/publish.js';
import { scanDiscoveryDir } from '../../main/discovery/scan.js';
import { mergeChannels } from '../../main/discovery/merge.js';
import { brokerChannelFromInfo } from '../../main/discovery/broker-adapter.js';
import { describe, expect, it } from 'vitest';
import { resolveChannel } from '../../main/discovery/resolve.js';
import { publishDescriptor } from '../../main/discovery/publish.js';
import { descriptorFileName } from '../../main/discovery/names.js';
import { useCleanups, sampleDescriptor, sampleInput, writeAtomic } from './discovery-helpers.js';

const { cleanups, tempDir } = useCleanups();

/** A TCP port on 127.0.0.1 where nothing listens (bound once, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

function hubFor(endpoint: string): MessageHub {
  const hub = new MessageHub({ endpoint, clientName: 'discovery-test', connectTimeoutMs: 500, requestTimeoutMs: 1000 });
  cleanups.push(() => hub.close());
  return hub;
}

describe('resolveChannel with the real MessageHub client', () => {
  it('asks the broker while it runs; when it is down, finds the channel through the files and says so', async () => {
    const dir = tempDir('resolve-broker');
    let brokerFile: ReturnType<typeof publishBrokerEndpoint> | undefined;
    const broker: Broker = await startBroker({
      endpoint: 'tcp://127.0.0.1:0',
      logger: silentLogger,
      onListening: ({ endpoint }) => {
        brokerFile = publishBrokerEndpoint(dir, { endpoint, name: 'test-hub' }, { heartbeatIntervalMs: 0 });
      },
    });
    let brokerClosed = false;
    cleanups.push(async () => {
      await brokerFile?.remove();
      if (!brokerClosed) await broker.close();
    });
    // Clients find the broker through its endpoint file.
    const scan = await scanDiscoveryDir(dir);
    expect(scan.brokers.map((b) => b.endpoint.endpoint)).toEqual([broker.endpoint]);

    const hub = hubFor(scan.brokers[0]!.endpoint.endpoint);
    const input = sampleInput('lab.resolve');
    const producer = await hub.registerProducer({
      channel: input.channel,
      shmName: input.shmName,
      schemaDefinition: input.schema!.definition as Parameters<MessageHub['registerProducer']>[0]['schemaDefinition'],
      config: input.dataBlock,
      producerName: 'test-producer',
      producerUid: 'uid-1',
    });
    cleanups.push(() => producer.close().catch(() => undefined));
    const descriptor = publishDescriptor(dir, input, { heartbeatIntervalMs: 0 });
    cleanups.push(() => descriptor.remove());

    const viaBroker = await resolveChannel('lab.resolve', { hub, dir, timeoutMs: 0 });
    expect(viaBroker.via).toBe('broker');
    expect(viaBroker.note).toBe(`found through broker at ${broker.endpoint}`);

    // The broker's view and the file agree: the merged row has no issues.
    const files = (await scanDiscoveryDir(dir)).entries;
    const rows = mergeChannels({ broker: (await hub.listChannels()).map(brokerChannelFromInfo), files, segments: [] });
    const row = rows.find((r) => r.channel === 'lab.resolve')!;
    expect(row.sources).toEqual(['broker', 'file']);
    expect(row.issues.filter((i) => !i.includes('does not exist on this host'))).toEqual([]);

    await broker.close();
    brokerClosed = true;
    const viaFiles = await resolveChannel('lab.resolve', { hub, dir, timeoutMs: 0 });
    expect(viaFiles.via).toBe('files');
    expect(viaFiles.note).toMatch(
      new RegExp(
        `^broker at ${broker.endpoint} unreachable \\((UNAVAILABLE|TIMEOUT): .*\\); found through discovery file ${join(dir, descriptorFileName('lab.resolve'))}$`,
      ),
    );
  });

  it('broker endpoint with nothing listening: falls back to the files', async () => {
    const dir = tempDir('resolve');
    const handle = publishDescriptor(dir, sampleInput('lab.fallback'), { heartbeatIntervalMs: 0 });
    cleanups.push(() => handle.remove());
    const endpoint = `tcp://127.0.0.1:${await deadPort()}`;
    const result = await resolveChannel('lab.fallback', { hub: hubFor(endpoint), dir, timeoutMs: 200 });
    expect(result.via).toBe('files');
    if (result.via !== 'files') return;
    expect(result.entry.descriptor.shmName).toBe('/lab.fallback');
    expect(result.entry.status).toBe('live');
    expect(result.note).toMatch(
      new RegExp(
        `^broker at ${endpoint} unreachable \\(UNAVAILABLE: .*\\); found through discovery file ${join(dir, descriptorFileName('lab.fallback'))}$`,
      ),
    );
  });

  it('broker down and no file: an error naming both', async () => {
    const dir = tempDir('resolve-none');
    const endpoint = `tcp://127.0.0.1:${await deadPort()}`;
    await expect(resolveChannel('nowhere', { hub: hubFor(endpoint), dir, timeoutMs: 100 })).rejects.toThrow(
      `channel "nowhere" not found: broker at ${endpoint} unreachable`,
    );
  });

  it('no broker configured: files only; a stale file is flagged in the note; a differently encoded file name is found by scanning', async () => {
    const dir = tempDir('resolve-files');
    const old = new Date(Date.now() - 3_600_000).toISOString();
    writeAtomic(dir, descriptorFileName('old'), sampleDescriptor('old', { createdAt: old, updatedAt: old }));
    const r = await resolveChannel('old', { dir });
    expect(r.via).toBe('files');
    expect(r.note).toMatch(
      /^no broker configured; found through discovery file .* \(the descriptor is stale: no heartbeat from other-host.example for 60 min/,
    );
    // "lab%2Ex" decodes to "lab.x", but is not the canonical name "lab.x.channel.json"
    writeAtomic(dir, 'lab%2Ex.channel.json', sampleDescriptor('lab.x'));
    const x = await resolveChannel('lab.x', { dir });
    expect(x.via === 'files' && x.entry.file).toBe('lab%2Ex.channel.json');
  });

  it('the broker answering "not found" for a channel only a file knows: found through the file, and said so', async () => {
    const dir = tempDir('resolve-notfound');
    const broker = await startBroker({ endpoint: 'tcp://127.0.0.1:0', logger: silentLogger });
    cleanups.push(() => broker.close());
    writeAtomic(dir, descriptorFileName('files.only'), sampleDescriptor('files.only'));
    const r = await resolveChannel('files.only', { hub: hubFor(broker.endpoint), dir, timeoutMs: 0 });
    expect(r.via).toBe('files');
    expect(r.note).toMatch(
      new RegExp(`^broker at ${broker.endpoint} has no live producer for "files.only" \\(NOT_FOUND\\); found through`),
    );
    // and a channel nobody knows keeps the broker's NOT_FOUND error
    await expect(resolveChannel('nobody', { hub: hubFor(broker.endpoint), dir, timeoutMs: 0 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
