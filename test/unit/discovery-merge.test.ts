import { describe, expect, it } from 'vitest';
import {
  mergeChannels,
  normaliseShmName,
  type BrokerChannel,
  type SegmentSummary,
} from '../../main/discovery/merge.js';
import { DiscoveryModel } from '../../main/discovery/model.js';
import { validateChannelDescriptor } from '../../main/discovery/validate.js';
import type { ChannelDescriptor } from '../../main/discovery/format.js';
import type { DiscoveryEntry } from '../../main/discovery/model.js';
import { WorkQueue } from '../../main/discovery/limit.js';
import { sampleDescriptor } from './discovery-helpers.js';
import { SPEC_SLOT_FINGERPRINT } from '../support/spec-fixtures.js';

const FP = SPEC_SLOT_FINGERPRINT; // sampleDescriptor's inline schema
const OTHER_FP = 'ab'.repeat(32);
const ME = 'this-host';
const now = Date.now();

/** Entries built the way the watcher builds them: validation + the model's liveness rule. */
function entries(...descriptors: ChannelDescriptor[]): DiscoveryEntry[] {
  const model = new DiscoveryModel({ localHost: ME, pidAlive: (pid) => pid === process.pid });
  descriptors.forEach((d, i) => {
    const v = validateChannelDescriptor(d);
    if (!v.ok) throw new Error(v.reason);
    model.apply(
      `${d.channel}.channel.json`,
      { kind: 'channel', valid: v.value, signature: { ino: i, size: 1, mtimeMs: 1 } },
      now,
    );
  });
  return model.entries();
}

const localLive = (channel: string, extra: Partial<ChannelDescriptor> = {}) =>
  sampleDescriptor(channel, { host: ME, pid: process.pid, ...extra });

const broker = (channel: string, extra: Partial<BrokerChannel> = {}): BrokerChannel => ({
  channel,
  shmName: `/${channel}`,
  schemaFingerprint: FP,
  state: 'active',
  producer: { name: 'test-producer', uid: 'uid-1', pid: process.pid, host: ME },
  consumerCount: 2,
  ...extra,
});

const segment = (name: string, extra: Partial<SegmentSummary> = {}): SegmentSummary => ({
  shmName: name,
  producerPid: process.pid,
  alive: true,
  ...extra,
});

describe('mergeChannels', () => {
  it('a stray segment named like a channel that uses another segment gets its own row, with the reason', () => {
    const rows = mergeChannels({
      broker: [broker('lab.a', { shmName: '/lab.a-run2' })],
      files: [],
      segments: [segment('lab.a-run2'), segment('lab.a')],
    });
    const named = rows.filter((r) => r.channel === 'lab.a');
    expect(named.map((r) => r.shmName).sort()).toEqual(['lab.a', 'lab.a-run2']);
    const stray = named.find((r) => r.shmName === 'lab.a');
    expect(stray?.sources).toEqual(['shm']);
    expect(stray?.issues).toContain(
      'segment /dev/shm/lab.a is named like channel lab.a, which uses segment /dev/shm/lab.a-run2',
    );
    const real = named.find((r) => r.shmName === 'lab.a-run2');
    expect(real?.sources).toEqual(['broker', 'shm']);
  });

  it('one row from all three sources that agree: no issues', () => {
    const rows = mergeChannels({
      broker: [broker('lab.a')],
      files: entries(localLive('lab.a')),
      segments: [segment('lab.a')],
    });
    expect(rows).toHaveLength(1);
    const r = rows[0]!;
    expect(r.sources).toEqual(['broker', 'file', 'shm']);
    expect(r.state).toBe('live');
    expect(r.shmName).toBe('lab.a');
    expect(r.schemaFingerprint).toBe(FP);
    expect(r.consumerCount).toBe(2);
    expect(r.issues).toEqual([]);
  });

  it('normalises segment names: "/x" and "x" are the same segment', () => {
    expect(normaliseShmName('/pylabhub_sensor')).toBe('pylabhub_sensor');
    const rows = mergeChannels({
      files: entries(localLive('s', { shmName: '/pylabhub_sensor' })),
      segments: [segment('pylabhub_sensor')],
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sources).toEqual(['file', 'shm']);
  });

  it('flags file and broker disagreeing on schema (naming both fingerprints), shm name and producer', () => {
    const rows = mergeChannels({
      broker: [
        broker('lab.b', { schemaFingerprint: OTHER_FP, shmName: '/elsewhere', producer: { pid: 1, name: 'impostor' } }),
      ],
      files: entries(localLive('lab.b')),
      segments: [segment('lab.b')],
    });
    const issues = rows.find((r) => r.channel === 'lab.b')!.issues.join('\n');
    expect(issues).toContain(`disagree on the schema: the file's fingerprint is ${FP}, the broker's is ${OTHER_FP}`);
    expect(issues).toContain('disagree on the shm name: "/lab.b" (file) vs "/elsewhere" (broker)');
    expect(issues).toContain(
      `disagree on the producer: name "test-producer" (file) vs "impostor" (broker); pid ${process.pid} (file) vs 1 (broker)`,
    );
  });

  it('flags a local file pointing to a segment that does not exist', () => {
    const [row] = mergeChannels({ files: entries(localLive('ghost')), segments: [] });
    expect(row!.sources).toEqual(['file']);
    expect(row!.issues).toContain(
      'descriptor file ghost.channel.json names segment /dev/shm/ghost, which does not exist on this host',
    );
  });

  it('does not expect segments of producers on other hosts', () => {
    const [row] = mergeChannels({ files: entries(sampleDescriptor('remote')), segments: [] });
    expect(row!.issues).toEqual([]);
    expect(row!.state).toBe('live');
  });

  it('flags a segment with no descriptor and no registration', () => {
    const rows = mergeChannels({ broker: [], files: [], segments: [segment('/orphan', { alive: false })] });
    expect(rows).toEqual([
      expect.objectContaining({
        channel: 'orphan',
        sources: ['shm'],
        state: 'stale',
        issues: ['segment /dev/shm/orphan has no descriptor file and no broker registration'],
      }),
    ]);
  });

  it('flags stale files, and a broker still registering a channel whose file is stale', () => {
    const [row] = mergeChannels({
      broker: [broker('dead', { producer: { pid: 4_000_001 } })],
      files: entries(sampleDescriptor('dead', { host: ME, pid: 4_000_001 })),
      segments: [segment('dead', { alive: false, producerPid: 4_000_001 })],
    });
    expect(row!.issues).toContain(
      'descriptor file dead.channel.json is stale: pid 4000001 is not running on this host',
    );
    expect(row!.issues).toContain(
      'the broker still registers the channel (state "active") but the descriptor file is stale',
    );
    expect(row!.issues).toContain('the producer of segment /dev/shm/dead (pid 4000001) is not alive');
  });

  it('flags a segment header hash that disagrees with the schema, ignores an all-zero hash', () => {
    const bad = mergeChannels({
      files: entries(localLive('h')),
      segments: [segment('h', { slotSchemaHash: OTHER_FP })],
    });
    expect(bad[0]!.issues).toContain(
      `segment /dev/shm/h has slot schema hash ${OTHER_FP} in its header, but the file says ${FP}`,
    );
    const zero = mergeChannels({
      files: entries(localLive('h')),
      segments: [segment('h', { slotSchemaHash: '0'.repeat(64) })],
    });
    expect(zero[0]!.issues).toEqual([]);
  });

  it('broker-only channel: matched to a segment named after the channel; a file naming its broker without registration is flagged', () => {
    const rows = mergeChannels({
      broker: [broker('bo', { shmName: undefined })],
      brokerEndpoint: 'tcp://127.0.0.1:5570',
      files: entries(localLive('fo', { brokerEndpoint: 'tcp://127.0.0.1:5570' })),
      segments: [segment('bo'), segment('fo')],
    });
    expect(rows.map((r) => [r.channel, r.sources])).toEqual([
      ['bo', ['broker', 'shm']],
      ['fo', ['file', 'shm']],
    ]);
    expect(rows[1]!.issues).toContain(
      'file fo.channel.json says the producer uses broker tcp://127.0.0.1:5570, but that broker has no registration for the channel',
    );
  });

  it('flags two channels claiming one segment', () => {
    const rows = mergeChannels({
      files: entries(localLive('one', { shmName: '/shared' }), localLive('two', { shmName: 'shared' })),
      segments: [segment('shared')],
    });
    expect(rows[0]!.issues).toContain('segment /dev/shm/shared is also claimed by channel two');
    expect(rows[1]!.issues).toContain('segment /dev/shm/shared is also claimed by channel one');
  });

  it('without a broker connected, nothing is compared with it', () => {
    const [row] = mergeChannels({
      files: entries(localLive('nb', { brokerEndpoint: 'tcp://x:1' })),
      segments: [segment('nb')],
    });
    expect(row!.issues).toEqual([]);
    expect(row!.sources).toEqual(['file', 'shm']);
  });
});

describe('WorkQueue', () => {
  it('never runs more jobs at once than its concurrency, and runs them all', async () => {
    const q = new WorkQueue(4);
    let running = 0;
    let peak = 0;
    let done = 0;
    for (let i = 0; i < 200; i++) {
      q.push(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
        done++;
        if (i % 7 === 0) throw new Error('a failing job must not stop the queue');
      });
    }
    await q.idle();
    expect(done).toBe(200);
    expect(peak).toBe(4);
  });
});
