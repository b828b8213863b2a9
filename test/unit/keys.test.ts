// CURVE keys (main/keys/, `hubscope keys`): Z85 as RFC 32 defines it, fingerprints,
// key files that keep the secret to their owner and never print it, allow-list
// parsing, and the config directory that follows HOME.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keysCommand } from '../../main/cli/keys.js';
import {
  generateKeyPair,
  hubscopeConfigDir,
  isZ85Key,
  keyFingerprint,
  loadOrCreateKeyPair,
  parseAllowList,
  readKeyFile,
  writeKeyFile,
  z85Decode,
  z85Encode,
} from '../../main/keys/index.js';

const dirs: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'hubscope-keys-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Z85 and fingerprints', () => {
  it('encodes the RFC 32 test vector and round-trips keys', () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(bytes);
    const pair = generateKeyPair();
    expect(isZ85Key(pair.publicKey)).toBe(true);
    expect(z85Encode(z85Decode(pair.publicKey))).toBe(pair.publicKey);
    expect(() => z85Decode('Hello')).not.toThrow();
    expect(() => z85Decode('Hell~')).toThrow(/not a Z85 character/);
  });

  it('gives a short fingerprint a person compares by eye, different per key', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(keyFingerprint(a.publicKey)).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
    expect(keyFingerprint(a.publicKey)).toBe(keyFingerprint(a.publicKey));
    expect(keyFingerprint(a.publicKey)).not.toBe(keyFingerprint(b.publicKey));
  });
});

describe('key files', () => {
  it('writes the secret with mode 0600, refuses to overwrite, and reads it back', () => {
    const dir = temp();
    const path = join(dir, 'sub', 'me.key');
    const pair = generateKeyPair();
    writeKeyFile(path, pair);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readKeyFile(path)).toEqual(pair);
    expect(() => writeKeyFile(path, generateKeyPair())).toThrow(/exists already/);
    expect(loadOrCreateKeyPair(path)).toEqual({ pair, created: false });
    const fresh = loadOrCreateKeyPair(join(dir, 'new.key'));
    expect(fresh.created).toBe(true);
    expect(statSync(join(dir, 'new.key')).mode & 0o777).toBe(0o600);
  });

  it('names a bad key file without showing what is in it', () => {
    const dir = temp();
    const path = join(dir, 'bad.key');
    writeFileSync(path, 'SECRET-CONTENT-NOT-TO-SHOW');
    expect(() => readKeyFile(path)).toThrow(path);
    try {
      readKeyFile(path);
    } catch (err) {
      expect((err as Error).message).not.toContain('SECRET-CONTENT');
    }
    expect(() => readKeyFile(join(dir, 'missing.key'))).toThrow(/ENOENT/);
  });

  it('keeps keys under $XDG_CONFIG_HOME/hubscope, else $HOME/.config/hubscope', () => {
    expect(hubscopeConfigDir({ HOME: '/home/x' })).toBe('/home/x/.config/hubscope');
    expect(hubscopeConfigDir({ HOME: '/home/x', XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/hubscope');
    expect(hubscopeConfigDir({ HOME: '/home/x', XDG_CONFIG_HOME: 'relative' })).toBe('/home/x/.config/hubscope');
  });
});

describe('allow-list files', () => {
  it('takes one key a line with words after it, comments and blank lines; a key may start with #', () => {
    const a = generateKeyPair().publicKey;
    const hashKey = '#' + a.slice(1);
    const parsed = parseAllowList(`# lab keys\n\n${a} alice's laptop\n  ${hashKey}\n`, 'allowed');
    expect(parsed).toEqual({ ok: true, keys: new Set([a, hashKey]) });
  });

  it('names the line that is not a key', () => {
    const parsed = parseAllowList(`${generateKeyPair().publicKey}\nnot-a-key\n`, '/etc/allowed');
    expect(parsed).toEqual({ ok: false, problem: expect.stringContaining('/etc/allowed line 2') });
  });
});

describe('hubscope keys', () => {
  function capture(): { out: () => string } {
    let text = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      text += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return { out: () => text };
  }

  it('gen writes NAME.key (0600) and NAME.pub and prints only the public key; show prints fingerprints', async () => {
    const dir = temp();
    const io = capture();
    expect(await keysCommand.run(['gen', '--out', dir, '--name', 'rig1'])).toBe(0);
    const pair = readKeyFile(join(dir, 'rig1.key'));
    expect(statSync(join(dir, 'rig1.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'rig1.pub'), 'utf8').trim()).toBe(pair.publicKey);
    expect(io.out().trim()).toBe(pair.publicKey);
    expect(io.out()).not.toContain(pair.secretKey);
    await expect(keysCommand.run(['gen', '--out', dir, '--name', 'rig1'])).rejects.toThrow(/--force/);

    expect(await keysCommand.run(['show', join(dir, 'rig1.key'), join(dir, 'rig1.pub'), pair.publicKey])).toBe(0);
    const fp = keyFingerprint(pair.publicKey);
    expect(io.out().split(fp).length - 1).toBe(3);
    expect(io.out()).not.toContain(pair.secretKey);
    await expect(keysCommand.run(['show', 'nonsense'])).rejects.toThrow(/neither a CURVE key/);
    await expect(keysCommand.run(['frob'])).rejects.toThrow(/unknown keys command/);
  });
});
