// Global setup of each vitest project: the whole run gets a run id and its own
// temporary HOME, XDG_RUNTIME_DIR and HUBSCOPE_DISCOVERY_DIR (inherited by every
// worker and child), so no test can touch the user's ~/.hubscope or runtime dir.
// The teardown kills and removes whatever the run left, and fails naming it.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectLeftovers, takeSnapshot, type RunPlaces } from './leftovers.js';
import { RUN_DIR_ENV, RUN_ENV } from './run-marker.js';

const OVERRIDDEN = [
  'HOME',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'HUBSCOPE_DISCOVERY_DIR',
  'HUBSCOPE_BROKER',
  RUN_ENV,
  RUN_DIR_ENV,
];

/** Where the user's own discovery files are, as main/discovery/directory.ts chooses them. */
function userDiscoveryDirs(env: NodeJS.ProcessEnv): string[] {
  const dirs = [join(env.HOME ?? homedir(), '.hubscope')];
  if (env.XDG_RUNTIME_DIR) dirs.push(join(env.XDG_RUNTIME_DIR, 'hubscope'));
  if (env.HUBSCOPE_DISCOVERY_DIR) dirs.push(env.HUBSCOPE_DISCOVERY_DIR);
  return dirs;
}

export default function setup(): () => Promise<void> {
  const saved = Object.fromEntries(OVERRIDDEN.map((k) => [k, process.env[k]]));
  const id = randomBytes(4).toString('hex');
  const runDir = mkdtempSync(join(tmpdir(), `hubscope-test-run-${id}-`));
  const places: RunPlaces = { id, runDir, userDirs: userDiscoveryDirs(process.env) };
  const before = takeSnapshot(places);

  const home = join(runDir, 'home');
  const xdg = join(runDir, 'xdg');
  const discovery = join(runDir, 'discovery');
  for (const dir of [home, xdg, discovery]) mkdirSync(dir, { mode: 0o700 });
  process.env.HOME = home;
  process.env.XDG_RUNTIME_DIR = xdg;
  process.env.HUBSCOPE_DISCOVERY_DIR = discovery;
  delete process.env.HUBSCOPE_BROKER; // never the user's broker
  delete process.env.XDG_CONFIG_HOME; // CURVE keys go to the temporary HOME's .config, never the user's
  delete process.env.XDG_DATA_HOME; // the Record button's recordings go to the temporary HOME's .local/share
  process.env[RUN_ENV] = id;
  process.env[RUN_DIR_ENV] = runDir;

  return async () => {
    const { problems, notes } = await collectLeftovers(places, before);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(runDir, { recursive: true, force: true });
    for (const note of notes) console.warn(`[test leftovers] note: ${note}`);
    if (problems.length) {
      // vitest reports a teardown error but would still exit 0.
      process.exitCode = 1;
      throw new Error(
        `the test run left ${problems.length} thing(s) behind (now removed):\n  ${problems.join('\n  ')}`,
      );
    }
  };
}
