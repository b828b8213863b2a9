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
import { readDiscoveryFile, type ReadOptions } from './read-file.js';

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
  const files = names.filter((n) => classifyFileName(n).kind !== 'ignored').sort();
  const now = Date.now();
  // Each outcome goes into the model as soon as it is read: only parsed
  // descriptors and problem summaries are held, never all outcomes at once.
  await mapLimit(files, options.concurrency ?? 32, async (name) =>
    model.apply(name, await readDiscoveryFile(abs, name, options), now),
  );
  const byFile = <T extends { file: string }>(list: T[]) => list.sort((a, b) => (a.file < b.file ? -1 : 1));
  return {
    dir: abs,
    entries: byFile(model.entries()),
    brokers: byFile(model.brokers()),
    problems: byFile(model.problems()),
  };
}
