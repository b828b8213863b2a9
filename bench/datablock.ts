// DataBlock benchmark (`npm run bench:datablock`): latest-record snapshot rate
// and GB/s for several slot sizes next to a plain in-process memcpy of the same
// size (same run), and the writer's commit rate. Writes bench/results/datablock.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataBlock } from '../main/datablock/reader.js';
import { createDataBlock } from '../main/datablock/writer.js';

const SIZES = [64, 4096, 1 << 20, 4 << 20];
const RUN_MS = 600;
/**
 * Destination offsets within a page-aligned-ish allocation. Copy speed depends
 * on the low address bits of source vs destination (4 KiB aliasing can halve a
 * 4 KiB memcpy), so both sides are measured at each offset and the best rate
 * of each is compared: the same method for both, no lucky alignment for either.
 */
const OFFSETS = [0, 64, 1024, 2048, 3072];
/** Rounds over all offsets; the machine may be busy, so the best of each side is kept. */
const ROUNDS = 2;

/** A Uint8Array of `length` bytes starting `offset` bytes into a fresh buffer. */
function bufferAt(length: number, offset: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(length + 4096), offset, length);
}

/**
 * Calls per second of an operation. `loop(n)` runs the operation n times in its
 * own tight loop, so the measured call site stays monomorphic (a shared
 * per-call closure would add the same overhead to both sides and flatter the ratio).
 */
function rate(loop: (n: number) => void): number {
  loop(1000); // warm up (JIT, page faults)
  let calls = 0;
  let batch = 16;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < BigInt(RUN_MS) * 1_000_000n) {
    loop(batch);
    calls += batch;
    batch = Math.min(batch * 2, 1 << 16);
    elapsedNs = process.hrtime.bigint() - start;
  }
  return calls / (Number(elapsedNs) / 1e9);
}

interface SizeResult {
  bytes: number;
  snapshotsPerSec: number;
  gbPerSec: number;
  memcpyGbPerSec: number;
  ratio: number;
}

const name = `hubscope-bench-${process.pid}`;
const results: SizeResult[] = [];
for (const bytes of SIZES) {
  const writer = createDataBlock(name, { slotSize: bytes, capacity: 4 });
  try {
    const payload = new Uint8Array(bytes).map((_, i) => i & 0xff);
    for (let i = 0; i < 6; i++) writer.writeRaw(payload);
    const reader = openDataBlock(name);
    let snapshotsPerSec = 0;
    let copiesPerSec = 0;
    const src = bufferAt(bytes, 0).fill(7);
    for (const offset of Array.from({ length: ROUNDS }, () => OFFSETS).flat()) {
      const dest = bufferAt(bytes + 33, offset); // reused: the hot path allocates nothing
      const snap = rate((n) => {
        for (let i = 0; i < n; i++) {
          if (reader.latestInto(dest) === null) throw new Error('benchmark segment unexpectedly empty');
        }
      });
      const dst = bufferAt(bytes, offset);
      const copy = rate((n) => {
        for (let i = 0; i < n; i++) dst.set(src);
      });
      snapshotsPerSec = Math.max(snapshotsPerSec, snap);
      copiesPerSec = Math.max(copiesPerSec, copy);
    }
    reader.close();
    const gbPerSec = (snapshotsPerSec * bytes) / 1e9;
    const memcpyGbPerSec = (copiesPerSec * bytes) / 1e9;
    results.push({ bytes, snapshotsPerSec, gbPerSec, memcpyGbPerSec, ratio: gbPerSec / memcpyGbPerSec });
  } finally {
    writer.close();
  }
}

// Writer commit rate: full protocol (claim, lock, state, payload, generation, commit, heartbeat).
const commit: Array<{ bytes: number; checksumPolicy: string; commitsPerSec: number }> = [];
for (const [bytes, checksumPolicy] of [
  [64, 'None'],
  [4096, 'None'],
  [64, 'Enforced'],
] as const) {
  const writer = createDataBlock(name, { slotSize: bytes, capacity: 1024, checksumPolicy });
  try {
    const payload = new Uint8Array(bytes);
    commit.push({
      bytes,
      checksumPolicy,
      commitsPerSec: rate((n) => {
        for (let i = 0; i < n; i++) writer.writeRaw(payload);
      }),
    });
  } finally {
    writer.close();
  }
}

const fmt = (n: number, d = 2): string => n.toFixed(d);
console.log('DataBlock latest-record snapshot vs in-process memcpy');
console.log('bytes      snapshots/s   GB/s    memcpy GB/s  ratio');
for (const r of results) {
  console.log(
    `${String(r.bytes).padEnd(10)} ${fmt(r.snapshotsPerSec, 0).padStart(11)}   ${fmt(r.gbPerSec).padStart(6)}  ${fmt(r.memcpyGbPerSec).padStart(11)}  ${fmt(r.ratio).padStart(5)}${r.bytes >= 4096 && r.ratio < 0.5 ? '  BELOW BAR (0.5)' : ''}`,
  );
}
console.log('\nWriter commit rate');
for (const c of commit)
  console.log(
    `${String(c.bytes).padEnd(6)} B, checksums ${c.checksumPolicy.padEnd(8)} ${fmt(c.commitsPerSec, 0)} commits/s`,
  );

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'datablock.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    { date: new Date().toISOString(), node: process.versions.node, runMs: RUN_MS, sizes: results, writer: commit },
    null,
    2,
  ) + '\n',
);
console.log(`\nwrote ${out}`);
