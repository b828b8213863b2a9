// Starting real HubScope processes from tests, and always stopping them. Every
// child goes through spawnNode/spawnNodeSync/execNode here so that it dies with
// the test that started it, even when that test's worker is killed outright:
// - Linux parent-death signal (setpriv --pdeathsig) when setpriv is installed;
// - die-with-parent.mjs preloaded through NODE_OPTIONS (also into grandchildren);
// - the run marker in its environment, which the global teardown's reaper kills by.
import {
  execFile,
  spawn,
  spawnSync,
  type ChildProcess,
  type ExecFileException,
  type ExecFileOptions,
  type SpawnOptions,
  type SpawnSyncOptionsWithStringEncoding,
  type SpawnSyncReturns,
} from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RUN_ENV, recordRunPid, runId } from './run-marker.js';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const CLI = join(ROOT, 'bin', 'hubscope.js');
/** Preload that makes a process exit when its parent goes away. */
export const DIE_WITH_PARENT = join(ROOT, 'test', 'support', 'die-with-parent.mjs');

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = existsSync(SETPRIV);
const running = new Set<ChildProcess>();

// A worker that exits normally (or throws) takes its children along.
process.on('exit', () => killAllChildren());

/** The environment of a test child: this process's, plus `env`, plus the preload and the run marker. */
export function testChildEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const merged = { ...process.env, ...env };
  const preload = `--import=${pathToFileURL(DIE_WITH_PARENT).href}`;
  const options = merged.NODE_OPTIONS ?? '';
  return {
    ...merged,
    NODE_OPTIONS: options.includes(preload) ? options : `${options} ${preload}`.trim(),
    [RUN_ENV]: runId(),
  };
}

/** The file and argv that run `node ...args` under a parent-death signal where possible. */
function nodeCommand(args: string[]): [string, string[]] {
  return hasSetpriv ? [SETPRIV, ['--pdeathsig', 'TERM', '--', process.execPath, ...args]] : [process.execPath, args];
}

function track(child: ChildProcess): ChildProcess {
  recordRunPid(child.pid);
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

/** `spawn(process.execPath, args, options)` for a child that dies with this test process. */
export function spawnNode(args: string[], options: SpawnOptions = {}): ChildProcess {
  const [file, argv] = nodeCommand(args);
  return track(spawn(file, argv, { cwd: ROOT, ...options, env: testChildEnv(options.env) }));
}

/** `spawn(file, args, options)` of another program (e.g. python3), tracked and killed like spawnNode's children. */
export function spawnProgram(file: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, argv]: [string, string[]] = hasSetpriv
    ? [SETPRIV, ['--pdeathsig', 'TERM', '--', file, ...args]]
    : [file, args];
  return track(spawn(cmd, argv, { cwd: ROOT, ...options, env: testChildEnv(options.env) }));
}

/** `spawnSync(process.execPath, args, options)` with the same environment as spawnNode. */
export function spawnNodeSync(
  args: string[],
  options: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> = {},
): SpawnSyncReturns<string> {
  const [file, argv] = nodeCommand(args);
  return spawnSync(file, argv, { cwd: ROOT, ...options, encoding: 'utf8', env: testChildEnv(options.env) });
}

/** `execFile(process.execPath, args, options, callback)` with the same environment as spawnNode. */
export function execNode(
  args: string[],
  options: ExecFileOptions,
  callback: (error: ExecFileException | null, stdout: string, stderr: string) => void,
): ChildProcess {
  const [file, argv] = nodeCommand(args);
  return track(
    execFile(file, argv, { cwd: ROOT, ...options, encoding: 'utf8', env: testChildEnv(options.env) }, (e, o, s) =>
      callback(e, String(o), String(s)),
    ),
  );
}

/** SIGKILLs every child started here that is still running (end of a test file, worker exit). */
export function killAllChildren(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

export interface Started {
  child: ChildProcess;
  /** Everything printed so far on stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node bin/hubscope.js ...args` (the built CLI) and waits until `ready` matches its output. */
export async function startCli(
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
): Promise<Started & { match: RegExpMatchArray }> {
  const child = spawnNode([CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const started: Started = {
    child,
    output: () => text,
    stop: () => stopProcess(child),
  };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hubscope ${args.join(' ')} did not print ${ready} within ${timeoutMs} ms. Output:\n${text}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const m = text.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hubscope ${args.join(' ')} exited with ${code} before it was ready. Output:\n${text}`));
    });
  });
  return { ...started, match };
}

export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
