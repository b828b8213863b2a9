// `hubscope discovery`: what the discovery directory holds (channels, brokers,
// problems), once or continuously with --watch.
import { UsageError, type CliCommand } from '../shared/command-line.js';
import { resolve } from 'node:path';
import { checkDiscoveryDir, chooseDiscoveryDir } from './directory.js';
import type { BrokerFileEntry, DiscoveryEntry, DiscoveryProblem } from './model.js';
import { mountVerdictFor } from './mounts.js';
import { scanDiscoveryDir } from './scan.js';
import { DiscoveryWatcher, type WatchMode } from './watcher.js';

const USAGE = `Usage: hubscope discovery [--dir DIR] [--watch] [--poll MS | --events] [--json]

Lists the channel descriptors, broker endpoint files and problems of the
discovery directory (docs/discovery.md).

  --dir DIR    discovery directory (default: $HUBSCOPE_DISCOVERY_DIR, else
               $XDG_RUNTIME_DIR/hubscope/discovery, else ~/.hubscope/discovery)
  --watch      keep watching and print every change (Ctrl-C to stop)
  --poll MS    poll every MS milliseconds (network filesystems)
  --events     use file-change events even on a network filesystem
  --json       print JSON instead of tables`;

interface Args {
  dir?: string;
  watch: boolean;
  json: boolean;
  mode: WatchMode;
  pollIntervalMs?: number;
}

function parseArgs(args: string[]): Args {
  const out: Args = { watch: false, json: false, mode: 'auto' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--dir') out.dir = value();
    else if (a === '--watch') out.watch = true;
    else if (a === '--json') out.json = true;
    else if (a === '--events') out.mode = 'events';
    else if (a === '--poll') {
      const ms = Number(value());
      if (!Number.isInteger(ms) || ms < 10 || ms > 3_600_000) {
        throw new UsageError(`--poll must be a whole number of milliseconds from 10 to 3600000, got "${args[i]}"`);
      }
      out.mode = 'polling';
      out.pollIntervalMs = ms;
    } else throw new UsageError(`unknown option "${a}"`);
  }
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function channelTable(entries: DiscoveryEntry[]): string {
  if (!entries.length) return '(no channel descriptors)';
  const rows = [...entries]
    .sort((a, b) => a.channel.localeCompare(b.channel))
    .map((e) => [e.channel, e.status, e.descriptor.shmName, `${e.descriptor.host}:${e.descriptor.pid}`, e.reason]);
  return table([['CHANNEL', 'STATUS', 'SHM', 'HOST:PID', 'WHY'], ...rows]);
}

function brokerTable(brokers: BrokerFileEntry[]): string {
  if (!brokers.length) return '(no broker endpoint files)';
  const rows = brokers.map((b) => [b.endpoint.endpoint, b.status, `${b.endpoint.host}:${b.endpoint.pid}`, b.reason]);
  return table([['BROKER', 'STATUS', 'HOST:PID', 'WHY'], ...rows]);
}

function problemTable(problems: DiscoveryProblem[]): string {
  if (!problems.length) return '(no problems)';
  return table([['FILE', 'PROBLEM'], ...problems.map((p) => [p.file, p.reason])]);
}

export const discoveryCommand: CliCommand = {
  name: 'discovery',
  summary: 'List (or watch) the channels, brokers and problems of the discovery directory',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv);
    const choice = chooseDiscoveryDir(args.dir);
    const dir = resolve(choice.dir);
    checkDiscoveryDir(dir); // looking must not create directories, nor list a missing one as empty
    if (!args.watch) return listOnce(dir, choice.source, args.json);
    const watcher = new DiscoveryWatcher({
      dir,
      mode: args.mode,
      createDir: false,
      ...(args.pollIntervalMs !== undefined ? { pollIntervalMs: args.pollIntervalMs } : {}),
    });
    await watcher.start();
    const print = () => {
      const s = watcher.snapshot();
      if (args.json) {
        console.log(JSON.stringify({ ...s, source: choice.source }));
        return;
      }
      console.log(`Discovery directory: ${s.dir} (${choice.source}); ${s.modeReason}`);
      console.log(`\n${channelTable(s.entries)}\n\n${brokerTable(s.brokers)}\n\n${problemTable(s.problems)}`);
    };
    print();
    watcher.on('change', (c) => {
      if (args.json) return print();
      const t = new Date().toISOString();
      for (const e of c.added) console.log(`${t} + ${e.channel} (${e.status}: ${e.reason})`);
      for (const e of c.updated) console.log(`${t} ~ ${e.channel} (${e.status}: ${e.reason})`);
      for (const f of c.removed) console.log(`${t} - ${f}`);
      if (c.brokersChanged) console.log(`${t} brokers:\n${brokerTable(watcher.brokers())}`);
      if (c.problemsChanged) console.log(`${t} problems:\n${problemTable(watcher.problems())}`);
    });
    await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    await watcher.close();
    return 0;
  },
};

/** Without --watch: one scan of the directory (no watcher, no timers), printed once. */
async function listOnce(dir: string, source: string, json: boolean): Promise<number> {
  const scan = await scanDiscoveryDir(dir);
  const unusable = scan.problems.find((p) => p.file === '.');
  if (unusable) throw new Error(unusable.reason); // became unreadable since the check
  const mount = mountVerdictFor(dir);
  const modeReason = `one scan, not watching; ${mount.reason}`;
  if (json) {
    printJson({
      dir,
      mode: 'scan',
      modeReason,
      mount,
      entries: scan.entries,
      brokers: scan.brokers,
      problems: scan.problems,
      source,
    });
    return 0;
  }
  console.log(`Discovery directory: ${dir} (${source}); ${modeReason}`);
  console.log(`\n${channelTable(scan.entries)}\n\n${brokerTable(scan.brokers)}\n\n${problemTable(scan.problems)}`);
  return 0;
}

/**
 * Prints one JSON document in pieces of about JSON_CHUNK characters (split
 * between list items, where a newline is valid JSON), so 10,000 entries never
 * become one string of many megabytes.
 */
function printJson(doc: Record<string, unknown>): void {
  const keys = Object.keys(doc);
  let piece = '{';
  keys.forEach((key, k) => {
    const value = doc[key];
    piece += `${k ? ',' : ''}${JSON.stringify(key)}:`;
    if (!Array.isArray(value)) {
      piece += JSON.stringify(value);
      return;
    }
    piece += '[';
    value.forEach((item, i) => {
      piece += (i ? ',' : '') + JSON.stringify(item);
      if (piece.length >= JSON_CHUNK) {
        console.log(piece);
        piece = '';
      }
    });
    piece += ']';
  });
  console.log(piece + '}');
}

const JSON_CHUNK = 64 * 1024;
