// Spawns a TypeScript fixture as a real child process and collects its stdout lines.
import { type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { spawnNode } from '../../support/processes.js';
import { waitFor } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

export class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';

  constructor(fixture: string, args: string[]) {
    this.proc = spawnNode(['--import', 'tsx', join(here, fixture), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
      if (this.stderr.length > 100_000) this.stderr = this.stderr.slice(-50_000);
    });
  }

  /** JSON lines (events) printed so far. */
  events(): Array<Record<string, unknown>> {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async waitForEvent(
    what: string,
    match: (e: Record<string, unknown>) => boolean,
    timeoutMs = 15_000,
  ): Promise<Record<string, unknown>> {
    return waitFor(`${what} (stderr: ${this.stderr.slice(-500)})`, () => this.events().find(match), timeoutMs);
  }

  async waitForLine(what: string, match: (l: string) => boolean, timeoutMs = 15_000): Promise<string> {
    return waitFor(`${what} (stderr: ${this.stderr.slice(-500)})`, () => this.lines.find(match), timeoutMs);
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill(signal);
    });
  }
}
