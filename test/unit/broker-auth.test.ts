// Authentication and authorisation of the MessageHub (issue 11, docs/security.md),
// over real CURVE sockets: who may connect (allow-list, reloaded while running), the
// three connection failures a client tells apart, channel and consumer ownership by
// key, the broker key in its endpoint file, and protocol 1 against an open broker.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { publishBrokerEndpoint } from '../../main/discovery/publish.js';
import { isHubError, MessageHub } from '../../main/hub/index.js';
import { generateKeyPair, helloProof, keyFingerprint, writeKeyFile, type CurveKeyPair } from '../../main/keys/index.js';
import { Child } from './hub-fixtures/child.js';
import { producerInput, tempDir, uniqueName, waitFor } from './hub-fixtures/helpers.js';
import { helloBody, RawClient } from './hub-fixtures/raw-client.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(options: Parameters<typeof startBroker>[0] = {}): Promise<Broker> {
  const b = await startBroker({ endpoint: 'tcp://127.0.0.1:0', ...options });
  cleanups.push(() => b.close());
  return b;
}

function hub(b: Broker, clientKeys: CurveKeyPair, serverKey = b.serverKey!): MessageHub {
  const h = new MessageHub({
    endpoint: b.endpoint,
    security: { serverKey, clientKeys },
    requestTimeoutMs: 3000,
    connectTimeoutMs: 3000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  cleanups.push(() => h.close());
  return h;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return isHubError(err) ? err.code : String(err);
  }
}

function channelName(what: string): string {
  return uniqueName(`auth.${what}`).replace(/-/g, '_');
}

describe('who may connect', () => {
  it('refuses a key not in the allow-list (its own error) and admits a listed one', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const alice = generateKeyPair();
    const mallory = generateKeyPair();
    const allowFile = join(dir, 'allowed');
    writeFileSync(allowFile, `# lab keys\n${alice.publicKey} alice\n`);
    const b = await broker({ keyPair: generateKeyPair(), allowFile });

    const ok = hub(b, alice);
    await ok.ping();
    expect(ok.session?.security).toEqual({
      mode: 'allow-list',
      serverKey: b.serverKey,
      serverKeyFingerprint: keyFingerprint(b.serverKey!),
      clientKeyFingerprint: keyFingerprint(alice.publicKey),
    });

    const refused = hub(b, mallory);
    const err = await refused.ping().catch((e: unknown) => e);
    expect(isHubError(err, 'KEY_REFUSED'), String(err)).toBe(true);
    expect((err as Error).message).toContain(keyFingerprint(mallory.publicKey));
  });

  it('refuses to start with an allow-list it cannot use, naming the file and line', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const bad = join(dir, 'bad');
    writeFileSync(bad, `${generateKeyPair().publicKey}\nnot a key at all\n`);
    const keyPair = generateKeyPair();
    await expect(broker({ keyPair, allowFile: bad })).rejects.toThrow(`${bad} line 2: not a CURVE public key`);
    await expect(broker({ keyPair, allowFile: join(dir, 'missing') })).rejects.toThrow(
      /cannot read allow-list .*ENOENT/,
    );
    await expect(broker({ open: true, allowFile: bad })).rejects.toThrow(
      /open broker takes no key pair and no allow-list/,
    );
  });

  it('tells a wrong server key, an open client and an unreachable broker apart, none as a timeout', async () => {
    const b = await broker({ keyPair: generateKeyPair() });
    const me = generateKeyPair();

    const wrongKey = await hub(b, me, generateKeyPair().publicKey)
      .ping()
      .catch((e: unknown) => e);
    expect(isHubError(wrongKey, 'SERVER_KEY_MISMATCH'), String(wrongKey)).toBe(true);

    const plain = new MessageHub({ endpoint: b.endpoint, security: { open: true }, connectTimeoutMs: 3000 });
    cleanups.push(() => plain.close());
    expect(await codeOf(plain.ping())).toBe('SECURITY_MISMATCH');

    const open = await broker({ open: true });
    expect(await codeOf(hub(open, me, b.serverKey!).ping())).toBe('SECURITY_MISMATCH');

    const endpoint = b.endpoint;
    await b.close();
    const gone = await hub(b, me, b.serverKey!)
      .ping()
      .catch((e: unknown) => e);
    expect(isHubError(gone, 'UNAVAILABLE'), String(gone)).toBe(true);
    expect((gone as Error).message).toContain(endpoint);
  });

  it('binds the session to the key HELLO proves: a missing or wrong proof, or protocol 1 only, is refused', async () => {
    const b = await broker({ keyPair: generateKeyPair() });
    const me = generateKeyPair();
    const routingId = `hs-test-${randomUUID()}`;
    const raw = new RawClient(b.endpoint, {
      curveServerKey: b.serverKey!,
      curvePublicKey: me.publicKey,
      curveSecretKey: me.secretKey,
      routingId,
    });
    cleanups.push(() => raw.close());
    const v1 = await raw.request('HELLO', helloBody('raw', [1]));
    expect(v1.body.code).toBe('UNSUPPORTED_VERSION');
    const noAuth = await raw.request('HELLO', helloBody('raw', [1, 2]));
    expect(noAuth.body.code).toBe('AUTH_FAILED');
    const forged = await raw.request('HELLO', {
      ...(helloBody('raw', [2]) as object),
      auth: { publicKey: me.publicKey, proof: helloProof(me.secretKey, b.serverKey!, Buffer.from('another-id')) },
    });
    expect(forged.body.code).toBe('AUTH_FAILED');
    const someoneElse = generateKeyPair();
    const claimed = await raw.request('HELLO', {
      ...(helloBody('raw', [2]) as object),
      auth: { publicKey: someoneElse.publicKey, proof: 'a'.repeat(64) },
    });
    expect(claimed.body.code).toBe('AUTH_FAILED');
    const good = await raw.request('HELLO', {
      ...(helloBody('raw', [2]) as object),
      auth: { publicKey: me.publicKey, proof: helloProof(me.secretKey, b.serverKey!, Buffer.from(routingId)) },
    });
    expect(good.type, JSON.stringify(good.body)).toBe('HELLO_OK');
    expect(good.body.version).toBe(2);
    // A second HELLO on the bound connection may not switch to another key, even with its secret.
    const switched = await raw.request('HELLO', {
      ...(helloBody('raw', [2]) as object),
      auth: {
        publicKey: someoneElse.publicKey,
        proof: helloProof(someoneElse.secretKey, b.serverKey!, Buffer.from(routingId)),
      },
    });
    expect(switched.body.code).toBe('AUTH_FAILED');
    expect(String(switched.body.message)).toContain(keyFingerprint(me.publicKey));
  });
});

describe('ownership by key', () => {
  it('refuses a hijack from another key (re-register, deregister, destroy, fake a consumer) and leaves the owner alone', async () => {
    const b = await broker({ keyPair: generateKeyPair() });
    const owner = hub(b, generateKeyPair());
    const thief = hub(b, generateKeyPair());
    const channel = channelName('hijack');
    const identity = { producerUid: 'uid-owner', host: 'rig-1', pid: 4242 };
    const producer = await owner.registerProducer(producerInput(channel, identity));
    const consumer = await owner.registerConsumer({ channel, consumerId: 'viewer-1', host: 'rig-1', pid: 4242 });
    const ownerFp = owner.session!.security!.clientKeyFingerprint!;

    const reRegister = await thief
      .request('PRODUCER_REGISTER', {
        ...producerInput(channel),
        ...identity,
        producerName: 'test-producer',
      })
      .catch((e: unknown) => e);
    expect(isHubError(reRegister, 'CHANNEL_OWNED'), String(reRegister)).toBe(true);
    expect((reRegister as Error).message).toContain(ownerFp);
    expect((reRegister as { details?: Record<string, unknown> }).details?.ownerKey).toBe(ownerFp);
    expect(await codeOf(thief.request('PRODUCER_DEREGISTER', { channel, producerUid: 'uid-owner' }))).toBe(
      'CHANNEL_OWNED',
    );
    expect(await codeOf(thief.destroyChannel(channel))).toBe('CHANNEL_OWNED');
    expect(await codeOf(thief.request('CHANNEL_CREATE', { channel, description: 'mine now' }))).toBe('CHANNEL_OWNED');
    expect(
      await codeOf(thief.request('CONSUMER_REGISTER', { channel, consumerId: 'viewer-1', host: 'rig-1', pid: 4242 })),
    ).toBe('CONSUMER_ID_TAKEN');
    expect(await codeOf(thief.request('CONSUMER_DEREGISTER', { channel, consumerId: 'viewer-1' }))).toBe(
      'CONSUMER_ID_TAKEN',
    );

    // The owner is unaffected: its registrations stand and it may do all of it itself.
    const info = await owner.discover(channel);
    expect(info.state).toBe('active');
    expect(info.producer?.producerUid).toBe('uid-owner');
    expect(info.consumerCount).toBe(1);
    expect(producer.closed).toBe(false);
    expect(consumer.closed).toBe(false);
    await owner.request('PRODUCER_REGISTER', { ...producerInput(channel), ...identity, producerName: 'test-producer' });
    await owner.destroyChannel(channel);
    expect(await codeOf(owner.discover(channel))).toBe('NOT_FOUND');
  });

  it('keeps an ownerless channel (only a waiting consumer) from being destroyed by another key', async () => {
    const b = await broker({ keyPair: generateKeyPair() });
    const waiting = hub(b, generateKeyPair());
    const other = hub(b, generateKeyPair());
    const channel = channelName('ownerless');
    await waiting.registerConsumer({ channel, consumerId: 'early' });
    expect(await codeOf(other.destroyChannel(channel))).toBe('CHANNEL_OWNED');
    // The first producer's key takes it.
    await other.registerProducer(producerInput(channel));
    expect((await waiting.discover(channel)).state).toBe('active');
  });
});

describe('the allow-list while the broker runs', () => {
  it('admits an added key and drops a removed one within a second', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const allowFile = join(dir, 'allowed');
    writeFileSync(allowFile, `${alice.publicKey}\n`);
    const b = await broker({ keyPair: generateKeyPair(), allowFile });
    const aliceHub = hub(b, alice);
    const channel = channelName('revoke');
    await aliceHub.registerProducer(producerInput(channel));
    expect(await codeOf(hub(b, bob).ping())).toBe('KEY_REFUSED');

    writeFileSync(allowFile, `${alice.publicKey}\n${bob.publicKey}\n`);
    await waitFor('bob admitted', async () => (await codeOf(hub(b, bob).ping())) === 'OK', 1000, 50);

    writeFileSync(allowFile, `${bob.publicKey}\n`);
    // Alice's session and registrations go; her connection is refused from then on.
    const aliceFp = keyFingerprint(alice.publicKey);
    await waitFor('alice dropped', () => !b.status().clients.some((c) => c.keyFingerprint === aliceFp), 1000, 20);
    await waitFor('channel gone', async () => (await codeOf(hub(b, bob).discover(channel))) === 'NOT_FOUND', 1000, 50);
    expect(await codeOf(hub(b, alice).ping())).toBe('KEY_REFUSED');
    await waitFor(
      'alice told',
      async () => (await codeOf(aliceHub.ping({ timeoutMs: 500 }))) === 'KEY_REFUSED',
      5000,
      50,
    );
  });
});

describe('the broker key travels with its endpoint', () => {
  it('puts the key in the endpoint file, where a client without keys finds it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const previous = process.env.HUBSCOPE_DISCOVERY_DIR;
    process.env.HUBSCOPE_DISCOVERY_DIR = dir;
    cleanups.push(() => {
      if (previous === undefined) delete process.env.HUBSCOPE_DISCOVERY_DIR;
      else process.env.HUBSCOPE_DISCOVERY_DIR = previous;
    });
    // Not this user's broker key: the client can only know it from the file.
    const b = await broker({ keyPair: generateKeyPair() });
    const file = publishBrokerEndpoint(dir, {
      endpoint: b.endpoint,
      serverKey: b.serverKey!,
      security: b.security.mode,
    });
    cleanups.push(() => file.remove());
    expect(file.endpoint.serverKey).toBe(b.serverKey);
    const client = new MessageHub({ endpoint: b.endpoint, connectTimeoutMs: 3000 });
    cleanups.push(() => client.close());
    await client.ping();
    expect(client.session?.security?.serverKeyFingerprint).toBe(keyFingerprint(b.serverKey!));
  });
});

describe('`hubscope broker` publishes its key', () => {
  it('prints it at start-up and writes it into its endpoint file, where a client finds it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const keyFile = join(dir, 'broker.key');
    const pair = generateKeyPair();
    writeKeyFile(keyFile, pair);
    const discovery = join(dir, 'discovery');
    const child = new Child('broker-process.ts', [
      '--endpoint',
      'tcp://127.0.0.1:0',
      '--key',
      keyFile,
      '--discovery-dir',
      discovery,
    ]);
    cleanups.push(() => child.kill('SIGTERM'));
    const endpoint = await child.waitForLine('endpoint', (l) => l.startsWith('tcp://'), 20_000);
    const keyLine = await child.waitForLine('server key line', (l) => l.startsWith('server key '), 20_000);
    expect(keyLine).toBe(`server key ${pair.publicKey} fingerprint ${keyFingerprint(pair.publicKey)} mode curve`);
    const file = await waitFor('endpoint file', () => readdirSync(discovery).find((f) => f.startsWith('broker.')));
    const published = JSON.parse(readFileSync(join(discovery, file), 'utf8')) as Record<string, unknown>;
    expect(published).toMatchObject({ endpoint, serverKey: pair.publicKey, security: 'curve' });
    expect(JSON.stringify(published)).not.toContain(pair.secretKey);
    // Not this user's broker.key: the client can only have the key from the file.
    const client = new MessageHub({ endpoint, discoveryDir: discovery, connectTimeoutMs: 5000 });
    cleanups.push(() => client.close());
    await client.ping();
    expect(client.session?.security?.serverKeyFingerprint).toBe(keyFingerprint(pair.publicKey));
  });
});

describe('an open broker', () => {
  it('serves a protocol-1 client as before, and says open to protocol 2', async () => {
    const b = await broker({ open: true });
    expect(b.serverKey).toBeNull();
    const raw = new RawClient(b.endpoint);
    cleanups.push(() => raw.close());
    const hello = await raw.request('HELLO', helloBody('v1-client', [1]));
    expect(hello.type).toBe('HELLO_OK');
    expect(hello.body.version).toBe(1);
    expect(hello.body.security).toBeUndefined();
    const channel = channelName('v1');
    const reg = await raw.request('PRODUCER_REGISTER', {
      ...producerInput(channel),
      host: 'testhost',
      pid: process.pid,
      producerUid: 'uid-v1',
    });
    expect(reg.type, JSON.stringify(reg.body)).toBe('PRODUCER_REGISTER_OK');
    const destroyed = await raw.request('CHANNEL_DESTROY', { channel });
    expect(destroyed.type).toBe('CHANNEL_DESTROY_OK');

    const v2 = new MessageHub({ endpoint: b.endpoint, security: { open: true } });
    cleanups.push(() => v2.close());
    await v2.ping();
    expect(v2.session?.version).toBe(2);
    expect(v2.session?.security).toEqual({ mode: 'open' });
  });
});
