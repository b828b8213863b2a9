// `hubscope keys`: CURVE key pairs for the MessageHub (docs/security.md).
//   gen  makes a key pair (secret key file 0600) and prints the public key;
//   show prints fingerprints, the short form two people compare by eye.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  brokerKeyPath,
  clientKeyPath,
  generateKeyPair,
  hubscopeConfigDir,
  isZ85Key,
  keyFingerprint,
  parseAllowList,
  readKeyFile,
  writeKeyFile,
  writePublicKeyFile,
} from '../keys/index.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope keys gen [--out DIR] [--name NAME] [--force]
       hubscope keys show [KEY | FILE ...]

CURVE key pairs for the MessageHub broker and its clients (docs/security.md).

  gen               Make a key pair: DIR/NAME.key (both keys, mode 0600) and
                    DIR/NAME.pub (the public key); prints the public key and its
                    fingerprint. Default DIR is ${'$'}XDG_CONFIG_HOME/hubscope (or
                    ~/.config/hubscope), default NAME "client" (the key HubScope
                    clients use). --force replaces an existing key pair.
  show              Print the fingerprint of each KEY (40 Z85 characters) or key
                    file (.key, .pub, or an allow-list); without arguments, this
                    user's client and broker keys.

Put a client's public key (one per line) in the file a broker is given with
\`hubscope broker --allow FILE\` to let it connect.`;

function describeKey(label: string, publicKey: string): string {
  return `${label}: ${publicKey}  fingerprint ${keyFingerprint(publicKey)}`;
}

/** Public keys in `arg`: a key itself, a .key file, or a text file of keys (.pub, allow-list). */
function publicKeysIn(arg: string): string[] {
  if (isZ85Key(arg) && !existsSync(arg)) return [arg];
  if (!existsSync(arg))
    throw new UsageError(`${JSON.stringify(arg)} is neither a CURVE key (40 Z85 characters) nor a file`);
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${arg}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (text.trimStart().startsWith('{')) {
    try {
      return [readKeyFile(arg).publicKey];
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const parsed = parseAllowList(text, arg);
  if (!parsed.ok) throw new UsageError(parsed.problem);
  if (parsed.keys.size === 0) throw new UsageError(`${arg} holds no CURVE public keys (40 Z85 characters a line)`);
  return [...parsed.keys];
}

function gen(args: string[]): number {
  const { values, positionals } = parseCliArgs({
    args,
    options: { out: { type: 'string' }, name: { type: 'string' }, force: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const name = values.name ?? 'client';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new UsageError(`--name ${JSON.stringify(name)} must be letters, digits, ".", "_" or "-"`);
  }
  const dir = values.out ?? hubscopeConfigDir();
  const pair = generateKeyPair();
  const keyPath = join(dir, `${name}.key`);
  try {
    writeKeyFile(keyPath, pair, { overwrite: values.force === true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (use --force to replace it)`);
  }
  writePublicKeyFile(join(dir, `${name}.pub`), pair.publicKey);
  process.stdout.write(pair.publicKey + '\n');
  process.stderr.write(`key pair written to ${keyPath} (mode 0600) and ${join(dir, `${name}.pub`)}\n`);
  process.stderr.write(`fingerprint ${keyFingerprint(pair.publicKey)}\n`);
  return 0;
}

function show(args: string[]): number {
  if (args.length === 0) {
    let found = 0;
    for (const [label, path] of [
      ['client key', clientKeyPath()],
      ['broker key', brokerKeyPath()],
    ] as const) {
      if (!existsSync(path)) continue;
      found++;
      process.stdout.write(describeKey(`${label} (${path})`, readKeyFile(path).publicKey) + '\n');
    }
    if (found === 0) {
      process.stdout.write(
        `no keys yet in ${hubscopeConfigDir()} (HubScope makes them on first use; or run \`hubscope keys gen\`)\n`,
      );
    }
    return 0;
  }
  for (const arg of args) {
    for (const key of publicKeysIn(arg)) process.stdout.write(describeKey(arg === key ? 'key' : arg, key) + '\n');
  }
  return 0;
}

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'Make CURVE key pairs and show key fingerprints (MessageHub security)',
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'gen') return gen(rest);
    if (sub === 'show') return show(rest);
    throw new UsageError(sub === undefined ? 'keys needs gen or show' : `unknown keys command ${JSON.stringify(sub)}`);
  },
};
