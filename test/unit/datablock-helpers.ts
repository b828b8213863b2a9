// Shared helpers for the datablock tests (not a test file itself).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { native } from '../../main/native/binding.js';
import type { ChannelSchema } from '../../main/datablock/schema.js';
import { ROOT } from '../support/processes.js';
import { SPEC_SLOT } from '../support/spec-fixtures.js';

/** The C++-made segment image; shared/ sits beside the checkout (CI lays it out the same way). */
export const TEST_VECTOR = join(ROOT, '..', 'shared', 'testdata', 'plhb', 'ring-cap4-stride64.bin');

/** A shm name no other test (or parallel test file) will use. */
export function uniqueName(tag: string): string {
  return `hs-test-${tag}-${process.pid}-${randomBytes(4).toString('hex')}`;
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
