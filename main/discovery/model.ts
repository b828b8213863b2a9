// What is known about a discovery directory: valid channel descriptors, broker
// endpoint files and problems, keyed by file name. Fed with read outcomes;
// collects a diff of what changed since the last flush. No I/O here apart from
// the pid check handed in through the liveness context.
import type { ChannelSchema } from '../datablock/schema.js';
import type { BrokerEndpoint, ChannelDescriptor } from './format.js';
import {
  assessLiveness,
  verdictChangesAt,
  type Liveness,
  type LivenessContext,
  type LivenessVerdict,
  type WriterFacts,
} from './liveness.js';
import { sameSignature, type FileSignature, type ProblemCode, type ReadOutcome } from './read-file.js';

/** What the model knows of any heartbeating file it read (descriptor or broker endpoint). */
interface WatchedFile {
  file: string;
  status: Liveness;
  reason: string;
  /** The writer runs on this host (so its pid can be checked, and its segment should exist here). */
  local: boolean;
  signature: FileSignature;
  firstSeenAt: number;
  changeObservedAt?: number;
}

export interface DiscoveryEntry extends WatchedFile {
  channel: string;
  descriptor: ChannelDescriptor;
  schemaId?: string;
  schemaVersion?: number;
  /** Slot schema fingerprint (given in the file or computed from its inline schema). */
  fingerprint?: string;
  schema?: ChannelSchema;
}

export interface BrokerFileEntry extends WatchedFile {
  endpoint: BrokerEndpoint;
}

export interface DiscoveryProblem {
  /** File name in the directory ("." for the directory itself). */
  file: string;
  code: ProblemCode | 'directory' | 'watcher';
  reason: string;
  /** When this problem was first seen (ms since epoch). */
  since: number;
  signature?: FileSignature;
}

export interface DiscoveryChange {
  added: DiscoveryEntry[];
  updated: DiscoveryEntry[];
  /** File names of channel descriptors that are gone (or became invalid). */
  removed: string[];
  brokersChanged: boolean;
  problemsChanged: boolean;
}

export type LivenessEnv = Omit<LivenessContext, 'now' | 'firstSeenAt' | 'changeObservedAt'>;

type Existing = { signature?: FileSignature } | undefined;

export class DiscoveryModel {
  private readonly channels = new Map<string, DiscoveryEntry>();
  private readonly brokerFiles = new Map<string, BrokerFileEntry>();
  private readonly problemMap = new Map<string, DiscoveryProblem>();
  private added = new Set<string>();
  private updated = new Set<string>();
  private removed = new Set<string>();
  private brokersChanged = false;
  private problemsChanged = false;
  /** Per heartbeating file: when time alone can next change its verdict (see verdictChangesAt). */
  private readonly reassessAt = new Map<string, number>();
  /** After the initial load, a new file counts as an observed change (its writer is active now). */
  observing = false;

  constructor(private readonly env: LivenessEnv) {}

  entries(): DiscoveryEntry[] {
    return [...this.channels.values()];
  }
  brokers(): BrokerFileEntry[] {
    return [...this.brokerFiles.values()];
  }
  problems(): DiscoveryProblem[] {
    return [...this.problemMap.values()];
  }
  fileNames(): string[] {
    return [...new Set([...this.channels.keys(), ...this.brokerFiles.keys(), ...this.problemMap.keys()])].filter(
      (f) => f !== '.',
    );
  }
  /** Signature of what the model holds for this file, to tell whether a re-read is needed. */
  signatureOf(file: string): FileSignature | undefined {
    return (this.channels.get(file) ?? this.brokerFiles.get(file) ?? (this.problemMap.get(file) as Existing))
      ?.signature;
  }
  has(file: string): boolean {
    return this.channels.has(file) || this.brokerFiles.has(file) || this.problemMap.has(file);
  }

  /** Judges one file and notes when its verdict is next due for a re-assessment. */
  private verdict(
    file: string,
    w: WriterFacts,
    now: number,
    firstSeenAt: number,
    changeObservedAt?: number,
    pidAlive: (pid: number) => boolean = this.env.pidAlive,
  ): LivenessVerdict {
    const times = { now, firstSeenAt, ...(changeObservedAt !== undefined ? { changeObservedAt } : {}) };
    this.reassessAt.set(file, verdictChangesAt(w, times));
    return assessLiveness(w, { ...this.env, pidAlive, ...times });
  }

  /**
   * Whether a file needs judging again now: time made its verdict due, or its
   * writer is on this host, not yet stale, and its pid is gone. A stale local
   * writer stays stale until its file changes: a reused pid is not its writer.
   */
  private due(file: string, facts: WriterFacts, e: WatchedFile, now: number, alive: (pid: number) => boolean): boolean {
    if ((this.reassessAt.get(file) ?? 0) <= now) return true;
    return e.local && e.status !== 'stale' && !alive(facts.pid);
  }

  /**
   * When this reader saw the file change: now for a new version of a known
   * file, or for a file that appeared while watching; unknown for files found
   * by the initial load (they may have sat there for days).
   */
  private observedChange(prev: { changeObservedAt?: number } | undefined, now: number): number | undefined {
    return prev || this.observing ? now : undefined;
  }

  apply(file: string, outcome: ReadOutcome, now: number): void {
    if (outcome.kind === 'channel') {
      this.dropBroker(file);
      this.clearProblem(file);
      const prev = this.channels.get(file);
      if (prev && sameSignature(prev.signature, outcome.signature)) return; // same version of the file
      const firstSeenAt = prev?.firstSeenAt ?? now;
      const changeObservedAt = this.observedChange(prev, now);
      const { descriptor, schema, schemaId, schemaVersion, fingerprint } = outcome.valid;
      const v = this.verdict(file, descriptor, now, firstSeenAt, changeObservedAt);
      const entry: DiscoveryEntry = {
        file,
        channel: descriptor.channel,
        descriptor,
        ...(schemaId !== undefined ? { schemaId } : {}),
        ...(schemaVersion !== undefined ? { schemaVersion } : {}),
        ...(fingerprint !== undefined ? { fingerprint } : {}),
        ...(schema !== undefined ? { schema } : {}),
        status: v.status,
        reason: v.reason,
        local: v.local,
        signature: outcome.signature,
        firstSeenAt,
        ...(changeObservedAt !== undefined ? { changeObservedAt } : {}),
      };
      this.channels.set(file, entry);
      if (prev) {
        if (!this.added.has(file)) this.updated.add(file);
      } else if (this.removed.delete(file)) {
        this.updated.add(file); // removed and back within one batch: for listeners, it changed
      } else {
        this.added.add(file);
      }
      return;
    }
    if (outcome.kind === 'broker') {
      this.dropChannel(file);
      this.clearProblem(file);
      const prev = this.brokerFiles.get(file);
      if (prev && sameSignature(prev.signature, outcome.signature)) return;
      const firstSeenAt = prev?.firstSeenAt ?? now;
      const changeObservedAt = this.observedChange(prev, now);
      const v = this.verdict(file, outcome.endpoint, now, firstSeenAt, changeObservedAt);
      this.brokerFiles.set(file, {
        file,
        endpoint: outcome.endpoint,
        status: v.status,
        reason: v.reason,
        local: v.local,
        signature: outcome.signature,
        firstSeenAt,
        ...(changeObservedAt !== undefined ? { changeObservedAt } : {}),
      });
      this.brokersChanged = true;
      return;
    }
    this.dropChannel(file);
    this.dropBroker(file);
    if (outcome.kind === 'problem') {
      this.setProblem({
        file,
        code: outcome.code,
        reason: outcome.reason,
        since: now,
        ...(outcome.signature ? { signature: outcome.signature } : {}),
      });
    } else {
      this.clearProblem(file);
    }
  }

  setProblem(p: DiscoveryProblem): void {
    const prev = this.problemMap.get(p.file);
    if (prev && prev.code === p.code && prev.reason === p.reason) {
      if (p.signature) prev.signature = p.signature;
      return;
    }
    this.problemMap.set(p.file, prev ? { ...p, since: prev.since } : p);
    this.problemsChanged = true;
  }

  clearProblem(file: string): void {
    if (this.problemMap.delete(file)) this.problemsChanged = true;
  }

  /** Removes everything (the directory went away). */
  clear(): void {
    for (const f of [...this.channels.keys()]) this.dropChannel(f);
    for (const f of [...this.brokerFiles.keys()]) this.dropBroker(f);
    for (const f of [...this.problemMap.keys()]) if (f !== '.') this.clearProblem(f);
  }

  /**
   * Re-evaluates staleness of the files that are due (see due()): no file I/O,
   * one pid check per distinct local pid that is not yet stale. Only a change of
   * status counts as a change; reasons are those of the last judgement.
   */
  reassess(now: number): void {
    const checked = new Map<number, boolean>();
    const alive = (pid: number): boolean => {
      let a = checked.get(pid);
      if (a === undefined) checked.set(pid, (a = this.env.pidAlive(pid)));
      return a;
    };
    for (const [file, e] of this.channels) {
      if (!this.due(file, e.descriptor, e, now, alive)) continue;
      const v = this.verdict(file, e.descriptor, now, e.firstSeenAt, e.changeObservedAt, alive);
      if (v.status !== e.status) {
        this.channels.set(file, { ...e, status: v.status, reason: v.reason });
        if (!this.added.has(file)) this.updated.add(file);
      } else {
        e.reason = v.reason;
      }
    }
    for (const [file, b] of this.brokerFiles) {
      if (!this.due(file, b.endpoint, b, now, alive)) continue;
      const v = this.verdict(file, b.endpoint, now, b.firstSeenAt, b.changeObservedAt, alive);
      if (v.status !== b.status) {
        this.brokerFiles.set(file, { ...b, status: v.status, reason: v.reason });
        this.brokersChanged = true;
      } else {
        b.reason = v.reason;
      }
    }
  }

  /** Returns the accumulated change, or undefined when nothing changed, and starts a new one. */
  takeChange(): DiscoveryChange | undefined {
    if (!this.added.size && !this.updated.size && !this.removed.size && !this.brokersChanged && !this.problemsChanged) {
      return undefined;
    }
    const pick = (names: Set<string>) => [...names].flatMap((n) => this.channels.get(n) ?? []);
    const change: DiscoveryChange = {
      added: pick(this.added),
      updated: pick(this.updated),
      removed: [...this.removed],
      brokersChanged: this.brokersChanged,
      problemsChanged: this.problemsChanged,
    };
    this.added = new Set();
    this.updated = new Set();
    this.removed = new Set();
    this.brokersChanged = false;
    this.problemsChanged = false;
    return change;
  }

  private dropChannel(file: string): void {
    if (!this.channels.delete(file)) return;
    this.reassessAt.delete(file);
    if (this.added.delete(file)) return; // appeared and vanished within one batch
    this.updated.delete(file);
    this.removed.add(file);
  }

  private dropBroker(file: string): void {
    if (!this.brokerFiles.delete(file)) return;
    this.reassessAt.delete(file);
    this.brokersChanged = true;
  }
}
