// `npm start`: build what is stale, then open the desktop app when Electron's
// binary is installed and a display is available; otherwise start browser mode
// (`hubscope serve`) and say why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['main', 'preload', 'renderer', 'package.json', 'vite.config.ts', 'tsconfig.json'];
const OUTPUTS = ['dist/main/cli/index.js', 'dist/preload/electron-preload.cjs', 'dist/renderer/index.html'];

function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function buildIfStale() {
  const out = OUTPUTS.map((p) => join(root, p));
  const oldestOutput = out.every(existsSync) ? Math.min(...out.map((p) => statSync(p).mtimeMs)) : 0;
  const newestSource = Math.max(...SOURCES.map((p) => newestMtime(join(root, p))));
  if (newestSource <= oldestOutput) return;
  console.log('HubScope: building…');
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Path of Electron's binary, or the reason there is none. */
function findElectron() {
  const require = createRequire(import.meta.url);
  try {
    const binary = require('electron');
    if (typeof binary === 'string' && existsSync(binary)) return { binary };
    return { why: 'the electron package is installed but its binary is missing' };
  } catch (err) {
    const text = String(err && err.message);
    if (text.includes('Cannot find module')) {
      return { why: "Electron's binary is not installed (its download failed or was skipped during npm install)" };
    }
    return { why: `Electron could not be loaded: ${text.split('\n')[0]}` };
  }
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

buildIfStale();
const args = process.argv.slice(2);
const electron = findElectron();
let child;
if (electron.binary && hasDisplay() && !args.includes('--browser')) {
  child = spawn(electron.binary, [root, ...args], { stdio: 'inherit' });
} else {
  const why = !electron.binary
    ? electron.why
    : args.includes('--browser')
      ? '--browser was given'
      : 'no display is available (DISPLAY and WAYLAND_DISPLAY are unset)';
  console.log(`HubScope: starting in browser mode because ${why}.`);
  console.log('HubScope: open the URL below in a browser; press Ctrl-C to stop.');
  const serveArgs = args.filter((a) => a !== '--browser');
  child = spawn(process.execPath, [join(root, 'bin', 'hubscope.js'), 'serve', ...serveArgs], { stdio: 'inherit' });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
