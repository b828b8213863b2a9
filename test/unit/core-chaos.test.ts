// The app's services while a segment is truncated, grown, filled with garbage,
// unlinked and replaced in a loop by another process: every answer is a result or
// an error naming the segment, and the process (this test worker) never dies.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCore, type HubScopeCore } from '../../main/core/hubscope-core.js';
import { spawnNode, stopProcess } from '../support/processes.js';
import { uniqueName, unlinkQuietly, writerImage } from './datablock-helpers.js';

describe('core services under a segment that is abused while they read it', () => {
  const name = uniqueName('chaos');
  let core: HubScopeCore | undefined;
  let abuser: ChildProcess | undefined;
  const imageDir = mkdtempSync(join(tmpdir(), 'hubscope-chaos-'));
  const imagePath = join(imageDir, 'image.bin');
  writeFileSync(imagePath, writerImage());

  afterAll(async () => {
    if (abuser) await stopProcess(abuser, 2000); // SIGTERM: it removes its file
    await core?.close();
    unlinkQuietly(name);
    rmSync(imageDir, { recursive: true, force: true });
  });

  it('answers every request with a result or a clear error, and keeps running', async () => {
    core = await startCore({
      shell: 'browser',
      // Sample every 20 ms so the monitor's own reads race the abuser too.
      services: { broker: { mode: 'off' }, discovery: null, sampleIntervalMs: 20 },
    });
    abuser = spawnNode(['--import', 'tsx', 'test/unit/datablock-child-truncator.ts', name, imagePath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      abuser!.stdout!.once('data', () => resolve());
      abuser!.once('exit', (code) => reject(new Error(`truncator exited early (${code})`)));
    });

    let results = 0;
    const errors = new Map<string, number>();
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const response = await core.router.handle('datablock.inspect', { name, records: 4 });
      if (response.ok) results++;
      else {
        expect(['NOT_FOUND', 'UNAVAILABLE']).toContain(response.error.code);
        expect(response.error.message).toContain(name);
        errors.set(response.error.code, (errors.get(response.error.code) ?? 0) + 1);
      }
      await new Promise((r) => setImmediate(r));
    }
    // Both outcomes happen: the loop really raced a segment that was sometimes whole.
    expect(results).toBeGreaterThan(0);
    expect([...errors.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const info = await core.router.handle('app.info', null);
    expect(info.ok).toBe(true);
    expect(Array.isArray(core.bus.latest('datablocks'))).toBe(true);
  });
});
