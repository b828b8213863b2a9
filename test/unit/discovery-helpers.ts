// Shared helpers of the discovery tests: temp directories, sample descriptors,
// and waiting for a condition with a deadline (never a fixed sleep).
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { DescriptorInput } from '../../main/discovery/publish.js';
import { SPEC_SLOT } from '../support/spec-fixtures.js';
import { CHANNEL_DESCRIPTOR_FORMAT, type ChannelDescriptor } from '../../main/discovery/format.js';

export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `hubscope-disc-${label}-${process.pid}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function sampleInput(channel: string, extra: Partial<DescriptorInput> = {}): DescriptorInput {
  return {
    channel,
    shmName: `/${channel}`,
    producer: { name: 'test-producer', uid: 'uid-1' },
    schema: {
      definition: {
        id: channel,
        version: 1,
        slot: SPEC_SLOT,
      },
    },
    dataBlock: {
      policy: 'RingBuffer',
      syncPolicy: 'Latest_only',
      capacity: 4,
      pageSize: 4096,
      slotSize: 64,
      flexZoneSize: 4096,
      checksumPolicy: 'None',
    },
    ...extra,
  };
}

/** A complete descriptor as another writer (maybe on another host) would put it on disk. */
export function sampleDescriptor(channel: string, extra: Partial<ChannelDescriptor> = {}): ChannelDescriptor {
  const now = new Date().toISOString();
  return {
    format: CHANNEL_DESCRIPTOR_FORMAT,
    ...sampleInput(channel),
    host: 'other-host.example',
    pid: 4242,
    createdAt: now,
    updatedAt: now,
    heartbeatIntervalMs: 1000,
    ...extra,
  };
}

/** Writes like a well-behaved writer: temp file in the same directory, then rename. */
export function writeAtomic(dir: string, name: string, value: unknown): void {
  const temp = join(dir, `.${name}.${Math.random().toString(36).slice(2)}.tmp`);
  writeFileSync(temp, typeof value === 'string' ? value : JSON.stringify(value));
  renameSync(temp, join(dir, name));
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Per-test cleanup for the calling test file: functions pushed on `cleanups` run
 * (last first) after each test, and `tempDir` makes a directory removed the same way.
 */
export function useCleanups(): { cleanups: (() => Promise<void> | void)[]; tempDir(label: string): string } {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()?.();
  });
  return {
    cleanups,
    tempDir(label) {
      const dir = makeTempDir(label);
      cleanups.push(() => removeDir(dir));
      return dir;
    },
  };
}
