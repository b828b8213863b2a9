// `hubscope pylabhub ls`, the real CLI in a child process, against the hub test double
// running in this process (so the child is run asynchronously: the double must answer).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientKeyPath, generateKeyPair, readKeyFile, writeKeyFile } from '../../main/keys/index.js';
import { hubscopeConsumerUid } from '../../main/pylabhub/allow-list-command.js';
import { execNode } from '../support/processes.js';
import { PylabhubHubDouble } from '../support/pylabhub-hub-double.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-plh-cli-'));
const own = generateKeyPair();
const keyFile = join(dir, 'hubscope.key');
writeKeyFile(keyFile, own);
const hubKeyFile = join(dir, 'hub.pubkey');
let hub: PylabhubHubDouble;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execNode(
      ['--import', 'tsx', 'test/support/cli-from-source.ts', 'pylabhub', ...args],
      { timeout: 20_000, env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let heartbeats: ReturnType<typeof setInterval>;
beforeAll(async () => {
  hub = await PylabhubHubDouble.start({
    knownRoles: [{ name: 'hubscope', uid: hubscopeConsumerUid(own.publicKey), role: 'any', pubkey_z85: own.publicKey }],
  });
  writeFileSync(hubKeyFile, hub.publicKey);
  hub.addChannel({
    name: 'lab.demo.counter',
    producerUid: 'prod.interop.uid00000001',
    producerName: 'interop-producer',
    producerPid: 4242,
    transport: 'shm',
    schemaId: '$lab.demo.counter.v1',
    schemaBlds: 'seq:uint64:1:0|value:float64:1:0|flags:uint32:1:0',
    schemaPacking: 'aligned',
  });
  // A producer heartbeats for as long as it runs (every 500 ms upstream); one heartbeat
  // would leave the channel "stalled" after the hub's ready timeout, mid-file.
  let written = 0;
  const beat = () =>
    hub.heartbeat('lab.demo.counter', 'prod.interop.uid00000001', { role: { out_slots_written: (written += 50) } });
  beat();
  heartbeats = setInterval(beat, 500);
});
afterAll(async () => {
  clearInterval(heartbeats);
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hubscope pylabhub ls', () => {
  it('prints one JSON object per channel', async () => {
    const r = await cli(['ls', '--endpoint', hub.endpoint, '--hub-key', hubKeyFile, '--key', keyFile, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const channels = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({
      name: 'lab.demo.counter',
      transport: 'shm',
      shmKind: 'memfd',
      observable: 'live',
      producer: { uid: 'prod.interop.uid00000001', name: 'interop-producer', pid: 4242 },
    });
    expect(channels[0]!.schemaHash).toMatch(/^aaa05396f3cb/);
  });

  it('prints a table', async () => {
    const r = await cli(['ls', '--endpoint', hub.endpoint, '--hub-key', hubKeyFile, '--key', keyFile]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^pylabhub hub tcp:\/\/127\.0\.0\.1:\d+ \(key [0-9a-f-]{19}\): reachable/);
    expect(lines[1]).toMatch(/^NAME\s+TRANSPORT\s+PRODUCER\s+CONSUMERS\s+SCHEMA\s+RATE\s+LIVENESS$/);
    expect(lines[2]).toMatch(
      /^lab\.demo\.counter\s+shm \(memfd\)\s+prod\.interop\.uid00000001 \(interop-producer, pid 4242\)\s+0\s+\$lab\.demo\.counter\.v1 aaa05396f3cb\s+\S+\s+live$/,
    );
  });

  it('explains a silent hub with the exact plh_hub command and fails', async () => {
    const stranger = generateKeyPair();
    const strangerFile = join(dir, 'stranger.key');
    writeKeyFile(strangerFile, stranger);
    const r = await cli([
      'ls',
      '--endpoint',
      hub.endpoint,
      '--hub-key',
      hubKeyFile,
      '--key',
      strangerFile,
      '--timeout',
      '500',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/is silent/);
    expect(r.stderr).toMatch(/not on the hub's allow-list/);
    expect(r.stderr).toContain(
      `plh_hub <hub_dir> --add-known-role hubscope ${hubscopeConsumerUid(stranger.publicKey)} any '${stranger.publicKey}'`,
    );
    expect(r.stderr).not.toContain(stranger.secretKey);
  });

  it('says when the hub is unreachable', async () => {
    const r = await cli([
      'ls',
      '--endpoint',
      'tcp://127.0.0.1:1',
      '--hub-key',
      hubKeyFile,
      '--key',
      keyFile,
      '--timeout',
      '500',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unreachable: nothing accepts TCP connections/);
  });

  it('names a bad key file without printing it', async () => {
    const r = await cli(['ls', '--endpoint', hub.endpoint, '--hub-key', keyFile, '--key', keyFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hubscope\.key is not a hub public key file/);
    expect(r.stderr).not.toContain(own.secretKey);
    expect(r.stderr).not.toContain(own.publicKey);
    const usage = await cli(['ls', '--hub-key', hubKeyFile]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--endpoint is required/);
  });

  it("uses this user's client key when --key is not given, and says so", async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const env = { HOME: home, XDG_CONFIG_HOME: '' };
    const r = await cli(['ls', '--endpoint', hub.endpoint, '--hub-key', hubKeyFile, '--timeout', '500'], env);
    const made = clientKeyPath({ HOME: home });
    expect(r.stderr).toContain(`no --key given; made HubScope's client key ${made}`);
    // A new key is not on the double's allow-list: silent, with that key's command.
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(readKeyFile(made).publicKey);
  });
});
