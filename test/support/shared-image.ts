// The C++-made segment image (spec section 7) lives in the `shared/` checkout
// beside this one. A user's clone has no such sibling: the tests that compare
// against the C++ bytes then skip, saying which path is missing. CI has it and
// sets HUBSCOPE_REQUIRE_SHARED=1, so there a missing image fails instead.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

/** `shared/` beside the checkout, or $HUBSCOPE_SHARED_DIR (also how tests simulate its absence). */
export const SHARED_DIR = process.env.HUBSCOPE_SHARED_DIR ?? join(ROOT, '..', 'shared');

/** The C++-made segment image ring-cap4-stride64.bin. */
export const TEST_VECTOR = join(SHARED_DIR, 'testdata', 'plhb', 'ring-cap4-stride64.bin');

const present = existsSync(TEST_VECTOR);
const required = process.env.HUBSCOPE_REQUIRE_SHARED === '1';

/** Why the tests needing the C++ image are skipped, or null when they run. */
export const testVectorSkipReason: string | null = present ? null : `${TEST_VECTOR} is missing`;

/**
 * For `describe.skipIf(withoutTestVector())`: true (skip, printing why) when the
 * image is missing; throws, failing the test file, when the run requires it.
 */
export function withoutTestVector(): boolean {
  if (present) return false;
  if (required)
    throw new Error(
      `HUBSCOPE_REQUIRE_SHARED=1 but the C++ test vector ${TEST_VECTOR} is missing ` +
        `(check out shared/ beside the repository, or set HUBSCOPE_SHARED_DIR)`,
    );
  console.log(`[test] skipped: needs the C++ test vector, ${testVectorSkipReason}`);
  return true;
}

/** Suffix for the titles of those tests, so the skip shows in the report with its reason. */
export const testVectorNote = present ? '' : ` (skipped: ${testVectorSkipReason})`;
