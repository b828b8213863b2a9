// Where HubScope's own files are, whether running from source (tsx, vitest)
// or from the compiled dist/ tree (CLI, Electron).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The folder holding HubScope's package.json. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'hubscope') return (cachedRoot = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('HubScope package.json not found above ' + import.meta.url);
    dir = parent;
  }
}

/** Built renderer (vite output) served by browser mode and loaded by Electron. */
export function rendererDist(): string {
  return join(packageRoot(), 'dist', 'renderer');
}
