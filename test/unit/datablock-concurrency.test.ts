// Real processes against real /dev/shm segments: a full-speed writer never
// yields a torn record; a segment abused by another process (truncated,
// replaced, garbage) only ever yields clear errors; signals unlink segments.
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DataBlockError, openDataBlock } from '../../main/datablock/reader.js';
import { createDataBlock } from '../../main/datablock/writer.js';
import { spawnNode, stopProcess } from '../support/processes.js';
import { uniqueName, unlinkQuietly, waitFor, writerImage } from './datablock-helpers.js';

const MIX = 0x9e3779b97f4a7c15n;
const children: ChildProcess[] = [];
const names: string[] = [];
/** The valid image the truncator child keeps restoring (made by our writer). */
const imageDir = mkdtempSync(join(tmpdir(), 'hubscope-concurrency-'));
const imagePath = join(imageDir, 'image.bin');
writeFileSync(imagePath, writerImage());
afterAll(() => rmSync(imageDir, { recursive: true, force: true }));

function startChild(script: string, args: string[]): Promise<ChildProcess> {
  const child = spawnNode(['--import', 'tsx', `test/unit/${script}`, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.on('exit', (code, signal) => reject(new Error(`${script} exited early (${code ?? signal})`)));
    setTimeout(() => reject(new Error(`${script} did not start within 20 s`)), 20_000);
  });
}

afterEach(async () => {
  // Wait until they are gone: a child still running could recreate a name after the unlink below.
  await Promise.all(children.splice(0).map((c) => stopProcess(c, 0)));
  for (const n of names.splice(0)) unlinkQuietly(n);
});

/** Checks that every u64 word of a slot derives from `id` (word k = id*MIX + k). */
function intact(bytes: Uint8Array, id: bigint): boolean {
  const words = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  const base = id * MIX;
  for (let k = 0; k < words.length; k++) if (words[k] !== BigInt.asUintN(64, base + BigInt(k))) return false;
  return true;
}

describe('writer process at full speed, reader here', () => {
  it.each([
    [1, 4096],
    [4, 4096],
    [8, 65536],
  ])('never shows a torn record (capacity %i, stride %i)', async (capacity, stride) => {
    const name = uniqueName('torn');
    names.push(name);
    const child = await startChild('datablock-child-writer.ts', [name, String(capacity), String(stride)]);
    const reader = openDataBlock(name);
    try {
      expect(reader.report.valid).toBe(true);
      const buf = new Uint8Array(stride + 33);
      const seen = new Set<number>();
      let torn = 0;
      let reads = 0;
      const deadline = Date.now() + 1500;
      while (Date.now() < deadline || seen.size < 20) {
        const id = reader.latestInto(buf);
        if (id !== null) {
          reads++;
          seen.add(id);
          if (!intact(buf.subarray(0, stride), BigInt(id))) torn++;
        }
        for (const r of reader.recent(capacity)) {
          reads++;
          if (!intact(r.bytes, r.id)) torn++;
        }
        if (Date.now() > deadline + 10_000) break;
      }
      expect(torn).toBe(0);
      expect(reads).toBeGreaterThan(100);
      expect(seen.size).toBeGreaterThanOrEqual(20); // the writer really moved while we read
    } finally {
      reader.close();
      child.stdin?.end();
      await once(child, 'exit');
    }
  });
});

describe('a segment abused by another process', () => {
  it('truncated under an open mapping: a clear error, not a SIGBUS', () => {
    const name = uniqueName('trunc');
    names.push(name);
    const writer = createDataBlock(name, { slotSize: 1 << 16, capacity: 4 });
    try {
      for (let i = 0; i < 6; i++) writer.writeRaw(new Uint8Array(1 << 16).fill(i));
      const reader = openDataBlock(name);
      expect(reader.latest()?.id).toBe(5n);
      truncateSync(`/dev/shm/${name}`, 4096);
      expect(() => reader.latest()).toThrow(DataBlockError);
      expect(() => reader.recent(4)).toThrow(/truncated|shrank/);
      expect(() => reader.flexZone()).not.toThrow(); // zero-size zone: no access
      const report = reader.validate();
      expect(report.valid).toBe(false);
      expect(report.problems.join(' ')).toMatch(/shrank from \d+ to 4096 bytes/);
      expect(() => reader.latest()).toThrow(/cannot be read/);
      reader.close();
    } finally {
      writer.close();
    }
  });

  it('truncated, grown, garbage, unlinked and replaced in a loop: only clear errors', async () => {
    const name = uniqueName('abuse');
    names.push(name);
    const child = await startChild('datablock-child-truncator.ts', [name, imagePath]);
    let ok = 0;
    let errors = 0;
    const messages = new Set<string>();
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      try {
        const reader = openDataBlock(name);
        try {
          reader.validate();
          reader.header();
          reader.consumers();
          reader.liveness();
          if (reader.report.geometry) {
            reader.latest({ verify: true });
            reader.recent(4, { verify: true });
            reader.slots({ verify: true });
            reader.flexZone();
            reader.verifyFlexZone();
          }
          ok++;
        } finally {
          reader.close();
        }
      } catch (err) {
        expect(err).toBeInstanceOf(DataBlockError);
        expect((err as Error).message).toContain(name);
        messages.add((err as Error).message.replace(/\d+/g, 'N'));
        errors++;
      }
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(ok + errors).toBeGreaterThan(50);
    expect(errors).toBeGreaterThan(0);
  });
});

describe('cleanup on signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s unlinks the segment and still ends the process by the signal',
    async (signal) => {
      const name = uniqueName('sig');
      names.push(name);
      const child = await startChild('datablock-child-signal.ts', [name]);
      expect(existsSync(`/dev/shm/${name}`)).toBe(true);
      child.kill(signal);
      const [code, sig] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      expect({ code, sig }).toEqual({ code: null, sig: signal });
      await waitFor(() => !existsSync(`/dev/shm/${name}`), 2000, 'segment to disappear');
    },
  );
});
