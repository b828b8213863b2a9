// Large discovery directories (issue 8): the watcher's work follows what
// changes, not how many files there are. Reads are counted through the
// watcher's reader hook (wrapping the real reader, on real files); sweeps and
// staleness checks through its activity counters. No timed assertions.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../main/cli/index.js';
import { descriptorFileName } from '../../main/discovery/names.js';
import { readDiscoveryFile } from '../../main/discovery/read-file.js';
import { DiscoveryWatcher, type DiscoveryWatcherOptions } from '../../main/discovery/watcher.js';
import { spawnNode } from '../support/processes.js';
import { sampleDescriptor, useCleanups, waitFor, writeAtomic } from './discovery-helpers.js';

const { cleanups, tempDir } = useCleanups();

const VALID = 40;
const BROKEN = 40;

/** VALID descriptors (half of them local, checked by pid) and BROKEN malformed files. */
function fillDir(dir: string): void {
  for (let i = 0; i < VALID; i++) {
    const local = i % 2 === 0;
    writeAtomic(
      dir,
      descriptorFileName(`ok.${i}`),
      sampleDescriptor(`ok.${i}`, local ? { host: 'this-host', pid: 777, heartbeatIntervalMs: 0 } : {}),
    );
  }
  for (let i = 0; i < BROKEN; i++) writeFileSync(join(dir, `bad.${i}.channel.json`), `{"broken": ${i}`);
}

async function countingWatcher(dir: string, options: DiscoveryWatcherOptions = {}) {
  const reads = new Map<string, number>();
  const pidChecks: number[] = [];
  const w = new DiscoveryWatcher({
    dir,
    staleCheckMs: 10,
    resyncIntervalMs: 15, // a full lstat sweep every 6 listings: 90 ms
    liveness: {
      localHost: 'this-host',
      pidAlive: (pid) => {
        pidChecks.push(pid);
        return true;
      },
    },
    readFile: (d, name, o) => {
      reads.set(name, (reads.get(name) ?? 0) + 1);
      return readDiscoveryFile(d, name, o);
    },
    ...options,
  });
  cleanups.push(() => w.close());
  await w.start();
  const total = () => [...reads.values()].reduce((a, b) => a + b, 0);
  return { w, reads, total, pidChecks };
}

/** Waits until the watcher has done at least this many more full sweeps and staleness checks. */
async function sweeps(w: DiscoveryWatcher, full: number, stale: number): Promise<void> {
  const a = w.activity();
  await waitFor(
    `${full} full sweeps and ${stale} staleness checks`,
    () => w.activity().fullSweeps >= a.fullSweeps + full && w.activity().staleChecks >= a.staleChecks + stale,
  );
}

describe('discovery watcher on a directory that does not change', () => {
  for (const mode of ['events', 'polling'] as const) {
    it(`${mode}: reads every file once at start, then none over several sweeps and staleness checks`, async () => {
      const dir = tempDir(`idle-${mode}`);
      fillDir(dir);
      const { w, reads, total } = await countingWatcher(dir, { mode, pollIntervalMs: 10 });
      expect(w.entries()).toHaveLength(VALID);
      expect(w.problems()).toHaveLength(BROKEN);
      expect(total()).toBe(VALID + BROKEN);
      expect([...reads.values()].every((n) => n === 1)).toBe(true);

      await sweeps(w, 3, 20);
      expect(total()).toBe(VALID + BROKEN); // malformed files included: not retried
      expect(w.activity().changes).toBe(1); // the initial load only
    });
  }

  it('re-reads a changed malformed file once (and only it), and still not the others', async () => {
    const dir = tempDir('bad-change');
    fillDir(dir);
    const { w, reads, total } = await countingWatcher(dir);
    writeAtomic(dir, 'bad.7.channel.json', '{"broken": "differently"');
    await waitFor('second read of bad.7', () => (reads.get('bad.7.channel.json') ?? 0) >= 2);
    await w.idle();
    await sweeps(w, 2, 10);
    expect(reads.get('bad.7.channel.json')).toBe(2);
    expect(total()).toBe(VALID + BROKEN + 1);
    expect(w.problems()).toHaveLength(BROKEN);
  });

  it('staleness checks cost one pid check per distinct local pid, and no read', async () => {
    const dir = tempDir('pids');
    fillDir(dir); // VALID / 2 local descriptors, all pid 777
    const { w, pidChecks, total } = await countingWatcher(dir);
    const before = pidChecks.length;
    const checksBefore = w.activity().staleChecks;
    await sweeps(w, 0, 10);
    const sweepsDone = w.activity().staleChecks - checksBefore;
    const extra = pidChecks.length - before;
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(sweepsDone + 1); // at most one per check (one may be in progress)
    expect(new Set(pidChecks)).toEqual(new Set([777]));
    expect(total()).toBe(VALID + BROKEN);
  });

  it('a stale local writer stays stale when its pid comes back (a reused pid is not its writer)', async () => {
    const dir = tempDir('reuse');
    let alive = true;
    const w = new DiscoveryWatcher({
      dir,
      staleCheckMs: 10,
      liveness: { localHost: 'this-host', pidAlive: () => alive },
    });
    cleanups.push(() => w.close());
    writeAtomic(
      dir,
      descriptorFileName('p'),
      sampleDescriptor('p', { host: 'this-host', pid: 55, heartbeatIntervalMs: 0 }),
    );
    await w.start();
    expect(w.entries()[0]?.status).toBe('live');
    alive = false;
    await waitFor('stale', () => w.entries()[0]?.status === 'stale');
    alive = true;
    await sweeps(w, 0, 5);
    expect(w.entries()[0]?.status).toBe('stale');
  });
});

describe('a process that only watches', () => {
  for (const mode of ['events', 'polling'] as const) {
    it(`${mode}: is kept alive by the watcher until close()`, async () => {
      const dir = tempDir(`alive-${mode}`);
      const child = spawnNode(['--import', 'tsx', join(import.meta.dirname, 'discovery-watch-child.ts'), dir, mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      let out = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await waitFor('child ready', () => out.includes('ready') || child.exitCode !== null, 20_000);
      writeAtomic(dir, descriptorFileName('alive'), sampleDescriptor('alive'));
      expect(await exited, err).toBe(0);
      expect(out.split('\n').filter(Boolean)).toEqual(['ready', 'seen']);
    });
  }
});

describe('discovery watcher under a burst of changes', () => {
  it('a burst of rewrites and repairs is read once per file and published in a few batches', async () => {
    const dir = tempDir('burst');
    fillDir(dir);
    const { w, reads } = await countingWatcher(dir, { resyncIntervalMs: 0 });
    const changes: number[] = [];
    w.on('change', (c) => changes.push(c.added.length + c.updated.length));
    const files: string[] = [];
    for (let i = 0; i < VALID; i++) files.push(descriptorFileName(`ok.${i}`));
    for (let i = 0; i < BROKEN; i++) files.push(`bad.${i}.channel.json`);
    for (const [k, file] of files.entries()) {
      const channel = file.replace(/\.channel\.json$/, '');
      writeAtomic(dir, file, sampleDescriptor(channel, { shmName: `/burst.${k}` }));
    }
    await waitFor(
      'every file rewritten in the model',
      () => w.entries().length === files.length && w.entries().every((e) => e.descriptor.shmName.startsWith('/burst.')),
    );
    expect(w.problems()).toEqual([]);
    // One event per file names it; a file is read once per batch it is named in, not once per event.
    expect(Math.max(...reads.values())).toBeLessThanOrEqual(3);
    expect(changes.length).toBeLessThan(files.length / 4);
  });
});

describe('malformed JSON reasons', () => {
  it('do not quote the contents of the file', async () => {
    const dir = tempDir('excerpt');
    writeFileSync(join(dir, 'leak.channel.json'), '{"token": hunter2-secret-value');
    const { w } = await countingWatcher(dir);
    const p = w.problems().find((x) => x.file === 'leak.channel.json');
    expect(p?.code).toBe('malformed-json');
    expect(p?.reason).toMatch(/^malformed JSON: /);
    expect(p?.reason).not.toMatch(/hunter2|secret/);
  });
});

describe('hubscope discovery on a directory it cannot use', () => {
  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      return { code: await runCli(args), out: out.join('\n'), err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('a missing directory, a file and an unreadable directory are errors naming the directory', async () => {
    const base = tempDir('cli-bad');
    const missing = join(base, 'nonexistent', 'dir');
    for (const args of [[], ['--json'], ['--watch']]) {
      const r = await run(['discovery', '--dir', missing, ...args]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`hubscope discovery: discovery directory ${missing} does not exist`);
      expect(r.out).toBe('');
    }
    writeFileSync(join(base, 'plain'), 'x');
    const file = await run(['discovery', '--dir', join(base, 'plain')]);
    expect(file.code).toBe(1);
    expect(file.err).toBe(`hubscope discovery: discovery directory ${join(base, 'plain')} is not a directory`);
    if (process.getuid?.() !== 0) {
      const locked = join(base, 'locked');
      mkdirSync(locked, { mode: 0o000 });
      cleanups.push(() => chmodSync(locked, 0o700));
      const r = await run(['discovery', '--dir', locked]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`hubscope discovery: discovery directory ${locked} is not readable (permission denied)`);
    }
  });

  it("describes the directory's filesystem from its own mount entry", async () => {
    const dir = tempDir('cli-mount');
    const r = await run(['discovery', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { mount: { fsType: string; mountPoint: string }; modeReason: string };
    const { mountVerdictFor } = await import('../../main/discovery/mounts.js');
    expect(doc.mount).toEqual(mountVerdictFor(dir));
    expect(doc.mount.fsType).not.toBe('unknown');
    expect(dir.startsWith(doc.mount.mountPoint)).toBe(true);
    expect(doc.modeReason).toContain(`local ${doc.mount.fsType} filesystem`);
  });
});
