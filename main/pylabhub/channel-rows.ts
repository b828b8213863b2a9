// How the hub's replies become PylabhubChannel rows: the CHANNEL_LIST_ACK entries, the
// METRICS_ACK blocks (consumers, pids, memfd or named shm, slot counters) and what
// DISC_ACK / SCHEMA_ACK said (kept in a ChannelCache by the monitor). Where a field
// differs from the spec, `note` records it and the rest is used (the hub wins).
import { arrayField, asObject, objectField, strField, uintField, type JsonObject } from './messages.js';
import type { PylabhubChannel, PylabhubRole } from './monitor-types.js';
import type { SlotRates } from './slot-rates.js';

type Note = (text: string) => void;

/** What DISC_ACK / SCHEMA_ACK told about one channel, asked once per producer. */
export interface ChannelCache {
  producerUid: string | null;
  transport: 'shm' | 'zmq' | null;
  schemaHash: string | null;
  consumerCount: number | null;
  topology: string | null;
  /** DISC_ACK answered: no need to ask again until the producer changes. */
  discovered: boolean;
  schemaAsked: boolean;
}

/** One CHANNEL_LIST_ACK entry with a unique name. */
export interface ListedChannel {
  name: string;
  producerUid: string | null;
  entry: JsonObject;
}

export function readChannelList(body: JsonObject, note: Note): ListedChannel[] {
  const channels = arrayField(body, 'channels');
  if (!channels) {
    note('CHANNEL_LIST_ACK has no channels array; no channel listed');
    return [];
  }
  const out: ListedChannel[] = [];
  const names = new Set<string>();
  for (const item of channels) {
    const entry = asObject(item);
    const name = strField(entry, 'name');
    if (!entry || !name || names.has(name)) {
      note('CHANNEL_LIST_ACK lists an entry without a (unique) name string; skipped');
      continue;
    }
    names.add(name);
    const uids = (arrayField(entry, 'producer_uids') ?? []).filter((u): u is string => typeof u === 'string');
    out.push({ name, producerUid: strField(entry, 'producer_uid') ?? uids[0] ?? null, entry });
  }
  return out;
}

/** DISC_ACK's data_transport: shm, zmq or (anything else, noted) unknown. */
export function transportOf(text: string | null, channel: string, note: Note): 'shm' | 'zmq' | null {
  if (text === 'shm' || text === 'zmq' || text === null) return text;
  note(`channel ${channel}: data_transport "${text.slice(0, 32)}" is neither shm nor zmq`);
  return null;
}

/** A reply's schema_hash: 128 lowercase hex; other hex lengths are used (and noted), non-hex is dropped. */
export function hashOf(body: JsonObject, what: string, note: Note): string | null {
  const h = strField(body, 'schema_hash');
  if (h === null) return null;
  if (/^[0-9a-f]{128}$/.test(h)) return h;
  if (/^[0-9a-fA-F]+$/.test(h)) {
    note(`${what} schema_hash has ${h.length} hex digits, not 128; used as given`);
    return h.toLowerCase();
  }
  return null;
}

export function buildChannelRow(
  e: ListedChannel,
  metrics: JsonObject | null,
  c: ChannelCache | undefined,
  rates: SlotRates,
): PylabhubChannel {
  const uids = (arrayField(e.entry, 'producer_uids') ?? []).filter((u): u is string => typeof u === 'string');
  if (e.producerUid && !uids.includes(e.producerUid)) uids.unshift(e.producerUid);
  const observable = strField(e.entry, 'observable');
  const block = shmBlockOf(metrics, e.name);
  const channelMetrics = objectField(objectField(metrics, 'channels'), e.name);
  const producerMetrics = e.producerUid ? objectField(objectField(channelMetrics, 'producers'), e.producerUid) : null;
  const blockProducer = objectField(block, 'producer');

  let producer: PylabhubRole | null = null;
  if (e.producerUid) {
    const sameBlockProducer = strField(blockProducer, 'uid') === e.producerUid;
    producer = {
      uid: e.producerUid,
      name: sameBlockProducer ? strField(blockProducer, 'name') : null,
      pid:
        uintField(e.entry, 'producer_pid') ??
        uintField(producerMetrics, 'pid') ??
        (sameBlockProducer ? uintField(blockProducer, 'pid') : null),
    };
  }

  const consumers = new Map<string, PylabhubRole>();
  for (const item of arrayField(block, 'consumers') ?? []) {
    const o = asObject(item);
    const uid = strField(o, 'uid');
    if (uid) consumers.set(uid, { uid, name: strField(o, 'name'), pid: uintField(o, 'pid') });
  }
  for (const uid of Object.keys(objectField(channelMetrics, 'consumers') ?? {})) {
    if (!consumers.has(uid)) consumers.set(uid, { uid, name: null, pid: null });
  }

  let transport = c?.transport ?? null;
  if (transport === null && block) transport = 'shm';
  let shmKind: PylabhubChannel['shmKind'] = null;
  if (block && 'shm_metrics' in block) shmKind = block.shm_metrics === null ? 'memfd' : 'named';

  const collectedAt = strField(producerMetrics, '_collected_at');
  const written = uintField(objectField(producerMetrics, 'role'), 'out_slots_written');
  const rate = rates.rateOf(e.name, e.producerUid, collectedAt, written, observable);

  return {
    name: e.name,
    transport,
    observable,
    producer,
    producerUids: uids,
    consumers: [...consumers.values()].sort((a, b) => a.uid.localeCompare(b.uid)),
    consumerCount: uintField(e.entry, 'consumer_count') ?? c?.consumerCount ?? null,
    schemaId: strField(e.entry, 'schema_id') || null, // "" = anonymous
    schemaHash: c?.schemaHash ?? null,
    topology: strField(e.entry, 'channel_topology') ?? c?.topology ?? null,
    slotsPerSec: rate,
    metricsCollectedAt: collectedAt,
    shmKind,
  };
}

/** METRICS_ACK's shm_blocks.blocks entry of `channel`, or null. */
function shmBlockOf(metrics: JsonObject | null, channel: string): JsonObject | null {
  const blocks = arrayField(objectField(metrics, 'shm_blocks'), 'blocks') ?? [];
  for (const b of blocks) {
    const o = asObject(b);
    if (strField(o, 'channel') === channel) return o;
  }
  return null;
}
