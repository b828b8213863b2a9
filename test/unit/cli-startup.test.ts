// `npx hubscope …` in the checkout runs the checkout's CLI at once: no install
// into npm's npx cache, and `--help`/`version` load no subcommand's dependencies.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  copyFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../main/cli/index.js';
import { CLI, ROOT } from '../support/processes.js';

const scratch = mkdtempSync(join(tmpdir(), 'hubscope-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

// A module-resolution hook that appends every module URL the CLI loads to a file.
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.HUBSCOPE_LOAD_LOG, result.url + '\\n');
  return result;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(
  `data:text/javascript,${encodeURIComponent(HOOKS)}`,
)});`;

async function modulesLoadedBy(args: string[]): Promise<{ out: string; modules: string[] }> {
  const log = join(scratch, `load-${args.join('_').replace(/\W/g, '')}.log`);
  const r = await run(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, CLI, ...args],
    {
      HUBSCOPE_LOAD_LOG: log,
    },
  );
  expect(r.code).toBe(0);
  return { out: r.stdout, modules: readFileSync(log, 'utf8').trim().split('\n') };
}

const HEAVY = /zeromq|\/ws\/|native\/binding|\/broker\/|\/discovery\//;

describe('hubscope startup', () => {
  it('answers --help and version without loading ZeroMQ, ws, the discovery watcher or the native addon', async () => {
    const help = await modulesLoadedBy(['--help']);
    expect(help.out).toContain('Usage: hubscope <command>');
    expect(help.modules.filter((m) => HEAVY.test(m))).toEqual([]);
    const version = await modulesLoadedBy(['version']);
    expect(version.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.modules.filter((m) => HEAVY.test(m))).toEqual([]);
    // The hook does see them when a subcommand needs them.
    const broker = await modulesLoadedBy(['broker', '--help']);
    expect(broker.modules.some((m) => m.includes('zeromq'))).toBe(true);
  });

  it('lists each subcommand with the summary its module gives', async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
    }
  });

  it('declares no "bin" in package.json, so npx does not install the checkout into its cache', () => {
    // npm 7+ installs a project that declares the bin npx was asked for into ~/.npm/_npx
    // (running its install scripts in the checkout); scripts/link-bin.js links it instead.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin?: unknown;
      scripts: Record<string, string>;
    };
    expect(pkg.bin).toBeUndefined();
    expect(pkg.scripts.postinstall).toBe('node scripts/link-bin.js');
  });

  it('links node_modules/.bin/hubscope to bin/hubscope.js at install, idempotently', async () => {
    const root = join(scratch, 'checkout');
    mkdirSync(join(root, 'scripts'), { recursive: true });
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync(join(ROOT, 'scripts', 'link-bin.js'), join(root, 'scripts', 'link-bin.js'));
    copyFileSync(join(ROOT, 'bin', 'hubscope.js'), join(root, 'bin', 'hubscope.js'));
    for (let i = 0; i < 2; i++) {
      const r = await run(process.execPath, [join(root, 'scripts', 'link-bin.js')]);
      expect(r.code).toBe(0);
    }
    const link = join(root, 'node_modules', '.bin', 'hubscope');
    expect(readlinkSync(link)).toBe(join('..', '..', 'bin', 'hubscope.js'));
    expect(resolve(join(root, 'node_modules', '.bin'), readlinkSync(link))).toBe(join(root, 'bin', 'hubscope.js'));
  });

  it('npx hubscope --help in the checkout runs the local CLI and leaves ~/.npm/_npx alone', async () => {
    expect(existsSync(join(ROOT, 'node_modules', '.bin', 'hubscope'))).toBe(true);
    const npxCache = join(homedir(), '.npm', '_npx');
    const before = existsSync(npxCache) ? readdirSync(npxCache).sort() : null;
    // yes=false: never install anything, even if the link were missing.
    const r = await run('npx', ['hubscope', '--help'], { npm_config_yes: 'false' }, join(ROOT, 'test'));
    expect(r.stdout).toContain('Usage: hubscope <command>');
    expect(r.code).toBe(0);
    expect(existsSync(npxCache) ? readdirSync(npxCache).sort() : null).toEqual(before);
  });
});
