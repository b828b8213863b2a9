// Shared helpers for the broker/hub tests (not a test file itself).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '../../../main/hub/hub-error.js';
import type { ProducerRegistrationInput } from '../../../main/hub/message-hub.js';
import type { SchemaDocumentT } from '../../../main/protocol/messages.js';
import { runId } from '../../support/run-marker.js';
import { SMALL_RING, SPEC_SLOT, SPEC_SLOT_FINGERPRINT } from '../../support/spec-fixtures.js';

/** Polls `probe` until it returns a truthy value; throws with `what` after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 10,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${runId()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** A fresh temp dir and a cleanup function. */
export function tempDir(prefix = 'hubscope-broker-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function ipcEndpoint(dir: string): string {
  return `ipc://${join(dir, 'b.sock')}`;
}

export const COUNTER_SCHEMA: SchemaDocumentT = {
  id: 'lab.demo.counter',
  version: 1,
  description: 'test schema',
  slot: SPEC_SLOT,
};
/** Spec section 6 example fingerprint of COUNTER_SCHEMA's slot. */
export const COUNTER_FINGERPRINT = SPEC_SLOT_FINGERPRINT;

export function producerInput(
  channel: string,
  extra: Partial<ProducerRegistrationInput> = {},
): ProducerRegistrationInput {
  return {
    channel,
    shmName: '/' + channel.replace(/\./g, '_'),
    config: SMALL_RING,
    producerName: 'test-producer',
    ...extra,
  };
}

/** How a request ended: 'resolved', or the HubError code it was rejected with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof HubError ? err.code : `not a HubError: ${String(err)}`;
  }
}
