// A pylabhub hub as one more source of the Channels view: a channel the hub lists
// and a /dev/shm segment of the same name are one row, and every disagreement
// between them is named (the merge is pure; main/core feeds it the monitor's snapshot).
import { describe, expect, it } from 'vitest';
import { mergeChannels, type HubChannel, type SegmentSummary } from '../../main/discovery/merge.js';
import { channelRows } from '../../main/core/channel-rows.js';
import { MEMFD_NO_PREVIEW, type LinkedHubChannel } from '../../main/core/pylabhub-rows.js';
import { isLocalEndpoint } from '../../main/core/pylabhub-options.js';
import type { DataBlockSummary } from '../../main/datablock/list.js';

const HUB = 'tcp://127.0.0.1:5570';

const hubChannel = (channel: string, extra: Partial<HubChannel> = {}): HubChannel => ({
  channel,
  hub: HUB,
  hubLocal: true,
  transport: 'shm',
  observable: 'live',
  shmKind: 'named',
  producer: { uid: 'PROD-cam-1', name: 'cam', pid: 4242 },
  schemaId: 'lab.cam.frame',
  consumerCount: 1,
  ...extra,
});

const segment = (name: string, extra: Partial<SegmentSummary> = {}): SegmentSummary => ({
  shmName: name,
  producerPid: 4242,
  alive: true,
  ...extra,
});

const linked = (merge: HubChannel, extra: Partial<LinkedHubChannel> = {}): LinkedHubChannel => ({
  merge,
  topology: null,
  slotsPerSec: 250,
  attached: false,
  segment: null,
  ...extra,
});

describe('mergeChannels with a pylabhub hub', () => {
  it('a hub channel and a segment of the same name are one row, with no issue when they agree', () => {
    const rows = mergeChannels({ files: [], segments: [segment('lab.cam')], pylabhub: [hubChannel('lab.cam')] });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.sources).toEqual(['shm', 'pylabhub']);
    expect(row.shmName).toBe('lab.cam');
    expect(row.state).toBe('live');
    expect(row.schemaId).toBe('lab.cam.frame');
    expect(row.consumerCount).toBe(1);
    expect(row.issues).toEqual([]);
  });

  it('names a producer pid that differs between the hub and the segment header', () => {
    const [row] = mergeChannels({
      files: [],
      segments: [segment('lab.cam', { producerPid: 777 })],
      pylabhub: [hubChannel('lab.cam')],
    });
    expect(row!.sources).toEqual(['shm', 'pylabhub']);
    expect(row!.issues).toContain(
      `segment /dev/shm/lab.cam was written by pid 777, but the pylabhub hub ${HUB} says the producer is pid 4242`,
    );
  });

  it('names a memfd channel for which a named segment exists anyway', () => {
    const [row] = mergeChannels({
      files: [],
      segments: [segment('lab.cam')],
      pylabhub: [hubChannel('lab.cam', { shmKind: 'memfd' })],
    });
    expect(row!.issues).toContain(
      `the pylabhub hub ${HUB} hands this channel's DataBlock out as a memfd, but a named segment /dev/shm/lab.cam exists: it is not the block the hub's consumers get`,
    );
  });

  it('names a schema id that differs between the broker and the hub (an alert rule matches the words)', () => {
    const [row] = mergeChannels({
      broker: [{ channel: 'lab.cam', shmName: '/lab.cam', schemaId: 'lab.cam.v2', state: 'active' }],
      files: [],
      segments: [segment('lab.cam')],
      pylabhub: [hubChannel('lab.cam')],
    });
    expect(row!.sources).toEqual(['broker', 'shm', 'pylabhub']);
    const issue = row!.issues.find((i) => i.includes('schema id'));
    expect(issue).toBe(
      `the broker and the pylabhub hub ${HUB} disagree on the schema id: "lab.cam.v2" (broker) vs "lab.cam.frame" (hub)`,
    );
    expect(issue).toMatch(/disagree on the schema/);
  });

  it('names a stalled hub channel whose segment producer is alive, and a named segment missing here', () => {
    const rows = mergeChannels({
      files: [],
      segments: [segment('lab.a')],
      pylabhub: [hubChannel('lab.a', { observable: 'stalled' }), hubChannel('lab.b')],
    });
    expect(rows.find((r) => r.channel === 'lab.a')!.issues).toContain(
      `the pylabhub hub ${HUB} says the channel is "stalled" (no heartbeat from its producer), but the producer of segment /dev/shm/lab.a is alive`,
    );
    const b = rows.find((r) => r.channel === 'lab.b')!;
    expect(b.sources).toEqual(['pylabhub']);
    expect(b.issues).toEqual([
      `the pylabhub hub ${HUB} reads a named segment lab.b, but /dev/shm/lab.b does not exist on this host (another user's mount namespace, or removed)`,
    ]);
  });

  it('a remote hub: no local comparisons, the hub decides the state', () => {
    const [row] = mergeChannels({
      files: [],
      segments: [],
      pylabhub: [hubChannel('lab.r', { hubLocal: false, observable: 'absent' })],
    });
    expect(row!.issues).toEqual([]);
    expect(row!.state).toBe('stale');
    expect(row!.producer).toEqual({ uid: 'PROD-cam-1', name: 'cam', pid: 4242 });
  });

  it('two hubs listing one channel name: one row, and the issue says so', () => {
    const [row] = mergeChannels({
      files: [],
      segments: [],
      pylabhub: [
        hubChannel('lab.x', { shmKind: 'memfd' }),
        hubChannel('lab.x', { hub: 'tcp://127.0.0.1:5571', shmKind: 'memfd' }),
      ],
    });
    expect(row!.issues).toEqual([
      `2 pylabhub hubs list this channel (${HUB}, tcp://127.0.0.1:5571); shown as ${HUB} lists it`,
    ]);
  });
});

describe('channel rows with a pylabhub hub', () => {
  const inputs = {
    broker: undefined,
    brokerEndpoint: null,
    files: [],
    segments: [] as DataBlockSummary[],
    datablocks: [],
  };

  it('a memfd channel: the hub badge, its rate, why there is no preview, and Attach as consumer', () => {
    const [row] = channelRows({
      ...inputs,
      pylabhub: [linked(hubChannel('lab.m', { shmKind: 'memfd', consumerCount: 0 }), { topology: 'fan-out' })],
    });
    expect(row!.sources).toEqual(['pylabhub']);
    expect(row!.state).toBe('active');
    expect(row!.recordsPerSec).toBe(250);
    expect(row!.pylabhub).toEqual({
      hub: HUB,
      transport: 'shm',
      shmKind: 'memfd',
      observable: 'live',
      topology: 'fan-out',
      noPreview: MEMFD_NO_PREVIEW,
      segment: null,
      attach: {
        enabled: true,
        reason: 'registers this app as one more consumer of the channel until you detach',
        attached: false,
      },
    });
  });

  it('a one-to-one memfd channel with its consumer: Attach is disabled and the reason shown', () => {
    const [row] = channelRows({
      ...inputs,
      pylabhub: [linked(hubChannel('lab.m', { shmKind: 'memfd', consumerCount: 1 }), { topology: 'one-to-one' })],
    });
    expect(row!.pylabhub!.attach).toEqual({
      enabled: false,
      reason: 'one-to-one channel: its only consumer seat is taken (1 consumer)',
      attached: false,
    });
    expect(row!.pylabhub!.noPreview).toBe(
      `${MEMFD_NO_PREVIEW} (not possible here: one-to-one channel: its only consumer seat is taken (1 consumer))`,
    );
  });

  it('unknown topology counts as the default one-to-one; a registering channel is pending', () => {
    const [row] = channelRows({
      ...inputs,
      pylabhub: [linked(hubChannel('lab.m', { shmKind: 'memfd', consumerCount: 2, observable: 'registering' }))],
    });
    expect(row!.state).toBe('pending');
    expect(row!.pylabhub!.attach?.enabled).toBe(false);
    expect(row!.pylabhub!.attach?.reason).toBe(
      "the hub does not say this channel's topology; the default one-to-one admits one consumer and it has 2",
    );
  });

  it('a memfd channel on a remote hub cannot be attached: the fd travels over a local Unix socket', () => {
    const [row] = channelRows({
      ...inputs,
      pylabhub: [linked(hubChannel('lab.m', { shmKind: 'memfd', hubLocal: false, consumerCount: 0 }))],
    });
    expect(row!.pylabhub!.attach?.enabled).toBe(false);
    expect(row!.pylabhub!.attach?.reason).toMatch(/another host/);
  });

  it('a zmq channel has no DataBlock and no attach action', () => {
    const [row] = channelRows({
      ...inputs,
      pylabhub: [linked({ channel: 'lab.z', hub: HUB, hubLocal: true, transport: 'zmq', observable: 'live' })],
    });
    expect(row!.pylabhub!.attach).toBeNull();
    expect(row!.pylabhub!.noPreview).toMatch(/^zmq channel/);
  });
});

describe('isLocalEndpoint', () => {
  it('knows loopback and ipc endpoints from remote ones', () => {
    expect(isLocalEndpoint('tcp://127.0.0.1:5570')).toBe(true);
    expect(isLocalEndpoint('tcp://localhost:5570')).toBe(true);
    expect(isLocalEndpoint('tcp://[::1]:5570')).toBe(true);
    expect(isLocalEndpoint('ipc:///tmp/hub.sock')).toBe(true);
    expect(isLocalEndpoint('tcp://192.0.2.1:5570')).toBe(false);
  });
});
