// Benchmark of file-based discovery (issue 5): time from an atomic write of a
// descriptor to the DiscoveryWatcher's model holding it (native events and
// polling), and the time to load 1,000 and 10,000 descriptors at start.
// Run: npm run bench:discovery. Writes bench/results/discovery.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
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
  notes:
    'p50Ms/p99Ms/load*Ms at top level are native-events mode; latency = atomic write (temp + rename) to the watcher model holding the entry.',
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
