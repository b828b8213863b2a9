import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryWatcher, type DiscoveryWatcherOptions } from '../../main/discovery/watcher.js';
import { publishDescriptor } from '../../main/discovery/publish.js';
import { descriptorFileName } from '../../main/discovery/names.js';
import type { DiscoveryChange } from '../../main/discovery/model.js';
import { makeTempDir, removeDir, sampleDescriptor, sampleInput, waitFor, writeAtomic } from './discovery-helpers.js';
import { testChildEnv } from '../support/processes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function startWatcher(dir: string, options: DiscoveryWatcherOptions = {}): Promise<DiscoveryWatcher> {
  const w = new DiscoveryWatcher({ dir, ...options });
  cleanups.push(() => w.close());
  await w.start();
  return w;
}

function tempDir(label: string): string {
  const dir = makeTempDir(label);
  cleanups.push(() => removeDir(dir));
  return dir;
}

const channelsOf = (w: DiscoveryWatcher) =>
  w
    .entries()
    .map((e) => e.channel)
    .sort();

describe('DiscoveryWatcher (native events)', () => {
  it('sees add, change and remove of atomically written descriptors, with change events', async () => {
    const dir = tempDir('events');
    const w = await startWatcher(dir);
    expect(w.mode).toBe('events');
    const changes: DiscoveryChange[] = [];
    w.on('change', (c) => changes.push(c));

    const file = descriptorFileName('lab.a');
    writeAtomic(dir, file, sampleDescriptor('lab.a', { shmName: '/first' }));
    await waitFor('entry lab.a', () => w.entries().find((e) => e.channel === 'lab.a'));
    expect(changes.some((c) => c.added.some((e) => e.channel === 'lab.a'))).toBe(true);

    writeAtomic(dir, file, sampleDescriptor('lab.a', { shmName: '/second' }));
    await waitFor('shm name change', () => w.entries().find((e) => e.descriptor.shmName === '/second'));
    expect(changes.some((c) => c.updated.some((e) => e.descriptor.shmName === '/second'))).toBe(true);

    unlinkSync(join(dir, file));
    await waitFor('removal', () => w.entries().length === 0);
    expect(changes.some((c) => c.removed.includes(file))).toBe(true);
    expect(w.problems()).toEqual([]);
  });

  it('loads 1,000 descriptors present at start', async () => {
    const dir = tempDir('load');
    for (let i = 0; i < 1000; i++) writeAtomic(dir, descriptorFileName(`bulk.${i}`), sampleDescriptor(`bulk.${i}`));
    const w = await startWatcher(dir);
    expect(w.entries()).toHaveLength(1000);
    expect(new Set(w.entries().map((e) => e.channel)).size).toBe(1000);
    expect(w.problems()).toEqual([]);
  });

  it('ends consistent with the directory after churn of creates, rewrites and deletes while watching', async () => {
    const dir = tempDir('churn');
    const w = await startWatcher(dir, { resyncIntervalMs: 0 }); // events alone must get it right
    const alive = new Set<string>();
    for (let round = 0; round < 600; round++) {
      const channel = `churn.${round % 37}`;
      const file = descriptorFileName(channel);
      if (alive.has(channel) && round % 3 === 0) {
        unlinkSync(join(dir, file));
        alive.delete(channel);
      } else {
        writeAtomic(dir, file, sampleDescriptor(channel, { pid: 1000 + round }));
        alive.add(channel);
      }
      if (round % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    const expected = [...alive].sort();
    await waitFor('model equal to directory', () => JSON.stringify(channelsOf(w)) === JSON.stringify(expected));
    // and each entry holds the last content written
    const onDisk = readdirSync(dir).filter((n) => n.endsWith('.channel.json'));
    expect(onDisk.length).toBe(expected.length);
    await w.idle();
    for (const e of w.entries()) {
      const lastRound = [...Array(600).keys()].filter((r) => `churn.${r % 37}` === e.channel).pop() as number;
      // the last write of a surviving channel is its last round (a delete would have removed it)
      expect(e.descriptor.pid).toBe(1000 + lastRound);
    }
  });

  it('publisher: file appears, heartbeat refreshes updatedAt, update() changes it, remove() deletes only its own file', async () => {
    const dir = tempDir('publish');
    const w = await startWatcher(dir);
    const handle = publishDescriptor(dir, sampleInput('pub.a'), { heartbeatIntervalMs: 100 });
    cleanups.push(() => handle.remove());
    const first = await waitFor('published entry', () => w.entries().find((e) => e.channel === 'pub.a'));
    expect(first.status).toBe('live');
    expect(first.local).toBe(true);
    await waitFor('heartbeat', () => w.entries().find((e) => e.descriptor.updatedAt > first.descriptor.updatedAt));
    await handle.update({ shmName: '/pub.a.v2' });
    await waitFor('updated shm name', () => w.entries().find((e) => e.descriptor.shmName === '/pub.a.v2'));
    await handle.remove();
    await waitFor('removal', () => w.entries().length === 0);

    // A second writer replaced the file: remove() of the first must leave it alone.
    const a = publishDescriptor(dir, sampleInput('pub.b'), { heartbeatIntervalMs: 0 });
    const b = publishDescriptor(dir, sampleInput('pub.b'), { heartbeatIntervalMs: 0 }); // same pid: allowed
    cleanups.push(() => b.remove());
    await a.remove();
    expect(readdirSync(dir)).toContain(descriptorFileName('pub.b'));
    await b.remove();
    expect(readdirSync(dir)).not.toContain(descriptorFileName('pub.b'));
  });

  it('publisher refuses to take over a channel whose other writer may be alive', async () => {
    const dir = tempDir('owned');
    // a live writer on another host (fresh heartbeat)
    writeAtomic(dir, descriptorFileName('taken'), sampleDescriptor('taken'));
    expect(() => publishDescriptor(dir, sampleInput('taken'))).toThrow(
      /already published .* by pid 4242 on other-host.example/,
    );
    // a stale one (old heartbeat) is replaced
    const old = new Date(Date.now() - 60_000).toISOString();
    writeAtomic(dir, descriptorFileName('old'), sampleDescriptor('old', { createdAt: old, updatedAt: old }));
    const h = publishDescriptor(dir, sampleInput('old'), { heartbeatIntervalMs: 0 });
    cleanups.push(() => h.remove());
    expect(h.descriptor.pid).toBe(process.pid);
  });

  it('lists broker endpoint files separately', async () => {
    const dir = tempDir('brokers');
    const w = await startWatcher(dir);
    const { publishBrokerEndpoint } = await import('../../main/discovery/publish.js');
    const h = publishBrokerEndpoint(
      dir,
      { endpoint: 'tcp://127.0.0.1:5999', name: 'test-hub' },
      { heartbeatIntervalMs: 0 },
    );
    cleanups.push(() => h.remove());
    const b = await waitFor('broker file', () => w.brokers()[0]);
    expect(b.endpoint.endpoint).toBe('tcp://127.0.0.1:5999');
    expect(b.status).toBe('live');
    expect(w.entries()).toEqual([]);
    await h.remove();
    await waitFor('broker gone', () => w.brokers().length === 0);
  });

  it('the periodic resync finds files that no event announced', async () => {
    const dir = tempDir('resync');
    // Polling so slow that only the resync (every 100 ms) can notice the file.
    const w = await startWatcher(dir, { mode: 'polling', pollIntervalMs: 600_000, resyncIntervalMs: 100 });
    writeFileSync(join(dir, descriptorFileName('plain')), JSON.stringify(sampleDescriptor('plain')));
    await waitFor('plain write seen', () => w.entries().find((e) => e.channel === 'plain'));
    unlinkSync(join(dir, descriptorFileName('plain')));
    await waitFor('plain removal seen', () => w.entries().length === 0);
  });
});

describe('DiscoveryWatcher (polling)', () => {
  it('sees add, change and remove in polling mode', async () => {
    const dir = tempDir('poll');
    const w = await startWatcher(dir, { mode: 'polling', pollIntervalMs: 50, resyncIntervalMs: 0 });
    expect(w.mode).toBe('polling');
    expect(w.modeReason).toContain('polling every 50 ms');
    const file = descriptorFileName('poll.a');
    writeAtomic(dir, file, sampleDescriptor('poll.a'));
    await waitFor('add', () => w.entries().find((e) => e.channel === 'poll.a'));
    writeAtomic(dir, file, sampleDescriptor('poll.a', { pid: 999 }));
    await waitFor('change', () => w.entries().find((e) => e.descriptor.pid === 999));
    unlinkSync(join(dir, file));
    await waitFor('remove', () => w.entries().length === 0);
  });

  it('reports whether the directory is on a network filesystem', async () => {
    const dir = tempDir('mount');
    const w = await startWatcher(dir);
    expect(w.suggestPolling).toBe(false);
    expect(w.mount.fsType.length).toBeGreaterThan(0);
    expect(w.modeReason).toContain('local');
  });
});

// The kernel's inotify limits, lowered for real in a user namespace of our own
// (`unshare -Ur`; /proc/sys/user/* are per namespace), so nothing else on the
// machine is affected. Skipped where user namespaces are not allowed.
const UNSHARE = '/usr/bin/unshare';
const canLimitInotify =
  spawnSync(UNSHARE, ['-Ur', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches'], { stdio: 'ignore' }).status ===
  0;

/** Child: sets one inotify limit to 0 in its namespace, watches in events mode, reports, then waits for "after". */
const LIMITED_CHILD = `
import { writeFileSync } from 'node:fs';
const [watcherUrl, dir, limit] = process.argv.slice(1);
writeFileSync('/proc/sys/user/' + limit, '0');
const { DiscoveryWatcher } = await import(watcherUrl);
const w = new DiscoveryWatcher({ dir, mode: 'events', pollIntervalMs: 20, createDir: false });
await w.start();
console.log(JSON.stringify({ mode: w.mode, modeReason: w.modeReason, problems: w.problems(), entries: w.entries().length }));
w.on('change', () => {
  if (!w.entries().some((e) => e.channel === 'after')) return;
  console.log('seen');
  void w.close();
});
`;

describe('DiscoveryWatcher out of inotify resources', () => {
  for (const [limit, code] of [
    ['max_inotify_watches', 'ENOSPC'],
    ['max_inotify_instances', 'EMFILE'],
  ] as const) {
    it.skipIf(!canLimitInotify)(`${code} (${limit} reached): falls back to polling and says why`, async () => {
      const dir = tempDir(`limit-${code}`);
      writeAtomic(dir, descriptorFileName('before'), sampleDescriptor('before'));
      const watcherUrl = pathToFileURL(join(import.meta.dirname, '../../main/discovery/watcher.ts')).href;
      const child = spawn(
        UNSHARE,
        [
          '-Ur',
          process.execPath,
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          LIMITED_CHILD,
          watcherUrl,
          dir,
          limit,
        ],
        { env: testChildEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await waitFor('child report', () => out.includes('\n') || child.exitCode !== null, 20_000);
      const report = JSON.parse(out.split('\n')[0] ?? '') as {
        mode: string;
        modeReason: string;
        problems: { file: string; code: string; reason: string }[];
        entries: number;
      };
      expect(report.mode, err).toBe('polling');
      expect(report.modeReason).toMatch(
        new RegExp(`^file-change events failed \\(${code}: [^()]+\\); switched to polling every 20 ms$`),
      );
      expect(report.modeReason).not.toContain(`${code}: ${code}`);
      expect(report.problems).toEqual([
        expect.objectContaining({ file: '.', code: 'watcher', reason: report.modeReason }),
      ]);
      expect(report.entries).toBe(1);
      // and polling does see what is written afterwards
      writeAtomic(dir, descriptorFileName('after'), sampleDescriptor('after'));
      expect(await exited, err).toBe(0);
      expect(out.split('\n').filter(Boolean).at(-1)).toBe('seen');
    });
  }
});
