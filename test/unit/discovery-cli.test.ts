import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../main/cli/index.js';
import { descriptorFileName } from '../../main/discovery/names.js';
import { makeTempDir, removeDir, sampleDescriptor, writeAtomic } from './discovery-helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await runCli(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('hubscope discovery', () => {
  it('lists channels and problems of a directory, as tables and as JSON', async () => {
    const dir = makeTempDir('cli');
    cleanups.push(() => removeDir(dir));
    writeAtomic(dir, descriptorFileName('lab.cli'), sampleDescriptor('lab.cli'));
    writeFileSync(join(dir, 'broken.channel.json'), '{');
    const text = await run(['discovery', '--dir', dir]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/lab\.cli\s+live\s+\/lab\.cli\s+other-host\.example:4242/);
    expect(text.out).toMatch(/broken\.channel\.json\s+malformed JSON/);
    const json = await run(['discovery', '--dir', dir, '--json']);
    const parsed = JSON.parse(json.out) as {
      entries: { channel: string }[];
      problems: { file: string }[];
      source: string;
    };
    expect(parsed.entries.map((e) => e.channel)).toEqual(['lab.cli']);
    expect(parsed.problems.map((p) => p.file)).toEqual(['broken.channel.json']);
    expect(parsed.source).toBe('option');
  });

  it('names a bad option', async () => {
    const r = await run(['discovery', '--poll', 'often']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--poll must be a whole number of milliseconds from 10 to 3600000, got "often"');
  });
});
