// CURVE key pairs (Curve25519, Z85 text): making them, their fingerprint, key files,
// and the HELLO proof that binds a MessageHub session to a client key.
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, writeSync, closeSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { capability, curveKeyPair } from 'zeromq';
import { isZ85Key, z85Decode } from './z85.js';

export interface CurveKeyPair {
  /** Z85, 40 characters; safe to share. */
  publicKey: string;
  /** Z85, 40 characters; never leaves its file or process. */
  secretKey: string;
}

export const KEY_FILE_FORMAT = 'hubscope.curve-key/1';

/** Throws a clear error when the zeromq build cannot do CURVE (no libsodium/tweetnacl). */
export function requireCurve(): void {
  if (!capability.curve) {
    throw new Error(
      'this zeromq build has no CURVE support (zeromq capability.curve is false): ' +
        'authenticated brokers and clients cannot work; rebuild zeromq with CURVE, or run an open broker (--open)',
    );
  }
}

export function generateKeyPair(): CurveKeyPair {
  requireCurve();
  const { publicKey, secretKey } = curveKeyPair();
  return { publicKey, secretKey };
}

/**
 * The short form a person compares by eye: the first 64 bits of SHA-256 of the raw
 * key, as four groups of four hex digits (`3f2a-91bc-07de-55a1`).
 */
export function keyFingerprint(publicKey: string): string {
  const hex = createHash('sha256').update(z85Decode(publicKey)).digest('hex').slice(0, 16);
  return hex.match(/.{4}/g)!.join('-');
}

/** Why `text` is not a Z85 CURVE key, or undefined when it is one. */
export function keyProblem(text: string): string | undefined {
  if (isZ85Key(text)) return undefined;
  return `a CURVE key is 40 Z85 characters; got ${text.length} character(s)`;
}

/** The key file: JSON with both keys, mode 0600 (the secret key must stay the owner's). */
export function writeKeyFile(path: string, pair: CurveKeyPair, options: { overwrite?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!options.overwrite && existsSync(path)) throw new Error(`key file ${path} exists already; not overwriting it`);
  const text = JSON.stringify({ format: KEY_FILE_FORMAT, publicKey: pair.publicKey, secretKey: pair.secretKey }) + '\n';
  // Created 0600 from the start: the secret is never readable by others, not even briefly.
  const fd = openSync(path, options.overwrite ? 'w' : 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}

/** The public half as a one-line file (`<name>.pub`), for allow-lists and other machines. */
export function writePublicKeyFile(path: string, publicKey: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'w', 0o644);
  try {
    writeSync(fd, publicKey + '\n');
  } finally {
    closeSync(fd);
  }
}

/** Reads a key file; errors name the file and what is wrong, never its content. */
export function readKeyFile(path: string): CurveKeyPair {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`key file ${path} is not a HubScope key file (${KEY_FILE_FORMAT} JSON)`);
  }
  const o = parsed as Partial<Record<string, unknown>> | null;
  if (!o || o.format !== KEY_FILE_FORMAT || typeof o.publicKey !== 'string' || typeof o.secretKey !== 'string') {
    throw new Error(`key file ${path} is not a HubScope key file (${KEY_FILE_FORMAT} with publicKey and secretKey)`);
  }
  if (!isZ85Key(o.publicKey) || !isZ85Key(o.secretKey)) {
    throw new Error(`key file ${path} holds a key that is not 40 Z85 characters`);
  }
  return { publicKey: o.publicKey, secretKey: o.secretKey };
}

/** Reads the key pair at `path`, making (and saving) one when the file does not exist. */
export function loadOrCreateKeyPair(path: string): { pair: CurveKeyPair; created: boolean } {
  if (existsSync(path)) return { pair: readKeyFile(path), created: false };
  const pair = generateKeyPair();
  try {
    writeKeyFile(path, pair);
  } catch (err) {
    // Another process made it at the same moment: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { pair: readKeyFile(path), created: false };
    throw err;
  }
  return { pair, created: true };
}

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PROOF_LABEL = 'hubscope-hello/2\n';

/**
 * Proof that the sender of HELLO holds the secret key of `auth.publicKey`, bound to
 * the connection's routing id: HMAC-SHA256 keyed with the Curve25519 shared secret
 * of the two key pairs (the client computes it from its secret and the broker's
 * public key, the broker from its secret and the client's public key), over
 * "hubscope-hello/2\n" + routing id. Lower-case hex, 64 digits.
 */
export function helloProof(ownSecretKey: string, peerPublicKey: string, routingId: Uint8Array): string {
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, z85Decode(ownSecretKey)]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey({
    key: Buffer.concat([X25519_SPKI_PREFIX, z85Decode(peerPublicKey)]),
    format: 'der',
    type: 'spki',
  });
  const shared = diffieHellman({ privateKey, publicKey });
  return createHmac('sha256', shared).update(PROOF_LABEL).update(routingId).digest('hex');
}
