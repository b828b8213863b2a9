// Decodes the 4096-byte header (spec section 3) into camelCase fields.
import { toHex } from './blake2b.js';
import {
  CHECKSUM_POLICY_NAMES,
  CONSUMER_SLOTS,
  COUNTER_NAMES,
  ERROR_COUNTER_NAMES,
  H,
  HEADER_SIZE,
  HEARTBEAT,
  IDENTITY_FIELDS,
  NO_COMMIT,
  POLICY_NAMES,
  SYNC_POLICY_NAMES,
  nameOf,
} from './format.js';
import { formatSchemaVersion } from './schema.js';

export type CounterName = (typeof COUNTER_NAMES)[number] | (typeof ERROR_COUNTER_NAMES)[number];

export interface ConsumerHeartbeat {
  /** Index 0..7 of the heartbeat entry (also indexes consumerReadCursors). */
  index: number;
  pid: number;
  lastHeartbeatNs: bigint;
  uid: string;
  name: string;
}

export interface SpinLock {
  ownerPid: bigint;
  ownerTid: bigint;
  generation: bigint;
  recursion: number;
}

export interface Header {
  magic: number;
  versionMajor: number;
  versionMinor: number;
  totalBlockSize: number;
  flexzoneSchemaHash: string;
  slotSchemaHash: string;
  /** "major.minor.patch" */
  schemaVersion: string;
  schemaVersionPacked: number;
  policy: number;
  policyName: string;
  consumerSyncPolicy: number;
  consumerSyncPolicyName: string;
  physicalPageSize: number;
  logicalUnitSize: number;
  ringBufferCapacity: number;
  flexibleZoneSize: number;
  checksumType: number;
  checksumPolicy: number;
  checksumPolicyName: string;
  writeIndex: bigint;
  /** null when nothing has been committed yet (all ones in the header). */
  commitIndex: bigint | null;
  readIndex: bigint;
  activeConsumerCount: number;
  counters: Record<CounterName, bigint>;
  lastErrorTimestampNs: bigint;
  lastErrorCode: number;
  errorSequence: number;
  totalSlotsWritten: bigint;
  totalSlotsRead: bigint;
  totalBytesWritten: bigint;
  totalBytesRead: bigint;
  uptimeSeconds: bigint;
  creationTimestampNs: bigint;
  /** Entries with a non-zero pid only. */
  consumerHeartbeats: ConsumerHeartbeat[];
  hubUid: string;
  hubName: string;
  producerUid: string;
  producerName: string;
  spinLocks: SpinLock[];
  flexZoneChecksum: string;
  flexZoneChecksumVerified: number;
  headerLayoutHash: string;
  layoutChecksum: string;
  consumerReadCursors: bigint[];
  producerPid: number;
  producerHeartbeatNs: bigint;
}

const latin = new TextDecoder('utf-8');

/** NUL-terminated text in a fixed-size field (invalid UTF-8 becomes U+FFFD, never throws). */
export function cString(bytes: Uint8Array, offset: number, size: number): string {
  const field = bytes.subarray(offset, offset + size);
  const end = field.indexOf(0);
  return latin.decode(end < 0 ? field : field.subarray(0, end));
}

/** Decodes a header copy (at least 4096 bytes). Never throws on garbage: values are reported as found. */
export function decodeHeader(bytes: Uint8Array): Header {
  if (bytes.length < HEADER_SIZE) throw new RangeError(`a header is ${HEADER_SIZE} bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const u32 = (o: number): number => v.getUint32(o, true);
  const u64 = (o: number): bigint => v.getBigUint64(o, true);
  const hex = (o: number, n = 32): string => toHex(bytes.subarray(o, o + n));

  const counters = {} as Record<CounterName, bigint>;
  COUNTER_NAMES.forEach((name, i) => (counters[name] = u64(H.counters + i * 8)));
  ERROR_COUNTER_NAMES.forEach((name, i) => (counters[name] = u64(H.errorCounters + i * 8)));

  const consumerHeartbeats: ConsumerHeartbeat[] = [];
  for (let k = 0; k < HEARTBEAT.count; k++) {
    const at = H.consumerHeartbeats + k * HEARTBEAT.size;
    const pid = u64(at + HEARTBEAT.pid);
    if (pid === 0n) continue;
    consumerHeartbeats.push({
      index: k,
      pid: Number(pid),
      lastHeartbeatNs: u64(at + HEARTBEAT.lastHeartbeatNs),
      uid: cString(bytes, at + HEARTBEAT.uid, HEARTBEAT.uidSize),
      name: cString(bytes, at + HEARTBEAT.name, HEARTBEAT.nameSize),
    });
  }

  const spinLocks: SpinLock[] = [];
  for (let k = 0; k < 8; k++) {
    const at = H.spinLocks + k * 32;
    spinLocks.push({ ownerPid: u64(at), ownerTid: u64(at + 8), generation: u64(at + 16), recursion: u32(at + 24) });
  }

  const commit = u64(H.commitIndex);
  const policy = u32(H.policy);
  const sync = u32(H.consumerSyncPolicy);
  const checksumPolicy = u32(H.checksumPolicy);
  const schemaVersionPacked = u32(H.schemaVersion);
  return {
    magic: u32(H.magic),
    versionMajor: v.getUint16(H.versionMajor, true),
    versionMinor: v.getUint16(H.versionMinor, true),
    totalBlockSize: Number(u64(H.totalBlockSize)),
    flexzoneSchemaHash: hex(H.flexzoneSchemaHash),
    slotSchemaHash: hex(H.slotSchemaHash),
    schemaVersion: formatSchemaVersion(schemaVersionPacked),
    schemaVersionPacked,
    policy,
    policyName: nameOf(POLICY_NAMES, policy),
    consumerSyncPolicy: sync,
    consumerSyncPolicyName: nameOf(SYNC_POLICY_NAMES, sync),
    physicalPageSize: u32(H.physicalPageSize),
    logicalUnitSize: u32(H.logicalUnitSize),
    ringBufferCapacity: u32(H.ringBufferCapacity),
    flexibleZoneSize: u32(H.flexibleZoneSize),
    checksumType: v.getUint8(H.checksumType),
    checksumPolicy,
    checksumPolicyName: nameOf(CHECKSUM_POLICY_NAMES, checksumPolicy),
    writeIndex: u64(H.writeIndex),
    commitIndex: commit === NO_COMMIT ? null : commit,
    readIndex: u64(H.readIndex),
    activeConsumerCount: u32(H.activeConsumerCount),
    counters,
    lastErrorTimestampNs: u64(H.lastErrorTimestampNs),
    lastErrorCode: u32(H.lastErrorCode),
    errorSequence: u32(H.errorSequence),
    totalSlotsWritten: u64(H.totalSlotsWritten),
    totalSlotsRead: u64(H.totalSlotsRead),
    totalBytesWritten: u64(H.totalBytesWritten),
    totalBytesRead: u64(H.totalBytesRead),
    uptimeSeconds: u64(H.uptimeSeconds),
    creationTimestampNs: u64(H.creationTimestampNs),
    consumerHeartbeats,
    hubUid: cString(bytes, IDENTITY_FIELDS.hubUid.offset, IDENTITY_FIELDS.hubUid.size),
    hubName: cString(bytes, IDENTITY_FIELDS.hubName.offset, IDENTITY_FIELDS.hubName.size),
    producerUid: cString(bytes, IDENTITY_FIELDS.producerUid.offset, IDENTITY_FIELDS.producerUid.size),
    producerName: cString(bytes, IDENTITY_FIELDS.producerName.offset, IDENTITY_FIELDS.producerName.size),
    spinLocks,
    flexZoneChecksum: hex(H.flexZoneChecksum),
    flexZoneChecksumVerified: v.getUint8(H.flexZoneChecksum + 32),
    headerLayoutHash: hex(H.headerLayoutHash),
    layoutChecksum: hex(H.layoutChecksum),
    consumerReadCursors: Array.from({ length: CONSUMER_SLOTS }, (_, k) => u64(H.consumerReadCursors + k * 8)),
    producerPid: Number(u64(H.producerPid)),
    producerHeartbeatNs: u64(H.producerHeartbeatNs),
  };
}
