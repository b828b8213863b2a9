// BLAKE2b with a 32-byte digest: the checksum and fingerprint function of the
// PLHB format (docs/datablock-format.md, "Checksums"). Node's crypto only offers the
// 64-byte variant, whose first 32 bytes are a different value. hash-wasm's
// WebAssembly BLAKE2b is used: about 750 MiB/s here, where a pure-JS one does
// about 40 MiB/s (hashing a 2 MiB camera slot took 48 ms and stalled the event
// loop that also serves the embedded broker). test/unit/datablock-blake2b.test.ts
// checks it against an independent implementation.
import { createBLAKE2b, type IHasher } from 'hash-wasm';

// The WebAssembly module is compiled once, asynchronously; every hash after that is synchronous.
const hasher: IHasher = await createBLAKE2b(256);

/** BLAKE2b-256 (unkeyed, 32-byte digest) of `data`. */
export function blake2b256(data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest('binary');
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `b`, two digits per byte. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const byte of b) s += HEX[byte];
  return s;
}

/** Inverse of toHex; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`"${hex}" is not a hex string`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** True when every byte of `b` is zero (a "no hash" marker in the header). */
export function isAllZero(b: Uint8Array): boolean {
  for (const byte of b) if (byte !== 0) return false;
  return true;
}
