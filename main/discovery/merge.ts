// One row per channel from every source: broker registrations, descriptor
// files and the DataBlock segments found on this machine. Pure (no I/O): the
// caller adapts broker and datablock outputs to the small input interfaces
// below. Every disagreement between sources becomes an issue in words.
import type { Liveness } from './liveness.js';
import type { DiscoveryEntry } from './model.js';
import { hubIssues, hubState, type HubChannel } from './merge-pylabhub.js';

export type { HubChannel } from './merge-pylabhub.js';

export interface ProducerFacts {
  name?: string;
  uid?: string;
  pid?: number;
  host?: string;
}

/** A channel as the MessageHub broker registers it. */
export interface BrokerChannel {
  channel: string;
  shmName?: string;
  schemaFingerprint?: string;
  schemaId?: string;
  /** Broker's registration state (protocol: pending, active, stale, closing); only "active" (or an unknown word) counts as live. */
  state: string;
  producer?: ProducerFacts;
  consumerCount?: number;
}

/** A DataBlock segment found in /dev/shm on this host. */
export interface SegmentSummary {
  /** With or without the leading "/". */
  shmName: string;
  size?: number;
  producerPid?: number;
  /** Whether the producer is alive (pid / heartbeat in the header), when known. */
  alive?: boolean;
  /** Slot schema hash from the header (hex); all zeros means "not set". */
  slotSchemaHash?: string;
}

export type ChannelSource = 'broker' | 'file' | 'shm' | 'pylabhub';

export interface ChannelRow {
  channel: string;
  sources: ChannelSource[];
  state: Liveness;
  stateReason: string;
  /** Segment name without the leading "/" (as in /dev/shm). */
  shmName?: string;
  schemaFingerprint?: string;
  schemaId?: string;
  producer?: ProducerFacts;
  consumerCount?: number;
  brokerState?: string;
  /** Descriptor file name(s). */
  files: string[];
  fileStatus?: Liveness;
  segment?: SegmentSummary;
  /** The pylabhub hub's listing of the channel, when a hub lists it. */
  hubChannel?: HubChannel;
  issues: string[];
}

export interface MergeSources {
  /** Broker registrations; undefined when no broker is connected (then nothing is compared with it). */
  broker?: BrokerChannel[];
  /** Endpoint of the connected broker, to tell whether a file's brokerEndpoint is that broker. */
  brokerEndpoint?: string;
  files: DiscoveryEntry[];
  segments: SegmentSummary[];
  /** Channels listed by pylabhub hubs (only hubs that answer). */
  pylabhub?: HubChannel[];
}

/** Broker states without a live producer (protocol ChannelState, plus words other brokers use). */
const NOT_LIVE_BROKER_STATES = new Set(['pending', 'stale', 'closing', 'closed', 'dead', 'gone']);

/** "/lab.demo" and "lab.demo" are the same segment: /dev/shm lists names without the slash. */
export function normaliseShmName(name: string): string {
  return name.replace(/^\/+/, '');
}

function isZeroHash(hex: string | undefined): boolean {
  return !hex || /^0*$/.test(hex);
}

function brokerLive(b: BrokerChannel): boolean {
  return !NOT_LIVE_BROKER_STATES.has(b.state.toLowerCase());
}

function producerOfFile(e: DiscoveryEntry): ProducerFacts {
  const d = e.descriptor;
  return {
    ...(d.producer.name !== undefined ? { name: d.producer.name } : {}),
    ...(d.producer.uid !== undefined ? { uid: d.producer.uid } : {}),
    pid: d.pid,
    host: d.host,
  };
}

function producerDisagreement(file: ProducerFacts, broker: ProducerFacts): string | undefined {
  const diffs: string[] = [];
  for (const key of ['name', 'uid', 'pid', 'host'] as const) {
    const a = file[key];
    const b = broker[key];
    if (a !== undefined && b !== undefined && a !== b)
      diffs.push(`${key} ${JSON.stringify(a)} (file) vs ${JSON.stringify(b)} (broker)`);
  }
  return diffs.length ? `file and broker disagree on the producer: ${diffs.join('; ')}` : undefined;
}

interface Gathered {
  broker?: BrokerChannel;
  files: DiscoveryEntry[];
  hub?: HubChannel;
  otherHubs?: string[];
}

/** The file entry that speaks for the channel: a live one if any, else the newest. */
function primaryFile(files: DiscoveryEntry[]): DiscoveryEntry | undefined {
  const rank = (e: DiscoveryEntry) => (e.status === 'live' ? 2 : e.status === 'unknown' ? 1 : 0);
  return [...files].sort(
    (a, b) => rank(b) - rank(a) || b.descriptor.updatedAt.localeCompare(a.descriptor.updatedAt),
  )[0];
}

export function mergeChannels(sources: MergeSources): ChannelRow[] {
  const gathered = new Map<string, Gathered>();
  const get = (channel: string): Gathered => {
    let g = gathered.get(channel);
    if (!g) gathered.set(channel, (g = { files: [] }));
    return g;
  };
  for (const b of sources.broker ?? []) get(b.channel).broker = b;
  for (const e of sources.files) get(e.channel).files.push(e);
  for (const h of sources.pylabhub ?? []) {
    const g = get(h.channel);
    if (g.hub) (g.otherHubs ??= []).push(h.hub);
    else g.hub = h;
  }

  const segments = new Map<string, SegmentSummary>();
  for (const s of sources.segments) segments.set(normaliseShmName(s.shmName), s);
  const claimedBy = new Map<string, string[]>();

  const rows: ChannelRow[] = [];
  for (const [channel, g] of gathered) {
    const file = primaryFile(g.files);
    const broker = g.broker;
    const fileShm = file ? normaliseShmName(file.descriptor.shmName) : undefined;
    const brokerShm = broker?.shmName ? normaliseShmName(broker.shmName) : undefined;
    // Without any shm name, the channel name itself is the usual segment name (spec section 1).
    const shmName =
      fileShm ?? brokerShm ?? (segments.has(normaliseShmName(channel)) ? normaliseShmName(channel) : undefined);
    const segment = shmName !== undefined ? segments.get(shmName) : undefined;
    const otherSegment = brokerShm !== undefined && brokerShm !== shmName ? segments.get(brokerShm) : undefined;
    for (const s of [segment, otherSegment]) {
      if (s)
        claimedBy.set(normaliseShmName(s.shmName), [...(claimedBy.get(normaliseShmName(s.shmName)) ?? []), channel]);
    }

    const issues: string[] = [];
    if (g.files.length > 1)
      issues.push(`${g.files.length} descriptor files describe this channel: ${g.files.map((f) => f.file).join(', ')}`);
    const fileFp = file?.fingerprint;
    const brokerFp = broker?.schemaFingerprint;
    if (file && broker) {
      if (fileFp && brokerFp && fileFp !== brokerFp) {
        issues.push(
          `file ${file.file} and the broker disagree on the schema: the file's fingerprint is ${fileFp}, the broker's is ${brokerFp}`,
        );
      } else if (file.schemaId && broker.schemaId && file.schemaId !== broker.schemaId) {
        issues.push(
          `file ${file.file} and the broker disagree on the schema id: "${file.schemaId}" (file) vs "${broker.schemaId}" (broker)`,
        );
      }
      if (fileShm !== undefined && brokerShm !== undefined && fileShm !== brokerShm) {
        issues.push(
          `file ${file.file} and the broker disagree on the shm name: "${file.descriptor.shmName}" (file) vs "${broker.shmName}" (broker)`,
        );
      }
      const producer = broker.producer ? producerDisagreement(producerOfFile(file), broker.producer) : undefined;
      if (producer) issues.push(producer);
      if (file.status === 'stale' && brokerLive(broker)) {
        issues.push(
          `the broker still registers the channel (state "${broker.state}") but the descriptor file is stale`,
        );
      }
    }
    if (
      file &&
      !broker &&
      sources.broker &&
      file.descriptor.brokerEndpoint &&
      file.descriptor.brokerEndpoint === sources.brokerEndpoint
    ) {
      issues.push(
        `file ${file.file} says the producer uses broker ${file.descriptor.brokerEndpoint}, but that broker has no registration for the channel`,
      );
    }
    if (file?.status === 'stale') issues.push(`descriptor file ${file.file} is stale: ${file.reason}`);
    if (file?.status === 'unknown' && file.local) issues.push(`descriptor file ${file.file}: ${file.reason}`);
    if (file?.local && !segment) {
      issues.push(`descriptor file ${file.file} names segment /dev/shm/${fileShm}, which does not exist on this host`);
    }
    if (segment) {
      const expected = fileFp ?? brokerFp;
      if (!isZeroHash(segment.slotSchemaHash) && expected && segment.slotSchemaHash !== expected) {
        issues.push(
          `segment /dev/shm/${shmName} has slot schema hash ${segment.slotSchemaHash} in its header, but the ${fileFp ? 'file' : 'broker'} says ${expected}`,
        );
      }
      if (file?.local && segment.producerPid !== undefined && segment.producerPid !== file.descriptor.pid) {
        issues.push(
          `segment /dev/shm/${shmName} was written by pid ${segment.producerPid}, but the descriptor file says pid ${file.descriptor.pid}`,
        );
      }
      if (segment.alive === false)
        issues.push(
          `the producer of segment /dev/shm/${shmName}${segment.producerPid !== undefined ? ` (pid ${segment.producerPid})` : ''} is not alive`,
        );
    }

    const hub = g.hub;
    if (hub) {
      issues.push(
        ...hubIssues(hub, {
          shmName,
          segment,
          ...(file
            ? {
                file: {
                  name: file.file,
                  local: file.local,
                  pid: file.descriptor.pid,
                  ...(file.schemaId !== undefined ? { schemaId: file.schemaId } : {}),
                },
              }
            : {}),
          ...(broker?.schemaId !== undefined ? { brokerSchemaId: broker.schemaId } : {}),
          otherHubs: g.otherHubs ?? [],
        }),
      );
    }

    const { state, reason } = decideState(broker, file, segment, hub);
    const producer =
      broker?.producer ??
      (file
        ? producerOfFile(file)
        : (hub?.producer ?? (segment?.producerPid !== undefined ? { pid: segment.producerPid } : undefined)));
    const fingerprint =
      fileFp ?? brokerFp ?? (isZeroHash(segment?.slotSchemaHash) ? undefined : segment?.slotSchemaHash);
    const schemaId = file?.schemaId ?? broker?.schemaId ?? hub?.schemaId;
    rows.push({
      channel,
      sources: [
        ...(broker ? (['broker'] as const) : []),
        ...(file ? (['file'] as const) : []),
        ...(segment ? (['shm'] as const) : []),
        ...(hub ? (['pylabhub'] as const) : []),
      ],
      state,
      stateReason: reason,
      ...(shmName !== undefined ? { shmName } : {}),
      ...(fingerprint !== undefined ? { schemaFingerprint: fingerprint } : {}),
      ...(schemaId !== undefined ? { schemaId } : {}),
      ...(producer ? { producer } : {}),
      ...(broker?.consumerCount !== undefined
        ? { consumerCount: broker.consumerCount }
        : hub?.consumerCount !== undefined
          ? { consumerCount: hub.consumerCount }
          : {}),
      ...(broker ? { brokerState: broker.state } : {}),
      files: g.files.map((f) => f.file),
      ...(file ? { fileStatus: file.status } : {}),
      ...(segment ? { segment } : {}),
      ...(hub ? { hubChannel: hub } : {}),
      issues,
    });
  }

  for (const [name, s] of segments) {
    if (claimedBy.has(name)) continue;
    const issues = [`segment /dev/shm/${name} has no descriptor file and no broker registration`];
    // A segment named like a channel that lives in another segment: two rows share
    // the channel name, so say why (the UI keys rows by channel and segment).
    const namesake = gathered.has(name) ? rows.find((r) => r.channel === name) : undefined;
    if (namesake) {
      issues.push(
        `segment /dev/shm/${name} is named like channel ${name}, which uses segment ${namesake.shmName ? `/dev/shm/${namesake.shmName}` : '(none)'}`,
      );
    }
    rows.push({
      channel: name,
      sources: ['shm'],
      state: s.alive === true ? 'live' : s.alive === false ? 'stale' : 'unknown',
      stateReason:
        s.alive === true
          ? 'segment producer is alive'
          : s.alive === false
            ? 'segment producer is not alive'
            : 'segment found; producer liveness not known',
      shmName: name,
      ...(isZeroHash(s.slotSchemaHash) ? {} : { schemaFingerprint: s.slotSchemaHash }),
      ...(s.producerPid !== undefined ? { producer: { pid: s.producerPid } } : {}),
      files: [],
      segment: s,
      issues,
    });
  }
  for (const row of rows) {
    const claimants = row.shmName !== undefined ? (claimedBy.get(row.shmName) ?? []) : [];
    const others = claimants.filter((c) => c !== row.channel);
    if (others.length)
      row.issues.push(`segment /dev/shm/${row.shmName} is also claimed by channel ${others.join(', ')}`);
  }
  return rows.sort((a, b) => a.channel.localeCompare(b.channel));
}

function decideState(
  broker: BrokerChannel | undefined,
  file: DiscoveryEntry | undefined,
  segment: SegmentSummary | undefined,
  hub?: HubChannel,
): { state: Liveness; reason: string } {
  if (segment?.alive === true) return { state: 'live', reason: 'segment producer is alive' };
  if (broker && brokerLive(broker))
    return { state: 'live', reason: `registered with the broker (state "${broker.state}")` };
  const fromHub = hub ? hubState(hub) : undefined;
  if (fromHub?.state === 'live') return fromHub;
  if (file?.status === 'live') return { state: 'live', reason: file.reason };
  if (segment?.alive === false) return { state: 'stale', reason: 'segment producer is not alive' };
  if (file?.status === 'stale') return { state: 'stale', reason: file.reason };
  if (broker) return { state: 'stale', reason: `broker state "${broker.state}"` };
  if (fromHub) return fromHub;
  if (file) return { state: 'unknown', reason: file.reason };
  return { state: 'unknown', reason: 'segment found; producer liveness not known' };
}
