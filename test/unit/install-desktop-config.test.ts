// The desktop packages' configuration (electron-builder.yml): electron-builder's
// own schema validation, and a real `electron-builder --dir` layout. Electron's
// download is impossible here, so the layout is built around a stub Electron
// binary (`electronDist`): everything else — the asar archive, what is unpacked
// next to it, the extra resources — is electron-builder's own output. Then every
// path the packaged app resolves at run time is checked in that layout, the addon
// and zeromq loaded from it the way main/native/binding.ts and zeromq do, and the
// pylabhub memfd hand-over's worker thread started from it.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, spawnNodeSync } from '../support/processes.js';

const require = createRequire(import.meta.url);

interface BuilderConfig {
  linux?: Record<string, unknown>;
  deb?: { afterInstall?: string; afterRemove?: string };
  extraResources?: Array<{ from: string; to: string }>;
  [key: string]: unknown;
}
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const asar = require('@electron/asar') as {
  listPackage(archive: string, options?: object): string[];
  extractAll(archive: string, dest: string): void;
  extractFile(archive: string, file: string): Buffer;
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  main: string;
  optionalDependencies: Record<string, string>;
};

/** The Electron version the app is built for: the installed package's, else the one package.json asks for. */
function electronVersion(): string {
  const installed = join(ROOT, 'node_modules', 'electron', 'package.json');
  if (existsSync(installed)) return (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version;
  return pkg.optionalDependencies.electron!.replace(/^[\^~]/, '');
}

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own validation', async () => {
    const config = await getConfig(ROOT, 'electron-builder.yml', null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // The validator is real: a misspelt option fails it, named.
    const misspelt = { ...config, linux: { ...config.linux, desktopp: {} } };
    await expect(validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(/configuration\.linux/);
  });

  it('names only files that exist', async () => {
    const config = await getConfig(ROOT, 'electron-builder.yml', null);
    const named = [
      String(config.linux?.icon),
      config.deb!.afterInstall!,
      config.deb!.afterRemove!,
      ...config.extraResources!.map((r) => r.from),
    ];
    for (const file of named) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });
});

describe('the unpacked desktop layout (electron-builder --dir, stub Electron)', () => {
  const work = mkdtempSync(join(tmpdir(), 'hubscope-desktop-'));
  const resources = join(work, 'out', 'linux-unpacked', 'resources');
  const archive = join(resources, 'app.asar');
  let files: string[] = [];

  beforeAll(() => {
    const stub = join(work, 'electron-dist');
    mkdirSync(stub);
    writeFileSync(join(stub, 'electron'), '#!/bin/sh\necho "stub Electron: the layout test does not run it"\n');
    chmodSync(join(stub, 'electron'), 0o755);
    const cli = join(ROOT, 'node_modules', 'electron-builder', 'cli.js');
    const build = spawnNodeSync(
      [
        cli,
        '--dir',
        '--linux',
        `--${process.arch}`,
        '--config',
        'electron-builder.yml',
        `-c.electronDist=${stub}`,
        `-c.electronVersion=${electronVersion()}`,
        `-c.directories.output=${join(work, 'out')}`,
      ],
      { timeout: 240_000 },
    );
    expect(build.status, `electron-builder --dir failed:\n${build.stdout}\n${build.stderr}`).toBe(0);
    files = asar.listPackage(archive, { isPack: false });
  }, 300_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('packs the app’s main, preload, renderer, CLI and demo schemas, at the app’s version', () => {
    for (const p of [pkg.main, 'dist/preload/electron-preload.cjs', 'dist/renderer/index.html', 'bin/hubscope.js'])
      expect(files, p).toContain(`/${p}`);
    expect(files.some((f) => f.startsWith('/demo/schemas/') && f.endsWith('.json'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('/node_modules/electron/'))).toEqual([]);
    const packed = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as { version: string };
    expect(packed.version).toBe(pkg.version);
  });

  it('unpacks the native addon and zeromq’s binary next to the archive, and ships the CLI launcher', () => {
    expect(statSync(join(resources, 'app.asar.unpacked', 'build', 'Release', 'hubscope_native.node')).isFile()).toBe(
      true,
    );
    const zmqBuild = join(
      resources,
      'app.asar.unpacked',
      'node_modules',
      'zeromq',
      'build',
      process.platform,
      process.arch,
    );
    expect(existsSync(zmqBuild), zmqBuild).toBe(true);
    const launcher = join(resources, 'bin', 'hubscope');
    expect(statSync(launcher).mode & 0o111, 'resources/bin/hubscope is executable').not.toBe(0);
    expect(readFileSync(launcher, 'utf8')).toContain('ELECTRON_RUN_AS_NODE=1');
  });

  it('resolves the addon, zeromq, renderer and preload from that layout at run time', () => {
    // Node cannot read asar archives, so the archive is extracted to a folder with
    // the archive's name, next to the real app.asar.unpacked: every path keeps the
    // shape it has in the app. The extracted copy of the addon is emptied, so it
    // loads only if the loader redirects to app.asar.unpacked as it must in Electron.
    const sim = join(work, 'sim', 'resources');
    mkdirSync(sim, { recursive: true });
    asar.extractAll(archive, join(sim, 'app.asar'));
    cpSync(join(resources, 'app.asar.unpacked'), join(sim, 'app.asar.unpacked'), { recursive: true });
    writeFileSync(join(sim, 'app.asar', 'build', 'Release', 'hubscope_native.node'), '');
    const app = join(sim, 'app.asar');
    const script = `
      const app = ${JSON.stringify(app)};
      const { native } = await import(${JSON.stringify(pathToFileURL(join(app, 'dist/main/native/binding.js')).href)});
      const { packageRoot, rendererDist } = await import(${JSON.stringify(pathToFileURL(join(app, 'dist/main/paths.js')).href)});
      const { VERSION } = await import(${JSON.stringify(pathToFileURL(join(app, 'dist/main/version.js')).href)});
      const zmq = await import(${JSON.stringify(pathToFileURL(join(app, 'node_modules/zeromq/lib/index.js')).href)});
      const dealer = new zmq.Dealer();
      dealer.close();
      const { existsSync } = await import('node:fs');
      const { join } = await import('node:path');
      // The memfd hand-over runs in a worker thread whose script and imports (the addon
      // among them) must resolve from the archive too: a producer socket that hangs up at
      // once makes the worker start, load them and report the hang-up in words.
      const net = await import('node:net');
      const sock = join(${JSON.stringify(work)}, 'handover.sock');
      const server = net.createServer((c) => c.destroy());
      await new Promise((r) => server.listen(sock, r));
      const { receiveDataBlockFd } = await import(${JSON.stringify(pathToFileURL(join(app, 'dist/main/pylabhub/shm-handover.js')).href)});
      const consumer = zmq.curveKeyPair();
      let handover = 'a descriptor arrived';
      try {
        await receiveDataBlockFd(
          { channel: 'lab.sim', producerPublicKey: zmq.curveKeyPair().publicKey, endpoint: 'unix://' + sock },
          { uid: 'cons.hubscope.k00000000', publicKey: consumer.publicKey, secretKey: consumer.secretKey },
          { timeoutMs: 5000 },
        );
      } catch (err) {
        handover = String(err.kind) + ': ' + err.message;
      }
      server.close();
      console.log(JSON.stringify({
        handover,
        addon: native().version(),
        root: packageRoot(),
        version: VERSION,
        renderer: existsSync(join(rendererDist(), 'index.html')),
        preload: existsSync(join(packageRoot(), 'dist', 'preload', 'electron-preload.cjs')),
        zeromq: zmq.version,
      }));`;
    // A file, not --input-type=module -e: a worker thread inherits execArgv and refuses that flag.
    const scriptFile = join(work, 'run-from-layout.mjs');
    writeFileSync(scriptFile, script);
    const result = spawnNodeSync([scriptFile], { cwd: work, timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(seen).toMatchObject({ root: app, version: pkg.version, renderer: true, preload: true });
    expect(typeof seen.addon).toBe('string');
    expect(typeof seen.zeromq).toBe('string');
    expect(seen.handover).not.toMatch(/Cannot find|MODULE_NOT_FOUND|ERR_|worker/i);
    expect(seen.handover).toMatch(/^[a-z-]+: .*(closed|hung up|ended)/);
  });
});
