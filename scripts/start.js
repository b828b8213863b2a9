// `npm start`: build what is stale, then open the desktop app when Electron's
// binary is installed and a display is available; otherwise start browser mode
// (`hubscope serve`) and say why. `--no-build` starts what is built as it is.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

const OWN_FLAGS = ['--browser', '--no-build'];
if (!process.argv.includes('--no-build')) buildIfStale();
// Built just above; shared with the Electron end-to-end test.
const { findElectronBinary, displayAvailable } = await import('../dist/main/electron-binary.js');
const args = process.argv.slice(2).filter((a) => a !== '--no-build');
const electron = findElectronBinary();
let child;
if (electron.path && displayAvailable() && !args.includes('--browser')) {
  child = spawn(electron.path, [root, ...args], { stdio: 'inherit' });
} else {
  const why = !electron.path
    ? electron.why
    : args.includes('--browser')
      ? '--browser was given'
      : 'no display is available (DISPLAY and WAYLAND_DISPLAY are unset)';
  console.log(`HubScope: starting in browser mode because ${why}.`);
  console.log('HubScope: open the URL below in a browser; press Ctrl-C to stop.');
  const serveArgs = args.filter((a) => !OWN_FLAGS.includes(a));
  child = spawn(process.execPath, [join(root, 'bin', 'hubscope.js'), 'serve', ...serveArgs], { stdio: 'inherit' });
}

// Stopping: Ctrl-C sends SIGINT to the whole process group (npm, this script and
// the child), and npm forwards it to this script once more. Pass one signal on
// (the only one the child gets when this script alone is sent SIGTERM); the child
// ignores repeats while it removes its files. Then end the way the child ended.
let forwarded = false;
const forward = (signal) => {
  if (forwarded || child.exitCode !== null || child.signalCode !== null) return;
  forwarded = true;
  child.kill(signal);
};
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 0);
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  process.kill(process.pid, signal);
});
