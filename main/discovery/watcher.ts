// Watches one discovery directory (depth 0) with chokidar and keeps a
// DiscoveryModel of it. File events are only hints: each one makes the file be
// read again (lstat + bounded read), so the model always reflects what is on
// disk, whatever order events arrive in. Three safety nets catch what events
// miss: a short re-check after each event (a write that raced the read, or an
// event chokidar throttled), a periodic full resync (readdir + lstat), and a
// staleness timer.
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import { basename, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { chooseDiscoveryDir, ensureDiscoveryDir } from './directory.js';
import { defaultLivenessEnv } from './host.js';
import { mapLimit, WorkQueue } from './limit.js';
import {
  DiscoveryModel,
  type BrokerFileEntry,
  type DiscoveryChange,
  type DiscoveryEntry,
  type DiscoveryProblem,
  type LivenessEnv,
} from './model.js';
import { mountVerdictFor, type MountVerdict } from './mounts.js';
import { classifyFileName } from './names.js';
import { readDiscoveryFile, sameSignature, signatureOf, DEFAULT_MAX_FILE_BYTES } from './read-file.js';

export type WatchMode = 'auto' | 'events' | 'polling';

export interface DiscoveryWatcherOptions {
  /** Directory to watch; default chooseDiscoveryDir() ($HUBSCOPE_DISCOVERY_DIR, XDG, home). */
  dir?: string;
  /** 'auto' (default): polling when the directory is on a network filesystem, else events. */
  mode?: WatchMode;
  /** Polling interval (default 1000 ms). */
  pollIntervalMs?: number;
  /** How often staleness is re-evaluated (default 1000 ms). */
  staleCheckMs?: number;
  /** How often the whole directory is re-listed to catch missed events (default 10 s; 0 = never). */
  resyncIntervalMs?: number;
  /** Files larger than this are reported, not read (default 256 KiB). */
  maxFileBytes?: number;
  /** Reads in flight at once (default 32). */
  concurrency?: number;
  /** Create the directory when missing (default true). */
  createDir?: boolean;
  /** Test hook: liveness facts (host name, boot id, pid check). */
  liveness?: Partial<LivenessEnv>;
}

export interface DiscoverySnapshot {
  dir: string;
  mode: 'events' | 'polling';
  modeReason: string;
  mount: MountVerdict;
  entries: DiscoveryEntry[];
  brokers: BrokerFileEntry[];
  problems: DiscoveryProblem[];
}

/** Delay of the re-check after an event: longer than chokidar's 5 ms change throttle. */
const RECHECK_MS = 40;

export class DiscoveryWatcher extends EventEmitter<{ change: [DiscoveryChange] }> {
  readonly dir: string;
  readonly mount: MountVerdict;
  private readonly options: Required<Omit<DiscoveryWatcherOptions, 'dir' | 'liveness' | 'mode'>> & { mode: WatchMode };
  private readonly perUserDir: boolean;
  private readonly model: DiscoveryModel;
  private readonly queue: WorkQueue;
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly readAgain = new Set<string>();
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private fsw: FSWatcher | undefined;
  private timers: NodeJS.Timeout[] = [];
  private flushPending = false;
  private started = false;
  private closed = false;
  private resyncing = false;
  private dirMissing = false;
  private currentMode: 'events' | 'polling' = 'events';
  private currentModeReason = '';

  constructor(options: DiscoveryWatcherOptions = {}) {
    super();
    const choice = chooseDiscoveryDir(options.dir);
    this.dir = resolve(choice.dir);
    this.perUserDir = choice.perUser;
    this.options = {
      mode: options.mode ?? 'auto',
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      staleCheckMs: options.staleCheckMs ?? 1000,
      resyncIntervalMs: options.resyncIntervalMs ?? 10_000,
      maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      concurrency: options.concurrency ?? 32,
      createDir: options.createDir ?? true,
    };
    this.mount = mountVerdictFor(this.dir);
    this.model = new DiscoveryModel({ ...defaultLivenessEnv(), ...options.liveness });
    this.queue = new WorkQueue(this.options.concurrency);
  }

  /** The directory's filesystem is a network one: polling is advised (and used in 'auto' mode). */
  get suggestPolling(): boolean {
    return this.mount.suggestPolling;
  }
  get mode(): 'events' | 'polling' {
    return this.currentMode;
  }
  get modeReason(): string {
    return this.currentModeReason;
  }

  entries(): DiscoveryEntry[] {
    return this.model.entries();
  }
  brokers(): BrokerFileEntry[] {
    return this.model.brokers();
  }
  problems(): DiscoveryProblem[] {
    return this.model.problems();
  }
  snapshot(): DiscoverySnapshot {
    return {
      dir: this.dir,
      mode: this.currentMode,
      modeReason: this.currentModeReason,
      mount: this.mount,
      entries: this.entries(),
      brokers: this.brokers(),
      problems: this.problems(),
    };
  }

  /** Starts watching; resolves once every file present at start has been read. */
  async start(): Promise<void> {
    if (this.started) throw new Error('DiscoveryWatcher.start() called twice');
    this.started = true;
    if (this.options.createDir) {
      try {
        ensureDiscoveryDir(this.dir, this.perUserDir);
      } catch (err) {
        this.directoryProblem(`cannot create the discovery directory: ${(err as Error).message}`);
      }
    }
    const { mode } = this.options;
    const polling = mode === 'polling' || (mode === 'auto' && this.mount.suggestPolling);
    this.currentModeReason =
      mode === 'auto'
        ? this.mount.reason
        : mode === 'polling'
          ? `polling every ${this.options.pollIntervalMs} ms (chosen by option)`
          : `file-change events (chosen by option)${this.mount.suggestPolling ? `; note: ${this.mount.reason.replace(', so polling is used', '')}` : ''}`;
    await this.startChokidar(polling);
    await this.resync();
    this.model.observing = true;
    this.every(this.options.staleCheckMs, () => {
      this.model.reassess(Date.now());
      this.scheduleFlush();
    });
    if (this.options.resyncIntervalMs > 0) this.every(this.options.resyncIntervalMs, () => void this.resync());
    this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.rechecks.values()) clearTimeout(t);
    this.rechecks.clear();
    await this.fsw?.close();
    await this.queue.idle();
  }

  /** Resolves when no read is queued or running (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private async startChokidar(polling: boolean): Promise<void> {
    await this.fsw?.close();
    this.currentMode = polling ? 'polling' : 'events';
    const fsw = watch(this.dir, {
      depth: 0,
      ignoreInitial: true, // the initial load is our own readdir (resync), after the watch is in place
      followSymlinks: false,
      usePolling: polling,
      interval: this.options.pollIntervalMs,
      binaryInterval: this.options.pollIntervalMs,
      atomic: false, // our writers rename atomically; chokidar's 100 ms unlink delay would only add latency
      ignorePermissionErrors: true, // unreadable files are reported by our reader, with a reason
      ignored: (path) => path !== this.dir && classifyFileName(basename(path)).kind === 'ignored',
    });
    this.fsw = fsw;
    const onPath = (path: string) => {
      if (path !== this.dir) this.hint(basename(path));
    };
    fsw
      .on('add', onPath)
      .on('change', onPath)
      .on('unlink', onPath)
      .on('addDir', onPath)
      .on('unlinkDir', (path) => {
        if (path === this.dir) void this.resync();
        else onPath(path);
      });
    // Raw inotify events name the file at once; chokidar's own add event for a
    // new file waits for it to re-list the directory. Both end in the same read.
    fsw.on('raw', (_event, evPath, details) => {
      if (this.currentMode !== 'events' || !evPath) return;
      const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
      if (watched === this.dir) this.hint(basename(evPath));
      else if (watched) this.hint(basename(watched));
    });
    fsw.on('error', (err) => this.onWatchError(err as NodeJS.ErrnoException));
    await new Promise<void>((resolveReady) => fsw.once('ready', resolveReady));
  }

  /** Out of inotify watches or file descriptors: fall back to polling instead of going blind. */
  private onWatchError(err: NodeJS.ErrnoException): void {
    if (this.closed) return;
    const limit = err.code === 'ENOSPC' || err.code === 'EMFILE' || err.code === 'ENFILE';
    if (limit && this.currentMode === 'events') {
      this.currentModeReason = `file-change events failed (${err.code}: ${err.message}); switched to polling every ${this.options.pollIntervalMs} ms`;
      this.model.setProblem({ file: '.', code: 'watcher', reason: this.currentModeReason, since: Date.now() });
      void this.startChokidar(true).catch((e: Error) => {
        // Never emit 'error' (it throws without a listener): it is a problem to show.
        this.model.setProblem({
          file: '.',
          code: 'watcher',
          reason: `cannot restart the watcher: ${e.message}`,
          since: Date.now(),
        });
        this.scheduleFlush();
      });
    } else if (!limit) {
      this.model.setProblem({ file: '.', code: 'watcher', reason: `watcher error: ${err.message}`, since: Date.now() });
    }
    this.scheduleFlush();
  }

  /** An event (or a resync) says this file may have changed: read it again. */
  private hint(name: string): void {
    if (this.closed || classifyFileName(name).kind === 'ignored') return;
    this.scheduleRead(name);
    const previous = this.rechecks.get(name);
    if (previous) clearTimeout(previous);
    this.rechecks.set(
      name,
      setTimeout(() => {
        this.rechecks.delete(name);
        void this.recheck(name);
      }, RECHECK_MS).unref(),
    );
  }

  private scheduleRead(name: string): void {
    if (this.closed) return;
    if (this.inFlight.has(name)) {
      this.readAgain.add(name);
      return;
    }
    if (this.queued.has(name)) return;
    this.queued.add(name);
    this.queue.push(async () => {
      this.queued.delete(name);
      this.inFlight.add(name);
      try {
        const outcome = await readDiscoveryFile(this.dir, name, { maxBytes: this.options.maxFileBytes });
        if (!this.closed) {
          this.model.apply(name, outcome, Date.now());
          this.scheduleFlush();
        }
      } finally {
        this.inFlight.delete(name);
        if (this.readAgain.delete(name)) this.scheduleRead(name);
      }
    });
  }

  /** Reads the file again only if what is on disk differs from what the model holds. */
  private async recheck(name: string): Promise<void> {
    if (this.closed || this.inFlight.has(name) || this.queued.has(name)) return;
    try {
      const st = await fsp.lstat(`${this.dir}/${name}`);
      if (!sameSignature(signatureOf(st), this.model.signatureOf(name)) || !this.model.has(name)) {
        this.scheduleRead(name);
      }
    } catch {
      if (this.model.has(name)) this.scheduleRead(name); // gone: the read will drop it
    }
  }

  /** Lists the directory and reads every file that is new, changed or gone. Also the initial load. */
  private async resync(): Promise<void> {
    if (this.resyncing || this.closed) return;
    this.resyncing = true;
    try {
      let names: string[];
      try {
        names = await fsp.readdir(this.dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        this.directoryProblem(
          code === 'ENOENT'
            ? `discovery directory ${this.dir} does not exist (waiting for it to appear)`
            : `cannot list discovery directory ${this.dir}: ${(err as Error).message}`,
        );
        this.model.clear();
        this.dirMissing = true;
        this.scheduleFlush();
        return;
      }
      if (this.dirMissing) {
        this.dirMissing = false;
        this.model.clearProblem('.');
        if (this.started && !this.closed) await this.startChokidar(this.currentMode === 'polling');
      }
      const onDisk = new Set(names.filter((n) => classifyFileName(n).kind !== 'ignored'));
      for (const known of this.model.fileNames()) if (!onDisk.has(known)) this.scheduleRead(known);
      await mapLimit([...onDisk], this.options.concurrency, async (name) => {
        const held = this.model.signatureOf(name);
        if (!held) return this.scheduleRead(name);
        try {
          if (!sameSignature(signatureOf(await fsp.lstat(`${this.dir}/${name}`)), held)) this.scheduleRead(name);
        } catch {
          this.scheduleRead(name);
        }
      });
      await this.queue.idle();
    } finally {
      this.resyncing = false;
    }
  }

  private directoryProblem(reason: string): void {
    this.model.setProblem({ file: '.', code: 'directory', reason, since: Date.now() });
  }

  /** Coalesces the changes of one turn of the event loop into one 'change' event. */
  private scheduleFlush(): void {
    // During the initial load nothing is emitted; start() emits it as one change.
    if (this.flushPending || !this.model.observing) return;
    this.flushPending = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushPending = false;
    if (this.closed) return;
    const change = this.model.takeChange();
    if (!change) return;
    try {
      this.emit('change', change);
    } catch (err) {
      // A throwing listener must not become an uncaught exception in the main process.
      const reason = `a 'change' listener threw: ${(err as Error).message}`;
      this.model.setProblem({ file: '.', code: 'watcher', reason, since: Date.now() });
    }
  }
}
