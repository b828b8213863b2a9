// The frames of pylabhub's shared-memory hand-over (protocol "hep-0041-1"),
// consumer side, as pure functions: no sockets, no threads. The worker
// (handover-worker.ts) sends and receives them; docs/pylabhub.md ("Attaching to
// a memfd channel") describes the exchange.
//
//   frame  = u32 little-endian length (1..4096) + that many bytes of a JSON object
//   F1 P→C { protocol_version, nonce_b64 (24 B), challenge_b64 (16 B) }
//   F2 C→P { protocol_version, role_uid, pubkey_z85, role_type: "consumer",
//            challenge_response_b64, consumer_nonce_b64 (24 B), consumer_challenge_b64 (16 B) }
//   F3 P→C { producer_pubkey_z85, proof_response_b64 }
//
// challenge_response = crypto_box_easy(challenge, nonce, producer_pk, consumer_sk)
// (X25519 + XSalsa20-Poly1305, MAC 16 ‖ ciphertext 16); the F3 proof is the box
// of our challenge under our nonce from producer_sk to consumer_pk. We always
// ask for F3: a socket path is only a name, and without the proof any process
// of our user that took the path could hand us a segment of its choosing.
import nacl from 'tweetnacl';
import { isZ85Key, z85Decode } from '../keys/z85.js';

export const PROTOCOL_VERSION = 'hep-0041-1';
/** Largest frame body either side accepts. */
export const MAX_FRAME_BYTES = 4096;
export const NONCE_BYTES = 24;
export const CHALLENGE_BYTES = 16;
const MAC_BYTES = 16;

/** What went wrong, for callers that react differently (retry, tell the admin, tell the user). */
export type HandoverErrorKind =
  | 'bad-input' // our own arguments (keys, path)
  | 'unreachable' // no socket at the path, nobody listening
  | 'other-user' // the producer dropped us before F1: it runs as another OS user
  | 'rejected' // the producer closed after F2: it did not accept our proof
  | 'denied' // the producer closed instead of sending the fd: its hub did not admit our key
  | 'wrong-producer' // F3 names another key or its proof does not open
  | 'bad-frame' // a frame broke the protocol
  | 'bad-handover' // not exactly one fd, or not a usable memfd
  | 'timeout'
  | 'failed'; // a system call failed

/** A hand-over that did not end with a usable segment; `kind` says why, the message says it in words. */
export class HandoverError extends Error {
  override name = 'HandoverError';
  constructor(
    readonly kind: HandoverErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard, padded base64 only: Node's decoder would accept (and silently skip) anything. */
export function decodeBase64(text: unknown, field: string, frame: string, bytes: number): Uint8Array {
  if (typeof text !== 'string' || !BASE64_RE.test(text)) {
    throw new HandoverError('bad-frame', `${frame}: ${field} is not standard padded base64`);
  }
  const out = Buffer.from(text, 'base64');
  if (out.length !== bytes) {
    throw new HandoverError('bad-frame', `${frame}: ${field} holds ${out.length} bytes, expected ${bytes}`);
  }
  return new Uint8Array(out);
}

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** A frame to send: the length prefix and the JSON text. */
export function encodeFrame(body: Record<string, unknown>): Uint8Array {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  if (json.length < 1 || json.length > MAX_FRAME_BYTES) {
    throw new RangeError(`a hand-over frame holds 1..${MAX_FRAME_BYTES} bytes, this one ${json.length}`);
  }
  const out = new Uint8Array(4 + json.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  return out;
}

/** The body length a 4-byte prefix announces; a length outside 1..4096 is refused before anything is read. */
export function frameLength(prefix: Uint8Array, frame: string): number {
  if (prefix.length !== 4) throw new RangeError('a frame prefix is 4 bytes');
  const length = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0, true);
  if (length < 1 || length > MAX_FRAME_BYTES) {
    throw new HandoverError(
      'bad-frame',
      `${frame}: the producer announced a ${length}-byte frame; frames hold 1..${MAX_FRAME_BYTES} bytes`,
    );
  }
  return length;
}

/** A frame body as a JSON object (anything else is a protocol error). */
export function decodeFrameBody(body: Uint8Array, frame: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new HandoverError('bad-frame', `${frame}: the body is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HandoverError('bad-frame', `${frame}: the body is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

export interface Challenge {
  nonce: Uint8Array;
  challenge: Uint8Array;
}

export function parseF1(body: Record<string, unknown>): Challenge {
  if (body['protocol_version'] !== PROTOCOL_VERSION) {
    throw new HandoverError(
      'bad-frame',
      `F1: protocol_version ${JSON.stringify(body['protocol_version'])}, expected "${PROTOCOL_VERSION}"`,
    );
  }
  return {
    nonce: decodeBase64(body['nonce_b64'], 'nonce_b64', 'F1', NONCE_BYTES),
    challenge: decodeBase64(body['challenge_b64'], 'challenge_b64', 'F1', CHALLENGE_BYTES),
  };
}

/** The consumer's identity: a role uid and its CURVE key pair (Z85). */
export interface ConsumerIdentity {
  uid: string;
  publicKey: string;
  secretKey: string;
}

/** Raw 32-byte keys, checked: a bad key is our caller's mistake, said before any socket is opened. */
export interface HandoverKeys {
  consumerPublic: Uint8Array;
  consumerSecret: Uint8Array;
  producerPublic: Uint8Array;
}

export function decodeKeys(consumer: ConsumerIdentity, producerPublicKey: string): HandoverKeys {
  const decode = (text: string, what: string): Uint8Array => {
    if (typeof text !== 'string' || !isZ85Key(text)) {
      throw new HandoverError('bad-input', `${what} must be a 40-character Z85 CURVE key`);
    }
    return new Uint8Array(z85Decode(text));
  };
  const keys = {
    consumerPublic: decode(consumer.publicKey, 'the consumer public key'),
    consumerSecret: decode(consumer.secretKey, 'the consumer secret key'),
    producerPublic: decode(producerPublicKey, "the producer's public key (from CONSUMER_REG_ACK)"),
  };
  const derived = nacl.box.keyPair.fromSecretKey(keys.consumerSecret).publicKey;
  if (!Buffer.from(derived).equals(Buffer.from(keys.consumerPublic))) {
    throw new HandoverError('bad-input', 'the consumer secret key does not belong to the consumer public key');
  }
  return keys;
}

/** F2 and the challenge we put in it (needed to check F3). */
export interface Hello {
  frame: Uint8Array;
  ours: Challenge;
}

export function buildF2(consumer: ConsumerIdentity, keys: HandoverKeys, f1: Challenge): Hello {
  const response = nacl.box(f1.challenge, f1.nonce, keys.producerPublic, keys.consumerSecret);
  const ours = { nonce: nacl.randomBytes(NONCE_BYTES), challenge: nacl.randomBytes(CHALLENGE_BYTES) };
  const frame = encodeFrame({
    protocol_version: PROTOCOL_VERSION,
    role_uid: consumer.uid,
    pubkey_z85: consumer.publicKey,
    role_type: 'consumer',
    challenge_response_b64: encodeBase64(response),
    consumer_nonce_b64: encodeBase64(ours.nonce),
    consumer_challenge_b64: encodeBase64(ours.challenge),
  });
  return { frame, ours };
}

/** The producer proves it holds the secret half of the key the hub gave us. */
export function checkF3(
  body: Record<string, unknown>,
  producerPublicKey: string,
  keys: HandoverKeys,
  ours: Challenge,
): void {
  const claimed = body['producer_pubkey_z85'];
  if (typeof claimed !== 'string' || !isZ85Key(claimed)) {
    throw new HandoverError('bad-frame', 'F3: producer_pubkey_z85 is not a 40-character Z85 key');
  }
  if (claimed !== producerPublicKey) {
    throw new HandoverError(
      'wrong-producer',
      `the process on the socket identified as producer key ${claimed}, but the hub named ${producerPublicKey}: ` +
        'not the registered producer (or the producer restarted with another key)',
    );
  }
  const proof = decodeBase64(body['proof_response_b64'], 'proof_response_b64', 'F3', CHALLENGE_BYTES + MAC_BYTES);
  const opened = nacl.box.open(proof, ours.nonce, keys.producerPublic, keys.consumerSecret);
  if (!opened || !nacl.verify(opened, ours.challenge)) {
    throw new HandoverError(
      'wrong-producer',
      `the process on the socket does not hold the secret key of producer ${producerPublicKey}: its proof (F3) does not open to our challenge`,
    );
  }
}
