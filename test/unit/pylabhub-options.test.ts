// The --pylabhub options of serve and the desktop app: pairing several hubs with
// their key files, and a UsageError naming the option for every bad value.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceOptionsFrom } from '../../main/core/options.js';
import { pylabhubOptionsFrom } from '../../main/core/pylabhub-options.js';
import { generateKeyPair, writeKeyFile } from '../../main/keys/index.js';
import { UsageError } from '../../main/shared/command-line.js';

const dir = mkdtempSync(join(tmpdir(), `hubscope-plh-options-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hubKeyA = join(dir, 'a.pubkey');
const hubKeyB = join(dir, 'b.pubkey');
writeFileSync(hubKeyA, generateKeyPair().publicKey); // as plh_hub writes it: no newline
writeFileSync(hubKeyB, `${generateKeyPair().publicKey}\n`);
const ownKey = join(dir, 'own.key');
writeKeyFile(ownKey, generateKeyPair());
const notAKey = join(dir, 'not-a-key');
writeFileSync(notAKey, '{"format":"something else"}');
/** A config dir of its own, so the default key is never the user's (and is not there yet). */
const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config') };

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no UsageError');
}

describe('--pylabhub options', () => {
  it('one hub: the hub key by option, HubScope key defaulting to the client key (made on start)', () => {
    const hubs = pylabhubOptionsFrom({ pylabhub: ['tcp://127.0.0.1:5570'], 'pylabhub-hub-key': [hubKeyA] }, env);
    expect(hubs).toEqual([
      {
        endpoint: 'tcp://127.0.0.1:5570',
        hubKeyFile: hubKeyA,
        keyFile: join(dir, 'config', 'hubscope', 'client.key'),
        createKey: true,
      },
    ]);
  });

  it('several hubs: inline hub-key= and key=, the rest paired with --pylabhub-hub-key in order', () => {
    const hubs = pylabhubOptionsFrom(
      {
        pylabhub: [`tcp://h1:5570,hub-key=${hubKeyB},key=${ownKey}`, 'tcp://h2:5570', 'ipc:///run/hub.sock'],
        'pylabhub-hub-key': [hubKeyA, hubKeyB],
        'pylabhub-key': ownKey,
      },
      env,
    );
    expect(hubs.map((h) => [h.endpoint, h.hubKeyFile, h.keyFile, h.createKey])).toEqual([
      ['tcp://h1:5570', hubKeyB, ownKey, false],
      ['tcp://h2:5570', hubKeyA, ownKey, false],
      ['ipc:///run/hub.sock', hubKeyB, ownKey, false],
    ]);
  });

  it('serviceOptionsFrom carries the hubs; without --pylabhub there are none', () => {
    const services = serviceOptionsFrom(
      { broker: 'off', 'no-discovery': true, pylabhub: ['tcp://127.0.0.1:5570'], 'pylabhub-hub-key': [hubKeyA] },
      env,
    );
    expect(services.pylabhub?.map((h) => h.endpoint)).toEqual(['tcp://127.0.0.1:5570']);
    expect(serviceOptionsFrom({ broker: 'off', 'no-discovery': true }, env).pylabhub).toBeUndefined();
  });

  it('bad values are UsageErrors that name the option', () => {
    expect(
      usage(() => pylabhubOptionsFrom({ pylabhub: ['http://h:5570'], 'pylabhub-hub-key': [hubKeyA] }, env)),
    ).toMatch(/^--pylabhub must be tcp:\/\/host:port or ipc:\/\/path/);
    expect(usage(() => pylabhubOptionsFrom({ pylabhub: ['tcp://h:0'], 'pylabhub-hub-key': [hubKeyA] }, env))).toBe(
      '--pylabhub tcp://h:0: the port must be from 1 to 65535.',
    );
    expect(usage(() => pylabhubOptionsFrom({ pylabhub: ['tcp://h:5570,hubkey=x'] }, env))).toBe(
      '--pylabhub tcp://h:5570: "hubkey=x" is not hub-key=FILE or key=FILE.',
    );
    expect(usage(() => pylabhubOptionsFrom({ pylabhub: ['tcp://h:5570'] }, env))).toMatch(
      /^1 --pylabhub hub\(s\) without hub-key= \(tcp:\/\/h:5570\) need as many --pylabhub-hub-key files/,
    );
    expect(
      usage(() =>
        pylabhubOptionsFrom(
          { pylabhub: ['tcp://h:5570', 'tcp://h:5570'], 'pylabhub-hub-key': [hubKeyA, hubKeyA] },
          env,
        ),
      ),
    ).toBe('--pylabhub tcp://h:5570 is given twice.');
    expect(usage(() => pylabhubOptionsFrom({ 'pylabhub-hub-key': [hubKeyA] }, env))).toBe(
      '--pylabhub-hub-key needs a --pylabhub hub to go with.',
    );
    expect(usage(() => pylabhubOptionsFrom({ pylabhub: ['tcp://h:5570'], 'pylabhub-hub-key': [ownKey] }, env))).toMatch(
      /^--pylabhub-hub-key: .*own\.key is not a hub public key file .*it looks like a JSON file/,
    );
    expect(
      usage(() => pylabhubOptionsFrom({ pylabhub: ['tcp://h:5570'], 'pylabhub-hub-key': [join(dir, 'missing')] }, env)),
    ).toMatch(/^--pylabhub-hub-key: cannot read .*missing: ENOENT/);
    expect(
      usage(() =>
        pylabhubOptionsFrom(
          { pylabhub: ['tcp://h:5570'], 'pylabhub-hub-key': [hubKeyA], 'pylabhub-key': notAKey },
          env,
        ),
      ),
    ).toMatch(/^--pylabhub-key: key file .*not-a-key is not a HubScope key file/);
    expect(
      usage(() => pylabhubOptionsFrom({ pylabhub: [`tcp://h:5570,hub-key=${hubKeyA},key=${hubKeyA}`] }, env)),
    ).toMatch(/^--pylabhub tcp:\/\/h:5570 key=: key file .*a\.pubkey is not a HubScope key file/);
  });
});
