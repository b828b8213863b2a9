// The desktop shell end to end, with Playwright's Electron driver. Runs where an
// Electron binary is installed (a workstation with internet at npm install time)
// and is skipped, with the reason printed, where it is not.
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { displayAvailable, findElectronBinary } from '../../main/electron-binary.js';
import { VERSION } from '../../main/version.js';
import { ROOT } from '../support/processes.js';

const found = findElectronBinary();
const skipReason =
  'why' in found ? found.why : displayAvailable() ? null : 'no display (DISPLAY/WAYLAND_DISPLAY unset)';
if (skipReason) console.log(`[e2e] Electron shell test skipped: ${skipReason}.`);

describe.skipIf(skipReason !== null)('desktop shell (Electron)', () => {
  it('opens a secure window whose renderer gets the version over IPC', async () => {
    const app = await electron.launch({ executablePath: 'path' in found ? found.path : '', args: [ROOT] });
    try {
      const window = await app.firstWindow();
      await window
        .getByTestId('status-version')
        .filter({ hasText: `v${VERSION} · desktop` })
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
