// Where Electron's binary is, without loading the electron package: `npm start`
// uses it to choose between the desktop app and browser mode, and the Electron
// end-to-end test to decide whether it can run. The electron npm package records
// the binary's path (relative to its dist/) in path.txt once its download succeeded.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { path: string } | { why: string };

const EXECUTABLE: Record<string, string> = {
  darwin: 'Electron.app/Contents/MacOS/Electron',
  win32: 'electron.exe',
};

export function findElectronBinary(env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  // Electron's own override, also the way to use a binary copied in by hand on an offline machine.
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const binary = join(override, EXECUTABLE[process.platform] ?? 'electron');
    return existsSync(binary)
      ? { path: binary }
      : { why: `ELECTRON_OVERRIDE_DIST_PATH names ${binary}, which does not exist` };
  }
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { why: 'Electron is not installed (its binary download failed or was skipped during npm install)' };
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return { why: 'the electron package is installed but its binary was never downloaded (no path.txt)' };
  }
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary } : { why: `Electron's binary is missing at ${binary}` };
}

/** Whether a window can be shown: on Linux that needs X11 or Wayland. */
export function displayAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
