// Follows the discovery directory for the UI: runs the DiscoveryWatcher and turns
// its snapshot into the contract's DiscoveryStatus.
import type { DiscoveryStatus } from '../../preload/contract.js';
import { ensureDiscoveryDir } from '../discovery/directory.js';
import type { DiscoveryEntry } from '../discovery/model.js';
import { DiscoveryWatcher } from '../discovery/watcher.js';
import type { ServiceOptions } from './options.js';

export const DISCOVERY_OFF: DiscoveryStatus = {
  dir: null,
  mode: 'off',
  pollIntervalMs: null,
  suggestPolling: null,
  entries: [],
  brokers: [],
  problems: [],
};

export class DiscoveryLink {
  private watcher: DiscoveryWatcher | undefined;
  private startError: string | null = null;
  /** status() of the watcher's last change: rebuilt once per change batch, never per call or tick. */
  private cachedStatus: DiscoveryStatus | undefined;

  constructor(
    private readonly choice: NonNullable<ServiceOptions['discovery']>,
    private readonly onChange: () => void,
  ) {}

  get dir(): string {
    return this.choice.dir;
  }

  /** Starts watching; a directory that cannot be used becomes a problem in the status, not a failure. */
  async start(): Promise<void> {
    try {
      ensureDiscoveryDir(this.choice.dir, this.choice.perUser);
      const watcher = new DiscoveryWatcher({
        dir: this.choice.dir,
        mode: this.choice.pollIntervalMs !== null ? 'polling' : 'auto',
        ...(this.choice.pollIntervalMs !== null ? { pollIntervalMs: this.choice.pollIntervalMs } : {}),
        createDir: false,
      });
      watcher.on('change', () => {
        this.cachedStatus = undefined;
        this.onChange();
      });
      await watcher.start();
      this.watcher = watcher;
    } catch (err) {
      this.startError = `Cannot watch discovery directory ${this.choice.dir}: ${(err as Error).message}`;
    }
    this.cachedStatus = undefined; // built during start(), before the watcher was set
    this.onChange();
  }

  entries(): DiscoveryEntry[] {
    return this.watcher?.entries() ?? [];
  }

  /** The contract's view of the directory; the same object until the watcher reports a change. */
  status(): DiscoveryStatus {
    this.cachedStatus ??= this.buildStatus();
    return this.cachedStatus;
  }

  private buildStatus(): DiscoveryStatus {
    const w = this.watcher;
    if (!w) {
      return {
        ...DISCOVERY_OFF,
        dir: this.choice.dir,
        problems: this.startError ? [{ file: '.', reason: this.startError }] : [],
      };
    }
    const snap = w.snapshot();
    return {
      dir: snap.dir,
      mode: snap.mode,
      pollIntervalMs: snap.mode === 'polling' ? (this.choice.pollIntervalMs ?? 1000) : null,
      suggestPolling: snap.mount.suggestPolling ? snap.mount.reason : null,
      entries: snap.entries.map((e) => ({
        file: e.file,
        channel: e.channel,
        shmName: e.descriptor.shmName,
        host: e.descriptor.host,
        pid: e.descriptor.pid,
        status: e.status,
        reason: e.reason,
        updatedAt: e.descriptor.updatedAt,
      })),
      brokers: snap.brokers.map((b) => ({
        file: b.file,
        endpoint: b.endpoint.endpoint,
        host: b.endpoint.host,
        pid: b.endpoint.pid,
        status: b.status,
      })),
      problems: snap.problems.map((p) => ({ file: p.file, reason: p.reason })),
    };
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
    this.cachedStatus = undefined;
  }
}
