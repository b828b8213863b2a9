// The log time of a recorded message: the record's own timestamp when its schema
// has one (the producer's commit time), else the time HubScope read the record.
import type { ChannelSchema, DecodedValue } from '../datablock/schema.js';

/** A timestamp field: its name and how its value becomes nanoseconds since the Unix epoch. */
export interface TimestampField {
  name: string;
  unit: 'ns' | 's';
}

/** Integer fields taken as nanoseconds since the epoch, float64 fields as seconds since the epoch. */
const NS_NAMES = ['timestamp_ns', 'time_ns', 'ts_ns', 't_ns'];
const S_NAMES = ['timestamp', 'ts', 'time'];

export function timestampFieldOf(schema: ChannelSchema): TimestampField | null {
  const scalars = schema.slot.fields.filter((f) => (f.count ?? 1) === 1);
  for (const name of NS_NAMES) {
    const f = scalars.find((x) => x.name === name && (x.type === 'int64' || x.type === 'uint64'));
    if (f) return { name, unit: 'ns' };
  }
  for (const name of S_NAMES) {
    const f = scalars.find((x) => x.name === name && x.type === 'float64');
    if (f) return { name, unit: 's' };
  }
  return null;
}

/** 2000-01-01 and 2100-01-01 in ns: a "timestamp" outside is not wall-clock time (a counter, seconds since boot). */
const PLAUSIBLE_FROM_NS = 946_684_800_000_000_000n;
const PLAUSIBLE_TO_NS = 4_102_444_800_000_000_000n;

/** Nanoseconds since the epoch from the record's timestamp field, or `readNs` when it has none or it is implausible. */
export function logTimeOf(
  field: TimestampField | null,
  fields: Readonly<Record<string, DecodedValue>>,
  readNs: bigint,
): bigint {
  if (!field) return readNs;
  const v = fields[field.name];
  let ns: bigint | null = null;
  if (field.unit === 'ns' && typeof v === 'bigint') ns = v;
  if (field.unit === 's' && typeof v === 'number' && Number.isFinite(v)) ns = BigInt(Math.round(v * 1e6)) * 1000n;
  return ns !== null && ns >= PLAUSIBLE_FROM_NS && ns < PLAUSIBLE_TO_NS ? ns : readNs;
}

/** Wall-clock now in ns since the epoch (microsecond resolution). */
export function wallClockNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}
