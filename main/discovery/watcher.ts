// Watches one discovery directory (depth 0) and keeps a DiscoveryModel of it.
// Its cost follows what changes, not how many files the directory holds:
//
// - Events: one fs.watch (inotify) on the directory itself, never one watch per
//   file. An event only names a file that may have changed; names are collected
//   in a set (many events for one file = one read) and read through a queue of
//   bounded concurrency. The model reflects what is on disk whatever order
//   events arrive in. Not chokidar: on Linux it adds one fs.watch per file
//   (10,001 inotify watches for 10,000 files, more than the 8,192 kernels
//   before 5.11 allow by default) and re-lists and lstats the whole directory
//   on each burst of directory events; measured in docs/discovery.md ("Why
//   not chokidar for large directories").
// - Polling (network filesystems): every pollIntervalMs one stat of the
//   directory (chokidar's usePolling would stat every file every interval);
//   only when it changed (a file was added, renamed over or removed) are the
//   names listed and each file lstat'ed. A file is read only when its
//   inode, size or mtime differ from the version the model holds, so a
//   malformed file is read again only when it changes.
// - Safety nets: a re-check of the files of a batch shortly after it (a write
//   racing the read), a periodic listing of the directory (only when the
//   directory changed; a full lstat sweep every FULL_SWEEP_EVERY listings) and
//   a switch to polling when the kernel runs out of inotify watches.
// - Staleness: a timer asks the model to re-assess, which costs one
//   process.kill(pid, 0) per distinct local pid still live and no file I/O.
// - Changes are published once per batch: when the read queue runs dry, or
//   every MAX_BATCH_MS during a long burst.
import { EventEmitter } from 'node:events';
import { statSync, watch, promises as fsp, type FSWatcher } from 'node:fs';
import { basename, resolve } from 'node:path';
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
import {
  readDiscoveryFile,
  sameSignature,
  signatureOf,
  DEFAULT_MAX_FILE_BYTES,
  type FileSignature,
  type ReadOptions,
  type ReadOutcome,
} from './read-file.js';

export type WatchMode = 'auto' | 'events' | 'polling';

/** Reads one file of the directory; the watcher's only way to read a file (tests count reads through it). */
export type DiscoveryFileReader = (dir: string, name: string, options: ReadOptions) => Promise<ReadOutcome>;

export interface DiscoveryWatcherOptions {
  /** Directory to watch; default chooseDiscoveryDir() ($HUBSCOPE_DISCOVERY_DIR, XDG, home). */
  dir?: string;
  /** 'auto' (default): polling when the directory is on a network filesystem, else events. */
  mode?: WatchMode;
  /** Polling interval (default 1000 ms). */
  pollIntervalMs?: number;
  /** How often staleness is re-evaluated (default 1000 ms). */
  staleCheckMs?: number;
  /** How often the directory is re-listed to catch missed events (default 10 s; 0 = never). */
  resyncIntervalMs?: number;
  /** Files larger than this are reported, not read (default 256 KiB). */
  maxFileBytes?: number;
  /** Reads in flight at once (default 32). */
  concurrency?: number;
  /** Create the directory when missing (default true). */
  createDir?: boolean;
  /** Test hook: liveness facts (host name, boot id, pid check). */
  liveness?: Partial<LivenessEnv>;
  /** Test hook: the file reader (default readDiscoveryFile), e.g. wrapped to count reads. */
  readFile?: DiscoveryFileReader;
}

/** What the watcher has done since it started: how its cost can be seen (diagnostics, tests). */
export interface WatcherActivity {
  /** Files read (opened and parsed). */
  reads: number;
  /** Directory listings (readdir). */
  listings: number;
  /** Listings that also lstat'ed every file. */
  fullSweeps: number;
  /** Staleness re-assessments (no file I/O). */
  staleChecks: number;
  /** 'change' events emitted. */
  changes: number;
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

/** Delay of the re-check after a batch of events (a write that raced its read). */
const RECHECK_MS = 40;
/** During a long burst, changes are still published at least this often. */
const MAX_BATCH_MS = 200;
/** Every this many periodic listings, every file is lstat'ed too (a change event lost in an overflow). */
const FULL_SWEEP_EVERY = 6;

type DirSignature = FileSignature & { ctimeMs: number };

export class DiscoveryWatcher extends EventEmitter<{ change: [DiscoveryChange] }> {
  readonly dir: string;
  private currentMount: MountVerdict;
  private readonly options: Required<Omit<DiscoveryWatcherOptions, 'dir' | 'liveness' | 'mode' | 'readFile'>> & {
    mode: WatchMode;
  };
  private readonly readFile: DiscoveryFileReader;
  private readonly perUserDir: boolean;
  private readonly model: DiscoveryModel;
  private readonly queue: WorkQueue;
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly readAgain = new Set<string>();
  /** Names announced by events since the last drain (one read per name, however many events). */
  private readonly hinted = new Set<string>();
  private drainPending = false;
  /** Names of the last batches, checked once more RECHECK_MS later. */
  private readonly recheckNames = new Set<string>();
  private recheckTimer: NodeJS.Timeout | undefined;
  private fsw: FSWatcher | undefined;
  private timers: NodeJS.Timeout[] = [];
  private flushPending = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private syncing = false;
  private dirMissing = false;
  /** The directory as it was at the last listing: unchanged means no file was added, replaced or removed. */
  private listedDir: DirSignature | undefined;
  private listings = 0;
  private currentMode: 'events' | 'polling' = 'events';
  private currentModeReason = '';
  private readonly counts: WatcherActivity = { reads: 0, listings: 0, fullSweeps: 0, staleChecks: 0, changes: 0 };

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
    this.readFile = options.readFile ?? readDiscoveryFile;
    this.currentMount = mountVerdictFor(this.dir);
    this.model = new DiscoveryModel({ ...defaultLivenessEnv(), ...options.liveness });
    this.queue = new WorkQueue(this.options.concurrency);
  }

  /** The filesystem holding the directory (from its own mount entry). */
  get mount(): MountVerdict {
    return this.currentMount;
  }
  /** The directory's filesystem is a network one: polling is advised (and used in 'auto' mode). */
  get suggestPolling(): boolean {
    return this.currentMount.suggestPolling;
  }
  get mode(): 'events' | 'polling' {
    return this.currentMode;
  }
  get modeReason(): string {
    return this.currentModeReason;
  }

  activity(): WatcherActivity {
    return { ...this.counts };
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
      mount: this.currentMount,
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
    this.currentMount = mountVerdictFor(this.dir); // the directory may exist only now
    const { mode } = this.options;
    const polling = mode === 'polling' || (mode === 'auto' && this.currentMount.suggestPolling);
    this.currentModeReason =
      mode === 'auto'
        ? this.currentMount.reason
        : mode === 'polling'
          ? `polling every ${this.options.pollIntervalMs} ms (chosen by option)`
          : `file-change events (chosen by option)${this.currentMount.suggestPolling ? `; note: ${this.currentMount.reason.replace(', so polling is used', '')}` : ''}`;
    this.setMode(polling ? 'polling' : 'events');
    await this.sync(true);
    this.model.observing = true;
    this.every(this.options.staleCheckMs, () => {
      this.counts.staleChecks++;
      this.model.reassess(Date.now());
      this.scheduleFlush();
    });
    if (this.options.resyncIntervalMs > 0) {
      this.every(this.options.resyncIntervalMs, () => {
        this.listings++;
        // Polling sees no in-place write without a lstat of each file; events miss one only on overflow.
        void this.sync(this.currentMode === 'polling' || this.listings % FULL_SWEEP_EVERY === 0);
      });
    }
    this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.recheckTimer);
    clearTimeout(this.flushTimer);
    this.fsw?.close();
    await this.queue.idle();
  }

  /** Resolves when no read is queued or running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.hinted.size || this.queue.size) {
      if (this.hinted.size) this.drainHints();
      await this.queue.idle();
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private pollTimer: NodeJS.Timeout | undefined;
  /** Inode of the directory the inotify watch is on. */
  private watchedIno: number | undefined;

  /** Events: one inotify watch on the directory. Polling: a timer that stats the directory. */
  private setMode(mode: 'events' | 'polling'): void {
    this.fsw?.close();
    this.fsw = undefined;
    this.watchedIno = undefined;
    if (this.pollTimer) {
      clearInterval(this.pollTimer);
      this.timers = this.timers.filter((t) => t !== this.pollTimer);
      this.pollTimer = undefined;
    }
    this.currentMode = mode;
    if (this.closed) return;
    if (mode === 'polling') {
      this.every(this.options.pollIntervalMs, () => void this.sync(false));
      this.pollTimer = this.timers.at(-1);
      this.pollTimer?.ref(); // like the inotify watch, polling keeps the process alive until close()
      return;
    }
    try {
      this.watchedIno = statSync(this.dir).ino;
      // Persistent, as a watch is expected to be: it keeps the process alive until close().
      const fsw = watch(this.dir, { persistent: true });
      const ownName = basename(this.dir);
      fsw.on('change', (event, name) => {
        if (name === null) return void this.sync(false); // the kernel did not say which file: list
        this.hint(String(name));
        // The directory itself renamed or removed: the listing says so (and watches again once it is back).
        if (event === 'rename' && String(name) === ownName) void this.sync(false);
      });
      fsw.on('error', (err) => this.onWatchError(err as NodeJS.ErrnoException));
      this.fsw = fsw;
    } catch (err) {
      this.onWatchError(err as NodeJS.ErrnoException);
    }
  }

  /** Out of inotify watches or file descriptors: fall back to polling instead of going blind. */
  private onWatchError(err: NodeJS.ErrnoException): void {
    if (this.closed) return;
    this.fsw?.close();
    this.fsw = undefined;
    this.watchedIno = undefined; // the next listing watches again (events mode)
    const limit = err.code === 'ENOSPC' || err.code === 'EMFILE' || err.code === 'ENFILE';
    if (limit && this.currentMode === 'events') {
      // Node's message already starts with the code ("ENOSPC: System limit for number of file watchers reached, …").
      const what = err.message.startsWith(`${err.code}:`) ? err.message : `${err.code}: ${err.message}`;
      this.currentModeReason = `file-change events failed (${what}); switched to polling every ${this.options.pollIntervalMs} ms`;
      this.model.setProblem({ file: '.', code: 'watcher', reason: this.currentModeReason, since: Date.now() });
      this.setMode('polling');
    } else if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      // The directory is missing: the listing reports it and watches again once it is back.
      this.dirMissing = true;
      if (this.model.observing) void this.sync(false);
    } else if (!limit) {
      this.model.setProblem({ file: '.', code: 'watcher', reason: `watcher error: ${err.message}`, since: Date.now() });
    }
    this.scheduleFlush();
  }

  /** An event says this file may have changed: read it again (once per batch, however many events). */
  private hint(name: string): void {
    if (this.closed || classifyFileName(name).kind === 'ignored') return;
    this.hinted.add(name);
    if (this.drainPending) return;
    this.drainPending = true;
    setImmediate(() => this.drainHints());
  }

  private drainHints(): void {
    this.drainPending = false;
    if (this.closed) return;
    for (const name of this.hinted) {
      this.scheduleRead(name);
      this.recheckNames.add(name);
    }
    this.hinted.clear();
    if (!this.recheckTimer && this.recheckNames.size) {
      this.recheckTimer = setTimeout(() => void this.recheck(), RECHECK_MS);
      this.recheckTimer.unref();
    }
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
        this.counts.reads++;
        const outcome = await this.readFile(this.dir, name, { maxBytes: this.options.maxFileBytes });
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

  /** Reads again only the files of the last batches whose version on disk differs from the model's. */
  private async recheck(): Promise<void> {
    this.recheckTimer = undefined;
    const names = [...this.recheckNames];
    this.recheckNames.clear();
    await mapLimit(names, this.options.concurrency, (name) => this.readIfChanged(name));
  }

  /** One lstat: reads the file when it is new to the model, changed, or gone. */
  private async readIfChanged(name: string): Promise<void> {
    if (this.closed || this.inFlight.has(name) || this.queued.has(name)) return;
    try {
      const st = await fsp.lstat(`${this.dir}/${name}`);
      if (!sameSignature(signatureOf(st), this.model.signatureOf(name))) this.scheduleRead(name);
    } catch {
      if (this.model.has(name)) this.scheduleRead(name); // gone: the read will drop it
    }
  }

  /**
   * Lists the directory when it changed since the last listing (always when
   * `full`), reads new files, drops files that are gone; with `full`, every
   * listed file is lstat'ed and read when its version differs. Also the initial load.
   */
  private async sync(full: boolean): Promise<void> {
    if (this.syncing || this.closed) return;
    this.syncing = true;
    try {
      let dirSig: DirSignature;
      try {
        const st = await fsp.stat(this.dir);
        if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
        dirSig = { ...signatureOf(st), ctimeMs: st.ctimeMs };
      } catch (err) {
        return this.directoryGone(err as NodeJS.ErrnoException);
      }
      const unchanged =
        this.listedDir && sameSignature(dirSig, this.listedDir) && dirSig.ctimeMs === this.listedDir.ctimeMs;
      if (unchanged && !full && !this.dirMissing) return;
      let names: string[];
      try {
        names = await fsp.readdir(this.dir);
      } catch (err) {
        return this.directoryGone(err as NodeJS.ErrnoException);
      }
      this.listedDir = dirSig;
      this.counts.listings++;
      if (full) this.counts.fullSweeps++;
      if (this.dirMissing) {
        this.dirMissing = false;
        this.currentMount = mountVerdictFor(this.dir); // a new directory may be on another filesystem
        this.model.clearProblem('.');
        this.scheduleFlush();
      }
      // Removed and made again (maybe between two listings): the old watch sees nothing any more.
      if (this.currentMode === 'events' && dirSig.ino !== this.watchedIno) this.setMode('events');
      const onDisk = new Set<string>();
      for (const n of names) if (classifyFileName(n).kind !== 'ignored') onDisk.add(n);
      for (const known of this.model.fileNames()) if (!onDisk.has(known)) this.scheduleRead(known);
      // New names are read first; in polling mode (no events) or a full sweep, known names are lstat'ed.
      const known: string[] = [];
      const lstatKnown = full || this.currentMode === 'polling';
      for (const name of onDisk) {
        if (!this.model.has(name)) this.scheduleRead(name);
        else if (lstatKnown) known.push(name);
      }
      await mapLimit(known, this.options.concurrency, (name) => this.readIfChanged(name));
      await this.queue.idle();
    } finally {
      this.syncing = false;
    }
  }

  private directoryGone(err: NodeJS.ErrnoException): void {
    this.directoryProblem(
      err.code === 'ENOENT'
        ? `discovery directory ${this.dir} does not exist (waiting for it to appear)`
        : err.code === 'ENOTDIR'
          ? `discovery directory ${this.dir} is not a directory`
          : `cannot list discovery directory ${this.dir}: ${err.message}`,
    );
    this.model.clear();
    this.dirMissing = true;
    this.listedDir = undefined;
    this.scheduleFlush();
  }

  private directoryProblem(reason: string): void {
    this.model.setProblem({ file: '.', code: 'directory', reason, since: Date.now() });
  }

  /**
   * Publishes what changed once per batch: when the reads in flight are done,
   * or after MAX_BATCH_MS during a burst that keeps the queue busy.
   */
  private scheduleFlush(): void {
    // During the initial load nothing is emitted; start() emits it as one change.
    if (this.flushPending || !this.model.observing || this.closed) return;
    this.flushPending = true;
    this.flushTimer = setTimeout(() => this.flush(), MAX_BATCH_MS);
    this.flushTimer.unref();
    setImmediate(() => {
      if (this.queue.size === 0 && this.hinted.size === 0) this.flush();
      else void this.idle().then(() => this.flush());
    });
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushPending = false;
    if (this.closed) return;
    const change = this.model.takeChange();
    if (!change) return;
    this.counts.changes++;
    try {
      this.emit('change', change);
    } catch (err) {
      // A throwing listener must not become an uncaught exception in the main process.
      const reason = `a 'change' listener threw: ${(err as Error).message}`;
      this.model.setProblem({ file: '.', code: 'watcher', reason, since: Date.now() });
    }
  }
}
