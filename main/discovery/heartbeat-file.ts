// A discovery file owned by this process: written atomically, rewritten on a
// heartbeat (new updatedAt), and removed on clean shutdown, but only while it is
// still ours (same `instance`), so we never delete a file another writer replaced.
import { readFileSync, unlinkSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

export interface HeartbeatContent {
  instance?: string;
  updatedAt: string;
  heartbeatIntervalMs: number;
}

export interface HeartbeatFileOptions {
  /** Called when a heartbeat write fails (the directory vanished, the disk is full...). */
  onError?: (err: Error) => void;
  /** Remove the file from a process 'exit' handler if still published (default true). */
  removeOnExit?: boolean;
}

/** Handles still published, removed synchronously when the process exits normally. */
const liveHandles = new Set<HeartbeatFile<HeartbeatContent>>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const h of liveHandles) h.removeSync();
  });
}

export class HeartbeatFile<T extends HeartbeatContent> {
  readonly path: string;
  /** Last heartbeat failure, cleared by the next successful write. */
  lastError: Error | undefined;
  private content: T;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private removed = false;

  constructor(
    readonly dir: string,
    readonly file: string,
    initial: T,
    private readonly validate: (content: T) => string | undefined,
    private readonly options: HeartbeatFileOptions = {},
  ) {
    this.path = join(dir, file);
    this.content = initial;
    this.check(initial);
    writeFileAtomicSync(dir, file, this.text());
    if (initial.heartbeatIntervalMs > 0) {
      this.timer = setInterval(() => void this.refresh(), initial.heartbeatIntervalMs);
      this.timer.unref(); // a heartbeat alone must not keep the process alive
    }
    if (options.removeOnExit !== false) {
      liveHandles.add(this as unknown as HeartbeatFile<HeartbeatContent>);
      installExitHook();
    }
  }

  get current(): T {
    return this.content;
  }

  get closed(): boolean {
    return this.removed;
  }

  /** Rewrites the file with a new updatedAt. Never rejects; failures go to lastError/onError. */
  refresh(): Promise<void> {
    return this.write((c) => c);
  }

  /** Applies a change (validated before anything is written) and rewrites the file. */
  update(change: (current: T) => T): Promise<void> {
    if (this.removed) return Promise.reject(new Error(`${this.path} was removed; it cannot be updated`));
    const next = change(this.content);
    this.check(next);
    return this.write(() => next, true);
  }

  /** Stops the heartbeat and deletes the file if it is still ours. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.stop();
    await this.chain;
    try {
      const onDisk = JSON.parse(await fsp.readFile(this.path, 'utf8')) as { instance?: unknown };
      if (onDisk.instance === this.content.instance) await fsp.unlink(this.path);
    } catch {
      /* gone already, or not ours / unreadable: leave it */
    }
  }

  /** Synchronous remove for process 'exit' handlers. */
  removeSync(): void {
    if (this.removed) return;
    this.stop();
    try {
      const onDisk = JSON.parse(readFileSync(this.path, 'utf8')) as { instance?: unknown };
      if (onDisk.instance === this.content.instance) unlinkSync(this.path);
    } catch {
      /* gone already, or not ours / unreadable: leave it */
    }
  }

  private stop(): void {
    this.removed = true;
    if (this.timer) clearInterval(this.timer);
    liveHandles.delete(this as unknown as HeartbeatFile<HeartbeatContent>);
  }

  private check(content: T): void {
    const reason = this.validate(content);
    if (reason) throw new Error(`${this.path}: ${reason}`);
  }

  private text(): string {
    return JSON.stringify(this.content, null, 2) + '\n';
  }

  /** Writes are chained so a later update can never be overtaken by an earlier heartbeat. */
  private write(change: (current: T) => T, rethrow = false): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.removed) return;
      this.content = { ...change(this.content), updatedAt: new Date().toISOString() };
      try {
        await writeFileAtomic(this.dir, this.file, this.text());
        this.lastError = undefined;
      } catch (err) {
        this.lastError = err as Error;
        this.options.onError?.(err as Error);
        if (rethrow) throw err;
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
