// Run by `npm install` in the checkout: links node_modules/.bin/hubscope to
// bin/hubscope.js, so `npx hubscope …` runs the checkout's CLI at once.
//
// Why not a "bin" entry in package.json: npm 7+ (libnpmexec) sees that the
// project's own package.json declares the bin `npx` was asked for and installs
// the checkout into ~/.npm/_npx as a linked dependency, which runs its install
// scripts in the checkout: the native addon and dist/ were rebuilt behind the
// user's back, for half a minute, while the app was running. npm never links a
// project's own bins into its own node_modules/.bin, so this script does.
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Installed as someone else's dependency: their npm links bins its own way.
if (root.split(sep).includes('node_modules')) process.exit(0);

const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'hubscope');
const target = relative(binDir, join(root, 'bin', 'hubscope.js'));

mkdirSync(binDir, { recursive: true });
let current = null;
try {
  current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : '';
} catch {
  // no link yet
}
if (current !== target) {
  if (current !== null) unlinkSync(link);
  symlinkSync(target, link);
}
