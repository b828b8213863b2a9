// Every shell stops cleanly on SIGINT and SIGTERM, even when the signal arrives
// more than once (Ctrl-C on `npm start` reaches the serve process from the
// terminal and again through npm and scripts/start.js): it removes its files and
// ends by the signal. Real processes from the built CLI (`npm run build:main`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, stopProcess } from '../support/processes.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      // A whole group was started for start.js: stop its child too.
      if (child.spawnargs.includes('--no-build') && child.pid) process.kill(-child.pid, 'SIGKILL');
      await stopProcess(child);
    }
  }
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-signals-'));
  dirs.push(dir);
  return dir;
}

/** A TCP port nothing listens on right now (never the default 5570). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], env: NodeJS.ProcessEnv, options: { group?: boolean } = {}): Running {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group ?? false,
  });
  children.push(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

/** Waits (polling, bounded) until `ready()` holds; fails with the process output otherwise. */
async function until(ready: () => boolean, running: Running, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (running.child.exitCode !== null || running.child.signalCode !== null || Date.now() > deadline) {
      throw new Error(`${what} did not happen. Output:\n${running.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const brokerFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /^broker\..+\.json$/.test(f));

describe('shells stop cleanly on signals', () => {
  it('npm start in browser mode: Ctrl-C to the process group (and forwarded again) removes the endpoint file', async () => {
    const dir = tempDir();
    const port = await freePort();
    const app = start(
      ['scripts/start.js', '--browser', '--no-build', '--port', '0', '--broker-endpoint', `tcp://127.0.0.1:${port}`],
      { HUBSCOPE_DISCOVERY_DIR: dir },
      { group: true },
    );
    await until(() => /HubScope is serving at/.test(app.output()) && brokerFiles(dir).length === 1, app, 'serving');
    // What the terminal does on Ctrl-C, then npm forwarding it to start.js once more.
    process.kill(-(app.child.pid ?? 0), 'SIGINT');
    process.kill(app.child.pid ?? 0, 'SIGINT');
    expect(await app.exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(brokerFiles(dir)).toEqual([]);
  });

  it('SIGTERM to start.js alone stops its serve child, which removes the endpoint file', async () => {
    const dir = tempDir();
    const port = await freePort();
    const app = start(
      ['scripts/start.js', '--browser', '--no-build', '--port', '0', '--broker-endpoint', `tcp://127.0.0.1:${port}`],
      { HUBSCOPE_DISCOVERY_DIR: dir },
      { group: true },
    );
    await until(() => /HubScope is serving at/.test(app.output()) && brokerFiles(dir).length === 1, app, 'serving');
    app.child.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(brokerFiles(dir)).toEqual([]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`hubscope serve on a repeated ${signal} removes the endpoint file and ends by ${signal}`, async () => {
      const dir = tempDir();
      const port = await freePort();
      const serve = start([CLI, 'serve', '--port', '0', '--broker-endpoint', `tcp://127.0.0.1:${port}`], {
        HUBSCOPE_DISCOVERY_DIR: dir,
      });
      await until(
        () => /HubScope is serving at/.test(serve.output()) && brokerFiles(dir).length === 1,
        serve,
        'serving',
      );
      serve.child.kill(signal);
      serve.child.kill(signal);
      expect(await serve.exited).toEqual({ code: null, signal });
      expect(brokerFiles(dir)).toEqual([]);
    });

    it(`hubscope broker on a repeated ${signal} removes its endpoint file and ends by ${signal}`, async () => {
      const dir = tempDir();
      const broker = start([CLI, 'broker', '--endpoint', 'tcp://127.0.0.1:0', '--discovery-dir', dir], {});
      await until(() => brokerFiles(dir).length === 1, broker, 'endpoint file published');
      broker.child.kill(signal);
      broker.child.kill(signal);
      expect(await broker.exited).toEqual({ code: null, signal });
      expect(brokerFiles(dir)).toEqual([]);
    });
  }

  it('hubscope demo on a repeated SIGINT removes its descriptors and segment and ends by SIGINT', async () => {
    const dir = tempDir();
    const suffix = `.sig${process.pid}`;
    const demo = start(
      [CLI, 'demo', '--only', 'counter', '--suffix', suffix, '--broker', 'off', '--discovery-dir', dir],
      {},
    );
    const segment = `/dev/shm/lab.demo.counter${suffix}`;
    await until(() => /Press Ctrl-C/.test(demo.output()) && readdirSync(dir).length === 1, demo, 'demo writing');
    expect(existsSync(segment)).toBe(true);
    demo.child.kill('SIGINT');
    demo.child.kill('SIGINT');
    expect(await demo.exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(segment)).toBe(false);
  });
});
