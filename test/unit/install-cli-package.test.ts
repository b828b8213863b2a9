// The npm package (`npm run pack:cli`) as a lab workstation gets it: packed from
// the built tree, installed with `npm install -g --prefix` with no compiler on
// PATH (only node and sh), and its `hubscope` run from there: version (through
// the bin link's shebang), broker, demo, ls, inspect, find against that broker,
// and serve answering the printed URL with the UI's index.html.
// Slow (pack + install): skipped, saying why, only when the npm registry is unreachable.
import { spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../support/browser.js';
import { ROOT, spawnNode, stopProcess } from '../support/processes.js';

const TOOLCHAIN = ['g++', 'gcc', 'c++', 'cc', 'make', 'python3', 'python', 'cmake'];

/** npm's own entry (npm-cli.js), so the install runs with a PATH that holds no npm. */
function npmCli(): string {
  if (process.env.npm_execpath?.endsWith('npm-cli.js')) return process.env.npm_execpath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'npm');
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error('npm was not found on PATH');
}

/** Why the test cannot run here (the registry is unreachable), or undefined. */
function registryUnreachable(): string | undefined {
  const ping = spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: 30_000 });
  if (ping.status === 0) return undefined;
  return `the npm registry is unreachable (npm ping: ${(ping.stderr || ping.error?.message || '').trim().split('\n').pop()})`;
}

/** The environment of an installed-package process: only node and sh on PATH, a temporary HOME. */
function bareEnv(bin: string, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // npm_* variables of an outer `npm test` (prefix, userconfig, ...) must not steer the install.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: bin, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...extra };
}

describe('npm pack in the checkout', () => {
  it('stops and names the script that makes the installable package', () => {
    // --dry-run: even if the guard were gone, nothing would be written.
    const pack = spawnSync('npm', ['pack', '--dry-run'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(pack.status).not.toBe(0);
    expect(pack.stderr).toContain('npm run pack:cli');
  });
});

const skipReason = registryUnreachable();
if (skipReason) console.warn(`install-cli-package: skipped because ${skipReason}`);

describe.skipIf(skipReason !== undefined)('the packed CLI package, installed without a compiler', () => {
  const work = mkdtempSync(join(tmpdir(), 'hubscope-install-'));
  const bin = join(work, 'bin');
  const home = join(work, 'home');
  const prefix = join(work, 'prefix');
  const discovery = join(work, 'discovery');
  const children: ChildProcess[] = [];
  const suffix = `i${process.pid}`;
  let hubscope = '';
  let installed = '';
  let packed = '';
  let servedUrl = '';
  let installInto: (into: string, tarball: string) => SpawnSyncReturns<string> = () => {
    throw new Error('not packed');
  };

  /** Starts the installed `hubscope ...args` and resolves with what `ready` matched on its stdout. */
  async function start(args: string[], ready: RegExp): Promise<RegExpMatchArray> {
    const child = spawnNode([hubscope, ...args], {
      cwd: work,
      env: bareEnv(bin, home),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = out.match(ready);
        if (m) resolve(m);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`hubscope ${args.join(' ')} exited with ${code}:\n${out}`)));
    });
  }

  /** Runs the installed `hubscope ...args` to its end. */
  function run(args: string[]) {
    return spawnSync(process.execPath, [hubscope, ...args], {
      cwd: work,
      env: bareEnv(bin, home),
      encoding: 'utf8',
      timeout: 30_000,
    });
  }

  beforeAll(() => {
    for (const dir of [bin, home, prefix, discovery]) mkdirSync(dir, { recursive: true });
    // The machine has only Node: no compiler, make or python (and no npm on PATH either).
    for (const tool of ['node', 'sh']) symlinkSync(tool === 'node' ? process.execPath : '/bin/sh', join(bin, tool));

    const pack = spawnSync(process.execPath, ['scripts/pack-cli.js', '--no-build', '--json', '--out', work], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(pack.status, `pack-cli failed:\n${pack.stderr}`).toBe(0);
    const { tarball } = JSON.parse(pack.stdout) as { tarball: string };

    // The user's npm cache (HOME is temporary in tests) keeps the install fast; the registry fills what it lacks.
    const cache = join(userInfo().homedir, '.npm');
    installInto = (into, file) =>
      spawnSync(
        process.execPath,
        [npmCli(), 'install', '--global', '--prefix', into, '--prefer-offline', '--no-audit', '--no-fund', file],
        { cwd: work, encoding: 'utf8', timeout: 300_000, env: bareEnv(bin, home, { npm_config_cache: cache }) },
      );
    packed = tarball;
    const install = installInto(prefix, tarball);
    expect(install.status, `npm install -g failed:\n${install.stdout}\n${install.stderr}`).toBe(0);
    hubscope = join(prefix, 'bin', 'hubscope');
    installed = join(prefix, 'lib', 'node_modules', 'hubscope');
  }, 600_000);

  afterAll(async () => {
    await Promise.all(children.reverse().map((c) => stopProcess(c)));
    rmSync(work, { recursive: true, force: true });
  });

  it('installed with no compiler on PATH, from the prebuilt addon, without building anything', () => {
    for (const tool of TOOLCHAIN) expect(existsSync(join(bin, tool)), tool).toBe(false);
    const prebuilds = join(installed, 'prebuilds', `${process.platform}-${process.arch}`);
    expect(readdirSync(prebuilds).some((f) => f.endsWith('.node'))).toBe(true);
    expect(existsSync(join(installed, 'build')), 'nothing was compiled at install').toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(manifest.bin).toEqual({ hubscope: 'bin/hubscope.js' });
    expect(manifest.scripts).toEqual({ install: 'node-gyp-build' }); // no prepare build, no bin-link script
    for (const built of ['dist/main/cli/index.js', 'dist/preload/electron-preload.cjs', 'dist/renderer/index.html'])
      expect(existsSync(join(installed, built)), built).toBe(true);
    for (const dev of ['electron', 'vite', 'typescript', 'node-gyp'])
      expect(existsSync(join(installed, 'node_modules', dev)), dev).toBe(false);
  });

  it('needs that prebuilt: without it the install tries to compile, and fails for want of a toolchain', () => {
    // The control that shows the PATH above really hides the compiler: the same
    // package without prebuilds/ falls back to node-gyp, which finds no python3/make/g++.
    const unpacked = join(work, 'no-prebuilds');
    mkdirSync(unpacked);
    expect(spawnSync('tar', ['xzf', packed, '-C', unpacked]).status).toBe(0);
    rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true });
    const tarball = join(work, 'no-prebuilds.tgz');
    expect(spawnSync('tar', ['czf', tarball, '-C', unpacked, 'package']).status).toBe(0);
    const install = installInto(join(work, 'prefix-no-prebuilds'), tarball);
    expect(install.status).not.toBe(0);
    expect(install.stderr).toMatch(/gyp ERR!/);
  });

  it('answers through its bin link (shebang resolved on the bare PATH)', () => {
    const result = spawnSync(hubscope, ['version'], { env: bareEnv(bin, home), encoding: 'utf8', timeout: 30_000 });
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(version);
  });

  it('runs broker, demo, ls, inspect and find against each other', async () => {
    const [endpoint] = await start(
      ['broker', '--endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', discovery],
      /tcp:\/\/127\.0\.0\.1:\d+/,
    );
    const [line] = await start(
      ['demo', '--only', 'counter', '--suffix', suffix, '--broker', endpoint!, '--discovery-dir', discovery, '--json'],
      /\{"pid".*\}\n/,
    );
    const demo = JSON.parse(line!) as { producers: Array<{ channel: string; shmName: string }> };
    const { channel, shmName } = demo.producers[0]!;

    const ls = run(['ls', '--json']);
    expect(ls.status, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ name: string }>).map((s) => s.name)).toContain(shmName);

    const inspect = run(['inspect', shmName, '--json']);
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain(channel);

    // The installed MessageHub client asks the installed broker, which has the demo's registration.
    const find = run(['find', channel, '--broker', endpoint!, '--discovery-dir', discovery, '--json']);
    expect(find.status, find.stderr).toBe(0);
    expect(JSON.parse(find.stdout)).toMatchObject({ channel, via: 'broker', shmName });
  });

  it('serves the UI at the URL it prints (the token in it), and not without the token', async () => {
    const [line] = await start(
      ['serve', '--port', '0', '--broker', 'off', '--discovery-dir', discovery, '--json'],
      /\{"url".*\}\n/,
    );
    const { url } = JSON.parse(line!) as { url: string };
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(readFileSync(join(installed, 'dist', 'renderer', 'index.html'), 'utf8'));
    const bare = new URL(url);
    bare.search = '';
    expect((await fetch(bare)).status).not.toBe(200);
    servedUrl = url;
  });

  it.runIf(existsSync(CHROMIUM))(
    'runs that UI in Chromium (the installed bundle mounts the app)',
    async () => {
      expect(servedUrl, 'serve started in the test above').not.toBe('');
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(err.message));
        await page.goto(servedUrl);
        await page.locator('#app > *').first().waitFor({ timeout: 20_000 });
        expect(await page.title()).toBe('HubScope');
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
