// Shared helpers for the datablock tests (not a test file itself).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { native } from '../../main/native/binding.js';
import type { ChannelSchema } from '../../main/datablock/schema.js';
import { createDataBlock } from '../../main/datablock/writer.js';
import { H } from '../../main/datablock/format.js';
import { runId } from '../support/run-marker.js';
import { SPEC_SLOT } from '../support/spec-fixtures.js';

export { TEST_VECTOR, testVectorNote, withoutTestVector } from '../support/shared-image.js';

/**
 * A shm name no other test (or parallel test file, or parallel test run) will use.
 * The run id in it lets the run's teardown find and remove what a failed test left.
 */
export function uniqueName(tag: string): string {
  return `hs-test-${runId()}-${tag}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Unlinks a shm name if it exists (cleanup after failures). */
export function unlinkQuietly(name: string): void {
  try {
    native().unlinkShm(`/${name.replace(/^\//, '')}`);
  } catch {
    // already gone
  }
}

/** The slot schema of the test vector (spec section 7). */
export const VECTOR_SCHEMA: ChannelSchema = {
  id: 'test.vector',
  version: 1,
  slot: SPEC_SLOT,
};

/** Polls `check` until it returns true or the deadline passes. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The bytes of a valid segment made by our writer, shaped like the C++ test vector
 * (ring of 4, stride 64, 4096-byte flexible zone, enforced checksums, 6 records),
 * for tests that need "some valid segment" rather than the C++ bytes themselves.
 * `deadProducer` puts a pid that cannot be running in the header (a stale leftover).
 */
export function writerImage(options: { deadProducer?: boolean } = {}): Buffer {
  const name = uniqueName('image');
  const writer = createDataBlock(name, {
    schema: VECTOR_SCHEMA,
    capacity: 4,
    policy: 'RingBuffer',
    syncPolicy: 'Latest_only',
    flexZoneSize: 4096,
    checksumPolicy: 'Enforced',
  });
  try {
    for (let n = 0; n < 6; n++) writer.write({ seq: BigInt(0x1000 + n), value: 1.5 * n, flags: 0xa0 + n });
    const image = readFileSync(`/dev/shm/${name}`);
    if (options.deadProducer) {
      // No heartbeat, and a pid above the kernel's pid_max limit, so no process has it.
      image.writeBigUInt64LE(0n, H.producerHeartbeatNs);
      image.writeBigUInt64LE(0x7ffffff0n, H.producerPid);
    }
    return image;
  } finally {
    writer.close();
    unlinkQuietly(name);
  }
}
