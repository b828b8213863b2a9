// Finding a channel when the broker cannot answer: ask the MessageHub broker
// first; when it is unreachable (or does not know the channel), look for the
// channel's descriptor file, and say which way it was found.
import { join } from 'node:path';
import { scanDiscoveryDir, type ScanOptions } from './scan.js';
import { chooseDiscoveryDir } from './directory.js';
import type { DiscoveryEntry, LivenessEnv } from './model.js';
import { DiscoveryModel } from './model.js';
import { defaultLivenessEnv } from './host.js';
import { descriptorFileName } from './names.js';
import { readDiscoveryFile } from './read-file.js';

/** The one thing the fallback needs from the MessageHub client. */
export interface DiscoveryHub<T> {
  discover(channel: string, options: { timeoutMs: number }): Promise<T>;
  /** Broker endpoint, for the note ("broker at tcp://... unreachable"). */
  readonly endpoint?: string;
}

export type ResolvedChannel<T> =
  | { via: 'broker'; channel: string; info: T; note: string }
  | { via: 'files'; channel: string; entry: DiscoveryEntry; note: string; brokerError?: string };

export interface ResolveOptions<T> {
  hub?: DiscoveryHub<T>;
  /** Discovery directory (default chooseDiscoveryDir()). */
  dir?: string;
  timeoutMs?: number;
  maxFileBytes?: number;
  /** Test hook: liveness facts. */
  liveness?: Partial<LivenessEnv>;
}

/** Client error codes of the MessageHub client (main/protocol/error-codes.ts) and socket errnos meaning "no broker". */
const UNREACHABLE_CODES = new Set([
  'UNAVAILABLE',
  'TIMEOUT',
  'SHUTTING_DOWN',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
]);
/** The broker answered but does not have a live producer for the channel: files may still know it. */
const NOT_KNOWN_CODES = new Set(['NOT_FOUND', 'PENDING']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isBrokerUnreachable(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** Finds the channel's descriptor: by its file name first, else by scanning every file. */
export async function findChannelFile(
  channel: string,
  dir: string,
  options: ScanOptions = {},
): Promise<DiscoveryEntry | undefined> {
  const file = descriptorFileName(channel);
  const outcome = await readDiscoveryFile(dir, file, options);
  const model = new DiscoveryModel({ ...defaultLivenessEnv(), ...options.liveness });
  let candidates: DiscoveryEntry[];
  if (outcome.kind === 'channel') {
    model.apply(file, outcome, Date.now());
    candidates = model.entries();
  } else {
    candidates = (await scanDiscoveryDir(dir, options)).entries.filter((e) => e.channel === channel);
  }
  const rank = (e: DiscoveryEntry) => (e.status === 'live' ? 2 : e.status === 'unknown' ? 1 : 0);
  return candidates.sort((a, b) => rank(b) - rank(a))[0];
}

export async function resolveChannel<T>(channel: string, options: ResolveOptions<T> = {}): Promise<ResolvedChannel<T>> {
  const dir = options.dir ?? chooseDiscoveryDir().dir;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const scan: ScanOptions = {
    ...(options.maxFileBytes !== undefined ? { maxBytes: options.maxFileBytes } : {}),
    ...(options.liveness ? { liveness: options.liveness } : {}),
  };
  const where = options.hub?.endpoint ? `broker at ${options.hub.endpoint}` : 'the broker';
  let brokerError: unknown;
  let why: string;
  if (options.hub) {
    try {
      const info = await options.hub.discover(channel, { timeoutMs });
      return { via: 'broker', channel, info, note: `found through ${where}` };
    } catch (err) {
      const code = codeOf(err);
      if (!isBrokerUnreachable(err) && !(code && NOT_KNOWN_CODES.has(code))) throw err;
      brokerError = err;
      why = isBrokerUnreachable(err)
        ? `${where} unreachable (${code}: ${(err as Error).message})`
        : `${where} has no live producer for "${channel}" (${code})`;
    }
  } else {
    why = 'no broker configured';
  }
  const entry = await findChannelFile(channel, dir, scan);
  if (!entry) {
    const message = `channel "${channel}" not found: ${why}, and no descriptor file for it in ${dir}`;
    if (brokerError && !isBrokerUnreachable(brokerError)) throw brokerError;
    throw Object.assign(new Error(message), { code: 'NOT_FOUND' });
  }
  const state = entry.status === 'live' ? '' : ` (the descriptor is ${entry.status}: ${entry.reason})`;
  return {
    via: 'files',
    channel,
    entry,
    note: `${why}; found through discovery file ${join(dir, entry.file)}${state}`,
    ...(brokerError ? { brokerError: (brokerError as Error).message } : {}),
  };
}
