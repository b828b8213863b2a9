// A local client with no server key guesses this user's own broker key (its config
// dir's broker.key). Against an open broker (`hubscope broker --open`) that guess
// must not end in SECURITY_MISMATCH: the client retries once without CURVE and
// remembers the endpoint as open (issue 11, docs/security.md, "Which key a client
// uses"). A key given explicitly or found in an endpoint file is never dropped.
// Real brokers on loopback, real key files in a temporary config dir.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../main/broker/broker.js';
import { publishBrokerEndpoint } from '../../main/discovery/publish.js';
import { isHubError, MessageHub } from '../../main/hub/index.js';
import { brokerKeyPath, generateKeyPair, writeKeyFile, type CurveKeyPair } from '../../main/keys/index.js';
import { tempDir } from './hub-fixtures/helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(
  endpoint: string,
  discoveryDir: string,
  extra: Partial<ConstructorParameters<typeof MessageHub>[0]> = {},
) {
  const warnings: string[] = [];
  const hub = new MessageHub({
    endpoint,
    discoveryDir,
    connectTimeoutMs: 3000,
    requestTimeoutMs: 3000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    ...extra,
  });
  hub.on('warning', (w) => warnings.push(w));
  cleanups.push(() => hub.close());
  return { hub, warnings };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: isHubError(err) ? err.code : 'not a HubError', message: (err as Error).message };
  }
  throw new Error('expected the request to fail');
}

describe('a guessed broker key against an open broker', () => {
  const { dir, cleanup } = tempDir('hubscope-open-fallback-');
  const discoveryDir = join(dir, 'discovery');
  const savedConfig = process.env.XDG_CONFIG_HOME;
  let ownBroker: CurveKeyPair;

  beforeAll(() => {
    // This file's own config dir: the broker.key below must not be seen by other tests.
    process.env.XDG_CONFIG_HOME = join(dir, 'config');
    ownBroker = generateKeyPair();
    writeKeyFile(brokerKeyPath(), ownBroker);
    expect(brokerKeyPath().startsWith(dir)).toBe(true);
  });

  afterAll(() => {
    if (savedConfig === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = savedConfig;
    cleanup();
  });

  async function broker(options: Parameters<typeof startBroker>[0]): Promise<Broker> {
    const b = await startBroker({ endpoint: 'tcp://127.0.0.1:0', ...options });
    cleanups.push(() => b.close());
    return b;
  }

  // First: a later broker on a port an open one had would find the endpoint remembered as open.
  it('still uses the guessed key when it is right (a CURVE broker with this user’s key)', async () => {
    const curve = await broker({ keyPair: ownBroker });
    const c = client(curve.endpoint, discoveryDir);
    await c.hub.ping();
    expect(c.hub.session?.security?.mode).toBe('curve');
    expect(c.warnings).toEqual([]);
  });

  it('connects without CURVE, says so once, and goes open straight away from then on', async () => {
    expect(existsSync(brokerKeyPath())).toBe(true);
    const open = await broker({ open: true });
    const first = client(open.endpoint, discoveryDir);
    await first.hub.ping();
    expect(first.hub.session?.security).toEqual({ mode: 'open' });
    expect(first.warnings).toEqual([
      expect.stringMatching(/does not use CURVE; connecting without it \(this user's broker key .* was only a guess\)/),
    ]);
    // A second client of this process skips the CURVE attempt.
    const second = client(open.endpoint, discoveryDir);
    await second.hub.ping();
    expect(second.hub.session?.security).toEqual({ mode: 'open' });
    expect(second.warnings).toEqual([]);
  });

  it('never drops a key given explicitly or found in an endpoint file, and says so', async () => {
    const open = await broker({ open: true });
    const given = client(open.endpoint, discoveryDir, { security: { serverKey: ownBroker.publicKey } });
    const explicit = await failure(given.hub.ping());
    expect(explicit.code).toBe('SECURITY_MISMATCH');
    expect(explicit.message).toMatch(/from the serverKey option\); a server key given explicitly .* is never dropped/);
    expect(explicit.message).toContain('connect with { open: true }');

    // An endpoint file that claims a key for the (open) broker: trusted like an explicit key.
    const { dir: filesDir, cleanup: removeFiles } = tempDir('hubscope-open-fallback-files-');
    cleanups.push(removeFiles);
    const file = publishBrokerEndpoint(filesDir, {
      endpoint: open.endpoint,
      serverKey: generateKeyPair().publicKey,
      security: 'curve',
    });
    cleanups.push(() => file.remove());
    const fromFile = client(open.endpoint, filesDir);
    const found = await failure(fromFile.hub.ping());
    expect(found.code).toBe('SECURITY_MISMATCH');
    expect(found.message).toMatch(/from endpoint file .*is never dropped/);
  });
});
