// Fuzzed headers and files never crash the reader: every outcome is a result
// or a DataBlockError naming the segment. Seeded, so a failure reproduces.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { H } from '../../main/datablock/format.js';
import { DataBlockError, openDataBlock } from '../../main/datablock/reader.js';
import { DataBlockStats } from '../../main/datablock/stats.js';
import { inspectJson } from '../../main/cli/inspect.js';
import { listDataBlocks } from '../../main/datablock/list.js';
import { VECTOR_SCHEMA, writerImage } from './datablock-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hubscope-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A valid segment shaped like the C++ test vector, made by our writer. */
const vector = writerImage();

/** xorshift32: small, seeded, reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Everything a monitor does with a segment; returns how far it got. */
function exercise(path: string): 'read' | 'invalid' | 'error' {
  try {
    const r = openDataBlock(path, { file: true });
    try {
      const json = inspectJson(r, 'file', VECTOR_SCHEMA, 8, true);
      JSON.stringify(json);
      new DataBlockStats(r).sample();
      r.consumers();
      r.liveness();
      if (!r.report.geometry) return 'invalid';
      r.latest({ verify: true });
      r.recent(1000, { verify: true });
      r.slots({ verify: true });
      r.verifyFlexZone();
      return 'read';
    } finally {
      r.close();
    }
  } catch (err) {
    if (!(err instanceof DataBlockError)) throw err;
    expect(err.message).toContain(path);
    return 'error';
  }
}

// Header fields worth targeting: geometry, indices, sizes.
const HOT = [
  H.totalBlockSize,
  H.logicalUnitSize,
  H.ringBufferCapacity,
  H.flexibleZoneSize,
  H.commitIndex,
  H.writeIndex,
  H.physicalPageSize,
  H.magic,
  H.versionMajor,
  H.policy,
];

describe('fuzzed segment images', () => {
  it('mutated test-vector headers: results or clear errors only', () => {
    const rand = rng(0xc0ffee);
    const outcomes = { read: 0, invalid: 0, error: 0 };
    const path = join(dir, 'mutated.bin');
    for (let iter = 0; iter < 1500; iter++) {
      const img = Buffer.from(vector);
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const target =
          rand() < 0.6
            ? (HOT[Math.floor(rand() * HOT.length)] ?? 0) + Math.floor(rand() * 8)
            : Math.floor(rand() * img.length);
        img[target] = Math.floor(rand() * 256);
      }
      // Some files also get a wrong length.
      const len = rand() < 0.2 ? Math.floor(rand() * img.length * 1.5) : img.length;
      const out = Buffer.alloc(len);
      img.copy(out, 0, 0, Math.min(len, img.length));
      writeFileSync(path, out);
      outcomes[exercise(path)]++;
    }
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.invalid).toBeGreaterThan(0);
    expect(outcomes.read + outcomes.invalid + outcomes.error).toBe(1500);
  });

  it('random garbage with and without the PLHB magic', () => {
    const rand = rng(42);
    const path = join(dir, 'garbage.bin');
    for (let iter = 0; iter < 300; iter++) {
      const len = [0, 1, 4, 100, 4095, 4096, 8192, 16384][iter % 8] ?? 0;
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
      if (len >= 4 && iter % 2) b.writeUInt32LE(0x504c4842, 0);
      writeFileSync(path, b);
      const outcome = exercise(path);
      if (len === 0)
        expect(outcome).toBe('error'); // an empty file cannot even be mapped
      else if (len < 4096 || iter % 2 === 0)
        expect(outcome).not.toBe('read'); // no header or no magic
      else expect(['read', 'invalid']).toContain(outcome);
    }
  });

  it('listDataBlocks over a directory of bad files never throws', () => {
    const sub = mkdtempSync(join(dir, 'ls-'));
    writeFileSync(join(sub, 'a'), Buffer.from([0x42, 0x48, 0x4c, 0x50]));
    writeFileSync(join(sub, 'b'), vector.subarray(0, 5000));
    writeFileSync(join(sub, 'c'), vector);
    writeFileSync(join(sub, 'd'), 'not a segment');
    const list = listDataBlocks(sub);
    expect(list.map((d) => d.name)).toEqual(['a', 'b', 'c']);
    expect(list[0]?.valid).toBe(false);
    expect(list[1]?.problems.join(' ')).toMatch(/5000 bytes/);
    expect(list[2]).toMatchObject({ valid: true, capacity: 4, stride: 64, recordsWritten: 6n });
  });
});
