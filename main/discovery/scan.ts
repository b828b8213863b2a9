// One-shot read of a discovery directory, without watching: for the CLI and
// for the broker-down fallback, which need an answer now rather than a feed.
import { promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import { defaultLivenessEnv } from './host.js';
import { mapLimit } from './limit.js';
import {
  DiscoveryModel,
  type BrokerFileEntry,
  type DiscoveryEntry,
  type DiscoveryProblem,
  type LivenessEnv,
} from './model.js';
import { classifyFileName } from './names.js';
import { readDiscoveryFile, type ReadOptions, type ReadOutcome } from './read-file.js';

export interface ScanResult {
  dir: string;
  entries: DiscoveryEntry[];
  brokers: BrokerFileEntry[];
  problems: DiscoveryProblem[];
}

export interface ScanOptions extends ReadOptions {
  concurrency?: number;
  /** Test hook: liveness facts (host name, boot id, pid check). */
  liveness?: Partial<LivenessEnv>;
}

export async function scanDiscoveryDir(dir: string, options: ScanOptions = {}): Promise<ScanResult> {
  const abs = resolve(dir);
  const model = new DiscoveryModel({ ...defaultLivenessEnv(), ...options.liveness });
  let names: string[] = [];
  try {
    names = await fsp.readdir(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    model.setProblem({
      file: '.',
      code: 'directory',
      reason:
        code === 'ENOENT'
          ? `discovery directory ${abs} does not exist`
          : `cannot list discovery directory ${abs}: ${(err as Error).message}`,
      since: Date.now(),
    });
  }
  const files = names.filter((n) => classifyFileName(n).kind !== 'ignored');
  const outcomes = await mapLimit(files, options.concurrency ?? 32, (name) => readDiscoveryFile(abs, name, options));
  const now = Date.now();
  files.forEach((name, i) => model.apply(name, outcomes[i] as ReadOutcome, now));
  return { dir: abs, entries: model.entries(), brokers: model.brokers(), problems: model.problems() };
}
