// The key files a pylabhub monitor needs: the hub's public key (hub.pubkey, written by
// `plh_hub --keygen`: 40 Z85 characters, no newline; line 1 is taken) and HubScope's
// own key file (main/keys format). Errors name the file and what is wrong but never
// echo its content: a secret key file given by mistake must not reach a terminal or log.
import { readFileSync } from 'node:fs';
import { isZ85Key, readKeyFile, type CurveKeyPair } from '../keys/index.js';

/** Reads the hub's public key from `path` (hub.pubkey). Throws a clear Error otherwise. */
export function readHubPublicKey(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the hub's public key file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const line = (text.split(/\r?\n/)[0] ?? '').trim();
  if (isZ85Key(line)) return line;
  // Say what it looks like, not what it holds.
  const kind = line.startsWith('{')
    ? 'it looks like a JSON file (a HubScope key file or hub.json?), not hub.pubkey'
    : line.length === 0
      ? 'line 1 is empty'
      : `line 1 has ${line.length} character(s)`;
  throw new Error(
    `${path} is not a hub public key file (hub.pubkey: 40 Z85 characters on line 1, as \`plh_hub --keygen\` writes it): ${kind}`,
  );
}

/** HubScope's own key pair; readKeyFile's errors already name the file and never the content. */
export function readOwnKeyPair(path: string): CurveKeyPair {
  return readKeyFile(path);
}
