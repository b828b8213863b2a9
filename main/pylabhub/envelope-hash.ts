// The pylabhub hub's envelope_hash: lower-case hex of BLAKE2b with a 32-byte digest
// (unkeyed, the digest length as BLAKE2b parameter, not a cut 512-bit hash) over
// identity ‖ msg_type ‖ correlation_id, raw bytes without separators (docs/pylabhub.md).
// The identity is always the client DEALER's routing id, in both directions, so a
// reply cannot be replayed to another client. Every body on the wire carries it.
import { blake2b256, toHex } from '../datablock/blake2b.js';

const encoder = new TextEncoder();

function bytes(part: string | Uint8Array): Uint8Array {
  return typeof part === 'string' ? encoder.encode(part) : part;
}

/** envelope_hash of one message (64 lower-case hex digits). */
export function envelopeHash(
  identity: string | Uint8Array,
  msgType: string | Uint8Array,
  correlationId: string | Uint8Array,
): string {
  const parts = [bytes(identity), bytes(msgType), bytes(correlationId)];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return toHex(blake2b256(all));
}
