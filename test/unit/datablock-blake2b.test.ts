// BLAKE2b-256 against an independent implementation, across block boundaries
// (128-byte blocks) and the sizes the format hashes (64 B slots to 4 MiB).
import { blake2b } from '@noble/hashes/blake2.js';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blake2b256, toHex } from '../../main/datablock/blake2b.js';

describe('blake2b256', () => {
  it('matches @noble/hashes for every size around the block boundaries and for large slots', () => {
    const sizes = [0, 1, 24, 63, 64, 127, 128, 129, 255, 256, 257, 4096, 65_536, 2 * 1024 * 1024 + 3];
    for (const size of sizes) {
      const data = randomBytes(size);
      expect(toHex(blake2b256(data)), `size ${size}`).toBe(toHex(blake2b(data, { dkLen: 32 })));
    }
  });

  it('gives the digest of the empty input from the BLAKE2 reference', () => {
    expect(toHex(blake2b256(new Uint8Array(0)))).toBe(
      '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8',
    );
  });

  it('is not disturbed by interleaved calls (one shared hasher, reset per call)', () => {
    const a = randomBytes(1000);
    const b = randomBytes(3000);
    const first = toHex(blake2b256(a));
    blake2b256(b);
    expect(toHex(blake2b256(a))).toBe(first);
  });
});
