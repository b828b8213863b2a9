import { type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscoveryWatcher } from '../../main/discovery/watcher.js';
import { descriptorFileName } from '../../main/discovery/names.js';
import { STALE_MULTIPLE } from '../../main/discovery/liveness.js';
import { spawnNode } from '../support/processes.js';
import { useCleanups, sampleDescriptor, waitFor, writeAtomic } from './discovery-helpers.js';

const { cleanups, tempDir } = useCleanups();

async function watching(dir: string): Promise<DiscoveryWatcher> {
  const w = new DiscoveryWatcher({ dir, staleCheckMs: 50 });
  cleanups.push(() => w.close());
  await w.start();
  return w;
}

function startProducer(dir: string, channel: string, exitAfterMs?: number): Promise<ChildProcess> {
  const args = [
    join(import.meta.dirname, 'discovery-producer-child.ts'),
    dir,
    channel,
    ...(exitAfterMs ? [String(exitAfterMs)] : []),
  ];
  const child = spawnNode(['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`producer exited early (${code}): ${err}`)));
  });
}

describe('staleness', () => {
  it('a producer killed with SIGKILL leaves its file behind, shown as stale (dead pid), never deleted', async () => {
    const dir = tempDir('kill');
    const w = await watching(dir);
    const child = await startProducer(dir, 'victim');
    const live = await waitFor('live entry', () =>
      w.entries().find((e) => e.channel === 'victim' && e.status === 'live'),
    );
    expect(live.descriptor.pid).toBe(child.pid);
    expect(live.local).toBe(true);

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const stale = await waitFor('stale entry', () =>
      w.entries().find((e) => e.channel === 'victim' && e.status === 'stale'),
    );
    expect(stale.reason).toBe(`pid ${child.pid} is not running on this host`);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, descriptorFileName('victim')))).toBe(true);
  });

  it('SIGTERM (no exit handlers) leaves a stale file; a normal exit removes its own file', async () => {
    const dir = tempDir('clean');
    const w = await watching(dir);
    const child = await startProducer(dir, 'polite');
    await waitFor('entry', () => w.entries().find((e) => e.channel === 'polite'));
    child.kill('SIGTERM'); // default action: no exit handlers run...
    await new Promise((r) => child.once('exit', r));
    // ...so the file stays and is shown stale; a normal exit is covered by the exit hook below.
    await waitFor('stale after SIGTERM', () => w.entries().find((e) => e.status === 'stale'));
    const normal = await startProducer(dir, 'exiting', 500);
    const { existsSync } = await import('node:fs');
    const path = join(dir, descriptorFileName('exiting'));
    expect(existsSync(path)).toBe(true);
    const code = await new Promise((r) => normal.once('exit', r));
    expect(code).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('a writer on another host goes stale when its heartbeat stops, and live again when it resumes', async () => {
    const dir = tempDir('remote');
    const w = await watching(dir);
    const file = descriptorFileName('far');
    const interval = 200;
    const beat = () => {
      const now = new Date().toISOString();
      writeAtomic(
        dir,
        file,
        sampleDescriptor('far', {
          host: 'remote-lab-pc',
          heartbeatIntervalMs: interval,
          createdAt: now,
          updatedAt: now,
        }),
      );
    };
    beat();
    await waitFor('live remote entry', () => w.entries().find((e) => e.status === 'live'));
    const beats = setInterval(beat, interval / 2);
    cleanups.push(() => clearInterval(beats));
    await new Promise((r) => setTimeout(r, STALE_MULTIPLE * interval * 2)); // well past the limit, beating all along
    expect(w.entries()[0]?.status).toBe('live');
    clearInterval(beats);
    const stale = await waitFor('stale remote entry', () => w.entries().find((e) => e.status === 'stale'));
    expect(stale.reason).toMatch(/^no heartbeat from remote-lab-pc for .* \(limit 3 × 200 ms\)$/);
    beat();
    await waitFor('live again', () => w.entries().find((e) => e.status === 'live'));
  });
});
