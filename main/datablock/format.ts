// The PLHB v1.0 byte format (docs/datablock-format.md, "Layout"): constants, header field
// offsets, segment geometry, the layout checksum and the header-layout eras.
// Pure functions over bytes; no I/O.
import { blake2b256, toHex } from './blake2b.js';

export const MAGIC = 0x504c4842; // "PLHB" as a little-endian u32
export const VERSION_MAJOR = 1;
export const VERSION_MINOR = 0;
export const HEADER_SIZE = 4096;
export const PAGE = 4096;
export const SLOT_STATE_SIZE = 64;
export const SLOT_CHECKSUM_SIZE = 33;
export const CHECKSUM_BYTES = 32;
export const NO_COMMIT = 0xffff_ffff_ffff_ffffn;
export const CONSUMER_SLOTS = 8;

/** Slot-state values ("Layout", slot state table). */
export const SlotState = { Free: 0, Writing: 1, Committed: 2, Draining: 3 } as const;
export const SLOT_STATE_NAMES = ['FREE', 'WRITING', 'COMMITTED', 'DRAINING'] as const;

export const POLICY_NAMES = ['Single', 'DoubleBuffer', 'RingBuffer'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
export const SYNC_POLICY_NAMES = ['Latest_only', 'Sequential', 'Sequential_sync'] as const;
export type SyncPolicyName = (typeof SYNC_POLICY_NAMES)[number];
export const CHECKSUM_POLICY_NAMES = ['None', 'Manual', 'Enforced'] as const;
export type ChecksumPolicyName = (typeof CHECKSUM_POLICY_NAMES)[number];

/** Header byte offsets ("Layout", header). */
export const H = {
  magic: 0x000,
  versionMajor: 0x004,
  versionMinor: 0x006,
  totalBlockSize: 0x008,
  flexzoneSchemaHash: 0x050,
  slotSchemaHash: 0x070,
  schemaVersion: 0x090,
  policy: 0x094,
  consumerSyncPolicy: 0x098,
  physicalPageSize: 0x09c,
  logicalUnitSize: 0x0a0,
  ringBufferCapacity: 0x0a4,
  flexibleZoneSize: 0x0a8,
  checksumType: 0x0ac,
  checksumPolicy: 0x0b0,
  writeIndex: 0x0b8,
  commitIndex: 0x0c0,
  readIndex: 0x0c8,
  activeConsumerCount: 0x0d0,
  counters: 0x0d8,
  lastErrorTimestampNs: 0x130,
  lastErrorCode: 0x138,
  errorSequence: 0x13c,
  errorCounters: 0x140,
  totalSlotsWritten: 0x1b0,
  totalSlotsRead: 0x1b8,
  totalBytesWritten: 0x1c0,
  totalBytesRead: 0x1c8,
  uptimeSeconds: 0x1d0,
  creationTimestampNs: 0x1d8,
  consumerHeartbeats: 0x1f0,
  hubUid: 0x5f0,
  hubName: 0x618,
  producerUid: 0x658,
  producerName: 0x680,
  spinLocks: 0x6c0,
  flexZoneChecksum: 0x7c0,
  headerLayoutHash: 0x9c0,
  layoutChecksum: 0x9e0,
  consumerReadCursors: 0xa00,
  producerPid: 0xa40,
  producerHeartbeatNs: 0xa48,
} as const;

/** Identity text fields: offset and capacity (NUL-terminated). */
export const IDENTITY_FIELDS = {
  hubUid: { offset: H.hubUid, size: 40 },
  hubName: { offset: H.hubName, size: 64 },
  producerUid: { offset: H.producerUid, size: 40 },
  producerName: { offset: H.producerName, size: 64 },
} as const;

export const COUNTER_NAMES = [
  'writerTimeout',
  'writerLockTimeout',
  'writerReaderTimeout',
  'writerBlockedTotalNs',
  'writeLockContention',
  'writeGenerationWraps',
  'readerNotReady',
  'readerRaceDetected',
  'readerValidationFailed',
  'readerPeakCount',
  'readerTimeout',
] as const;

export const ERROR_COUNTER_NAMES = [
  'slotAcquireErrors',
  'slotCommitErrors',
  'checksumFailures',
  'zmqSendFailures',
  'zmqRecvFailures',
  'zmqTimeoutCount',
  'recoveryActionsCount',
  'schemaMismatchCount',
] as const;

/** Consumer heartbeat entry (128 bytes at H.consumerHeartbeats + k*128). */
export const HEARTBEAT = {
  count: 8,
  size: 128,
  pid: 0,
  lastHeartbeatNs: 8,
  uid: 16,
  uidSize: 40,
  name: 56,
  nameSize: 32,
} as const;

/** Slot-state entry field offsets ("Layout", slot state table). */
export const SLOT = { writeLock: 0, readerCount: 8, slotState: 12, writerWaiting: 13, writeGeneration: 16 } as const;

/** Header layout hashes seen in the field (4096-byte pages), newest first ("Header layout hash and eras"). */
export const ERAS = [
  { hash: 'b1820e5099bfdd8f29c33c7db2ba20928cc14f5e7a06139208d8cfe8d18f9f1f', era: '2026-07 on (newest)' },
  { hash: '3a181b7bf9e309120aa4a759bb74740ec649c174f80b8e02aa435b2cec60ac17', era: '2026-04 to 2026-07' },
  { hash: '95515799940ea54b4037bb83c8fe3a64493048cd15b7550861c65e000d0c058e', era: '2026-02 to 2026-04' },
] as const;
export const NEWEST_LAYOUT_HASH = ERAS[0].hash;

/** The era a header layout hash belongs to, or null when unknown. */
export function eraOf(layoutHashHex: string): string | null {
  return ERAS.find((e) => e.hash === layoutHashHex)?.era ?? null;
}

export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Byte offsets of every region of a segment with this geometry ("Layout"). */
export interface Geometry {
  capacity: number;
  stride: number;
  flexZoneSize: number;
  offRw: number;
  offCks: number;
  offFz: number;
  offRing: number;
  total: number;
}

export function geometryOf(capacityField: number, stride: number, flexZoneSize: number): Geometry {
  const capacity = capacityField === 0 ? 1 : capacityField;
  const offRw = HEADER_SIZE;
  const offCks = offRw + capacity * SLOT_STATE_SIZE;
  const offFz = roundUp(offCks + capacity * SLOT_CHECKSUM_SIZE, PAGE);
  const offRing = offFz + flexZoneSize;
  const total = roundUp(offRing + capacity * stride, PAGE);
  return { capacity, stride, flexZoneSize, offRw, offCks, offFz, offRing, total };
}

/** The 24 bytes the layout checksum covers ("Header layout hash and eras", 0x9E0). */
export function layoutChecksumInput(g: {
  capacity: number;
  physicalPageSize: number;
  stride: number;
  flexZoneSize: number;
  checksumType: number;
  policy: number;
  syncPolicy: number;
}): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, g.capacity >>> 0, true);
  v.setUint32(4, g.physicalPageSize >>> 0, true);
  v.setUint32(8, g.stride >>> 0, true);
  v.setBigUint64(12, BigInt(g.flexZoneSize), true);
  b[20] = g.checksumType & 0xff;
  b[21] = g.policy & 0xff;
  b[22] = g.syncPolicy & 0xff;
  b[23] = 0;
  return b;
}

export function layoutChecksumOf(g: Parameters<typeof layoutChecksumInput>[0]): string {
  return toHex(blake2b256(layoutChecksumInput(g)));
}

/** Names an enum value, or "unknown (n)". */
export function nameOf(names: readonly string[], value: number): string {
  return names[value] ?? `unknown (${value})`;
}
