// Benchmark of file-based discovery (issues 5 and 8): time from an atomic write
// of a descriptor to the DiscoveryWatcher's model holding it (native events and
// polling), the time to load 1,000 and 10,000 descriptors at start, and a large
// directory (10,000 files, half malformed): idle CPU and RSS of a watching
// process and of the headless core (`hubscope serve` without HTTP), the time for
// a burst of 3,000 changes to reach the model / the discovery topic, and
// `hubscope discovery --json` time and peak RSS.
// Run: npm run bench:discovery [-- --large-only]. Writes bench/results/discovery.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DiscoveryWatcher, type WatchMode } from '../main/discovery/watcher.js';
import { writeFileAtomicSync } from '../main/discovery/atomic-write.js';
import { descriptorFileName } from '../main/discovery/names.js';
import { CHANNEL_DESCRIPTOR_FORMAT, type ChannelDescriptor } from '../main/discovery/format.js';
import { packageRoot } from '../main/paths.js';
import { SMALL_RING, SPEC_SLOT_FINGERPRINT } from '../test/support/spec-fixtures.js';
import { percentile, round as roundTo } from './stats.js';

const EVENT_SAMPLES = 400;
const POLL_SAMPLES = 100;
const POLL_INTERVAL_MS = 100;

function descriptor(channel: string): ChannelDescriptor {
  const now = new Date().toISOString();
  return {
    format: CHANNEL_DESCRIPTOR_FORMAT,
    channel,
    shmName: `/${channel}`,
    host: 'bench-host',
    pid: 4242,
    producer: { name: 'bench', uid: 'bench-1' },
    schema: { id: channel, version: 1, fingerprint: SPEC_SLOT_FINGERPRINT },
    dataBlock: SMALL_RING,
    createdAt: now,
    updatedAt: now,
    heartbeatIntervalMs: 5000,
  };
}

const round = (x: number) => roundTo(x, 2);

function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `hubscope-bench-disc-${label}-`));
}

/** Writes files one at a time, each after the previous one was seen, and times write → model. */
async function latency(
  mode: WatchMode,
  samples: number,
): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; samples: number }> {
  const dir = tempDir(mode);
  const w = new DiscoveryWatcher({ dir, mode, pollIntervalMs: POLL_INTERVAL_MS, resyncIntervalMs: 0 });
  await w.start();
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const channel = `lat.${i}`;
      const seen = new Promise<number>((resolve) => {
        const onChange = () => {
          if (w.entries().some((e) => e.channel === channel)) {
            w.off('change', onChange);
            resolve(performance.now());
          }
        };
        w.on('change', onChange);
      });
      // Desynchronise from the poll timer so polling latency is sampled fairly.
      if (mode === 'polling') await new Promise((r) => setTimeout(r, Math.random() * POLL_INTERVAL_MS));
      const t0 = performance.now();
      writeFileAtomicSync(dir, descriptorFileName(channel), JSON.stringify(descriptor(channel)));
      times.push((await seen) - t0);
    }
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
    maxMs: round(times.at(-1) ?? NaN),
    samples,
  };
}

/** Time from constructing the watcher to start() resolving with every file in the model. */
async function load(count: number, mode: WatchMode): Promise<number> {
  const dir = tempDir(`load${count}`);
  try {
    for (let i = 0; i < count; i++)
      writeFileSync(join(dir, descriptorFileName(`load.${i}`)), JSON.stringify(descriptor(`load.${i}`)));
    const t0 = performance.now();
    const w = new DiscoveryWatcher({ dir, mode, pollIntervalMs: 1000 });
    await w.start();
    const ms = performance.now() - t0;
    const held = w.entries().length;
    await w.close();
    if (held !== count) throw new Error(`loaded ${held} of ${count} descriptors`);
    return round(ms);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Large directory: 10,000 files, half of them malformed ----

const LARGE_FILES = 10_000;
const BURST = 3_000;
const IDLE_SECONDS = 10;
const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

type ChildKind = 'watcher' | 'core';
type ChildMessage = { ready: true; entries: number; problems: number } | { seen: number };

/** Valid descriptors are channels 0..4999 (half local, checked by pid; half remote); the rest are broken. */
function writeLargeDir(dir: string): void {
  const local = hostname();
  for (let i = 0; i < LARGE_FILES / 2; i++) {
    const d = descriptor(`big.${i}`);
    if (i % 2 === 0) Object.assign(d, { host: local, pid: process.pid, heartbeatIntervalMs: 0 });
    else d.heartbeatIntervalMs = 3_600_000;
    writeFileSync(join(dir, descriptorFileName(d.channel)), JSON.stringify(d));
  }
  for (let i = LARGE_FILES / 2; i < LARGE_FILES; i++) {
    const name = descriptorFileName(`big.${i}`);
    const kind = i % 3;
    const text =
      kind === 0
        ? JSON.stringify(descriptor(`big.${i}`)).slice(0, 200) // truncated JSON
        : kind === 1
          ? JSON.stringify({ ...descriptor(`big.${i}`), pid: 'x', dataBlock: { policy: 'Triple' } }) // invalid
          : JSON.stringify(descriptor(`other.${i}`)); // name mismatch
    writeFileSync(join(dir, name), text);
  }
}

/** The burst: rewrites 1,500 valid files and repairs 1,500 malformed ones, all atomically. */
function writeBurst(dir: string, marker: string): void {
  const valid = Array.from({ length: BURST / 2 }, (_, k) => k * 3); // spread over the valid half
  const broken = Array.from({ length: BURST / 2 }, (_, k) => LARGE_FILES / 2 + k * 3);
  for (const i of [...valid, ...broken]) {
    const d = descriptor(`big.${i}`);
    d.shmName = `/big.${i}.${marker}`;
    d.heartbeatIntervalMs = 3_600_000;
    writeFileAtomicSync(dir, descriptorFileName(d.channel), JSON.stringify(d));
  }
}

/** Child side: hold a watcher (or the whole headless core) on the directory; report on IPC. */
async function runChild(kind: ChildKind, dir: string): Promise<void> {
  const send = (m: ChildMessage) => process.send?.(m);
  let count: () => { entries: number; problems: number };
  let marked: (marker: string) => number;
  let onChange: (fn: () => void) => void;
  let close: () => Promise<void>;
  if (kind === 'watcher') {
    const w = new DiscoveryWatcher({ dir, createDir: false });
    await w.start();
    count = () => ({ entries: w.entries().length, problems: w.problems().length });
    marked = (m) => w.entries().filter((e) => e.descriptor.shmName.endsWith(m)).length;
    onChange = (fn) => w.on('change', fn);
    close = () => w.close();
  } else {
    const { startCore } = await import('../main/core/hubscope-core.js');
    const shmDir = mkdtempSync(join(tmpdir(), 'hubscope-bench-shm-'));
    const core = await startCore({
      shell: 'browser',
      shmDir,
      services: {
        broker: { mode: 'off' },
        discovery: { dir, source: 'option', perUser: false, pollIntervalMs: null },
        sampleIntervalMs: 1000,
      },
    });
    const status = () => core.bus.latest('discovery');
    count = () => ({ entries: status()?.entries.length ?? 0, problems: status()?.problems.length ?? 0 });
    marked = (m) => status()?.entries.filter((e) => e.shmName.endsWith(m)).length ?? 0;
    onChange = (fn) => void core.bus.subscribe((topic) => topic === 'discovery' && fn());
    close = async () => {
      await core.close();
      rmSync(shmDir, { recursive: true, force: true });
    };
  }
  let marker: string | undefined;
  const check = () => {
    if (marker && marked(marker) >= BURST) {
      send({ seen: BURST });
      marker = undefined;
    }
  };
  onChange(check);
  process.on('message', (m: { expect?: string; quit?: true }) => {
    if (m.expect) {
      marker = m.expect;
      check();
    }
    if (m.quit) void close().then(() => process.exit(0));
  });
  send({ ready: true, ...count() });
}

function procStat(pid: number): { cpuTicks: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { cpuTicks: Number(fields[11]) + Number(fields[12]) }; // utime + stime (fields 14, 15)
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface LargeWatchResult {
  startMs: number;
  entries: number;
  problems: number;
  idleCpuPercent: number;
  rssMinMb: number;
  rssMaxMb: number;
  burstWriteMs: number;
  burstSeenMs: number;
  rssAfterBurstMb: number;
}

/** Idle CPU and RSS over IDLE_SECONDS, then the burst of BURST changes, for one child kind. */
async function largeWatch(kind: ChildKind): Promise<LargeWatchResult> {
  const dir = tempDir(`large-${kind}`);
  writeLargeDir(dir);
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'discovery.ts'), '--child', kind, dir],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const messages: ChildMessage[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m: ChildMessage) => {
    messages.push(m);
    wake?.();
  });
  child.on('exit', () => wake?.());
  const next = <K extends 'ready' | 'seen'>(key: K, timeoutMs: number) =>
    new Promise<Extract<ChildMessage, Record<K, unknown>>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} child: no "${key}" within ${timeoutMs} ms`)), timeoutMs);
      const look = () => {
        const i = messages.findIndex((m) => key in m);
        if (i < 0 && (child.exitCode !== null || child.signalCode !== null)) {
          clearTimeout(timer);
          reject(new Error(`${kind} child exited (${child.exitCode ?? child.signalCode}) before "${key}"`));
        }
        if (i < 0) return;
        clearTimeout(timer);
        wake = undefined;
        resolve(messages.splice(i, 1)[0] as Extract<ChildMessage, Record<K, unknown>>);
      };
      wake = look;
      look();
    });
  try {
    const ready = await next('ready', 120_000);
    const startMs = performance.now() - t0;
    const pid = child.pid as number;
    await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage settle
    const rss: number[] = [];
    const cpu0 = procStat(pid).cpuTicks;
    const w0 = performance.now();
    for (let i = 0; i < IDLE_SECONDS * 4; i++) {
      await new Promise((r) => setTimeout(r, 250));
      rss.push(rssMb(pid));
    }
    const idleCpuPercent = ((procStat(pid).cpuTicks - cpu0) / CLK_TCK / ((performance.now() - w0) / 1000)) * 100;

    const marker = `m${Date.now()}`;
    child.send({ expect: marker });
    const b0 = performance.now();
    writeBurst(dir, marker);
    const burstWriteMs = performance.now() - b0;
    await next('seen', 300_000);
    const burstSeenMs = performance.now() - b0;
    const rssAfterBurstMb = rssMb(pid);
    child.send({ quit: true });
    return {
      startMs: round(startMs),
      entries: ready.entries,
      problems: ready.problems,
      idleCpuPercent: round(idleCpuPercent),
      rssMinMb: round(Math.min(...rss)),
      rssMaxMb: round(Math.max(...rss)),
      burstWriteMs: round(burstWriteMs),
      burstSeenMs: round(burstSeenMs),
      rssAfterBurstMb: round(rssAfterBurstMb),
    };
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `hubscope discovery --json` over the large directory: wall time and peak RSS (GNU time). */
function cliJson(): { ms: number; peakRssMb: number; outputMb: number } | { skipped: string } {
  const bin = join(packageRoot(), 'bin', 'hubscope.js');
  if (!existsSync(join(packageRoot(), 'dist', 'main', 'cli', 'index.js')))
    return { skipped: 'run npm run build:main first' };
  if (!existsSync('/usr/bin/time')) return { skipped: 'needs /usr/bin/time for the peak RSS' };
  const dir = tempDir('large-cli');
  const out = join(dir, '..', `${dir.split('/').pop()}.out.json`);
  try {
    writeLargeDir(dir);
    const r = spawnSync(
      '/usr/bin/time',
      ['-f', '%e %M', 'sh', '-c', `"$0" "$1" discovery --dir "$2" --json > "$3"`, process.execPath, bin, dir, out],
      {
        encoding: 'utf8',
      },
    );
    const last = r.stderr.trim().split('\n').pop() ?? '';
    const [seconds, kb] = last.split(' ').map(Number);
    if (r.status !== 0 || seconds === undefined || kb === undefined)
      throw new Error(`hubscope discovery --json failed: ${r.stderr}`);
    const parsed = JSON.parse(readFileSync(out, 'utf8')) as { entries: unknown[]; problems: unknown[] };
    if (parsed.entries.length !== LARGE_FILES / 2 || parsed.problems.length !== LARGE_FILES / 2) {
      throw new Error(
        `hubscope discovery --json listed ${parsed.entries.length} entries and ${parsed.problems.length} problems`,
      );
    }
    return {
      ms: round(seconds * 1000),
      peakRssMb: round(kb / 1024),
      outputMb: round(readFileSync(out).length / 2 ** 20),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { force: true });
  }
}

/** A case that cannot run here (e.g. the tree does not build) is reported, not fatal. */
function failed(err: unknown): { error: string } {
  return { error: err instanceof Error ? err.message : String(err) };
}

if (process.argv[2] === '--child') {
  await runChild(process.argv[3] as ChildKind, process.argv[4] as string);
} else {
  const largeOnly = process.argv.includes('--large-only');
  const large = {
    files: LARGE_FILES,
    malformed: LARGE_FILES / 2,
    burstChanges: BURST,
    idleSeconds: IDLE_SECONDS,
    watcher: await largeWatch('watcher').catch(failed),
    core: await largeWatch('core').catch(failed),
    cliJson: await Promise.resolve().then(cliJson).catch(failed),
  };
  console.log('large directory:', JSON.stringify(large, null, 2));
  if (!largeOnly) await smallCases(large);
}

async function smallCases(large: object): Promise<void> {
  const events = await latency('events', EVENT_SAMPLES);
  const polling = await latency('polling', POLL_SAMPLES);
  const loads = {
    events: { load1000Ms: await load(1000, 'events'), load10000Ms: await load(10_000, 'events') },
    polling: { load1000Ms: await load(1000, 'polling'), load10000Ms: await load(10_000, 'polling') },
  };

  const result = {
    benchmark: 'discovery',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
    p50Ms: events.p50Ms,
    p99Ms: events.p99Ms,
    load1000Ms: loads.events.load1000Ms,
    load10000Ms: loads.events.load10000Ms,
    modes: {
      events: { ...events, ...loads.events },
      polling: { ...polling, pollIntervalMs: POLL_INTERVAL_MS, ...loads.polling },
    },
    large,
    notes:
      'p50Ms/p99Ms/load*Ms at top level are native-events mode; latency = atomic write (temp + rename) to the watcher model holding the entry. large: 10,000 files (5,000 valid: half local pid-checked, half remote; 5,000 malformed); idle over 10 s after start-up settles (CPU from /proc/<pid>/stat, RSS sampled every 250 ms); burst = 1,500 rewrites + 1,500 repairs of malformed files, timed from the first write until all 3,000 are in the watcher model (watcher) or in the discovery topic that discovery.get answers from (core = hubscope serve without HTTP); cliJson = bin/hubscope.js discovery --json > file, peak RSS from GNU time.',
  };
  mkdirSync(join(packageRoot(), 'bench', 'results'), { recursive: true });
  writeFileSync(join(packageRoot(), 'bench', 'results', 'discovery.json'), JSON.stringify(result, null, 2) + '\n');
  console.table({
    events: {
      'p50 ms': events.p50Ms,
      'p99 ms': events.p99Ms,
      'max ms': events.maxMs,
      samples: events.samples,
      'load 1k ms': loads.events.load1000Ms,
      'load 10k ms': loads.events.load10000Ms,
    },
    [`polling (${POLL_INTERVAL_MS} ms)`]: {
      'p50 ms': polling.p50Ms,
      'p99 ms': polling.p99Ms,
      'max ms': polling.maxMs,
      samples: polling.samples,
      'load 1k ms': loads.polling.load1000Ms,
      'load 10k ms': loads.polling.load10000Ms,
    },
  });
  console.log('wrote bench/results/discovery.json');
}
