// The desktop shell end to end, with Playwright's Electron driver. Runs where an
// Electron binary is installed (a workstation with internet at npm install time)
// and is skipped, with the reason printed, where it is not.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../main/version.js';
import { ROOT } from '../support/processes.js';

function electronBinary(): { path: string } | { why: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { why: 'the electron package has no binary' };
  } catch {
    return { why: "Electron's binary is not installed (it could not be downloaded at npm install)" };
  }
}

const found = electronBinary();
const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const skipReason = 'why' in found ? found.why : display ? null : 'no display (DISPLAY/WAYLAND_DISPLAY unset)';
if (skipReason) console.log(`[e2e] Electron shell test skipped: ${skipReason}.`);

describe.skipIf(skipReason !== null)('desktop shell (Electron)', () => {
  it('opens a secure window whose renderer gets the version over IPC', async () => {
    const app = await electron.launch({ executablePath: 'path' in found ? found.path : '', args: [ROOT] });
    try {
      const window = await app.firstWindow();
      await window
        .getByTestId('status-version')
        .filter({ hasText: `v${VERSION}` })
        .waitFor();
      // contextIsolation + sandbox: the page sees the bridge but not Node.
      const exposure = await window.evaluate(() => ({
        bridge: typeof (window as unknown as { hubscopeBridge?: unknown }).hubscopeBridge,
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
      }));
      expect(exposure).toEqual({ bridge: 'object', require: 'undefined', process: 'undefined' });
    } finally {
      await app.close();
    }
  });
});
