// DataBlock writer (docs/datablock-format.md, "Layout" and "Write protocol"):
// creates a segment laid out exactly as the C++ producer lays it out, and
// writes/commits records with the single-writer protocol, stamping checksums
// as "Checksums" describes. The native side only offers atomics and copies at
// offsets; the protocol is here.
import { native, type NativeSegment } from '../native/binding.js';
import { blake2b256, fromHex } from './blake2b.js';
import { registerCleanup } from './cleanup.js';
import {
  CHECKSUM_BYTES,
  CHECKSUM_POLICY_NAMES,
  H,
  HEADER_SIZE,
  IDENTITY_FIELDS,
  MAGIC,
  NEWEST_LAYOUT_HASH,
  NO_COMMIT,
  PAGE,
  POLICY_NAMES,
  SLOT,
  SLOT_CHECKSUM_SIZE,
  SLOT_STATE_SIZE,
  SYNC_POLICY_NAMES,
  SlotState,
  VERSION_MAJOR,
  VERSION_MINOR,
  geometryOf,
  layoutChecksumInput,
  roundUp,
  type ChecksumPolicyName,
  type Geometry,
  type PolicyName,
  type SyncPolicyName,
} from './format.js';
import { pidExists, monotonicNs } from './liveness.js';
import { resolveSegment } from './names.js';
import { openDataBlock } from './reader.js';
import {
  encodeStruct,
  fingerprintBytesOf,
  layoutOf,
  packSchemaVersion,
  type ChannelSchema,
  type EncodableValue,
  type StructLayout,
} from './schema.js';
import { LIMITS } from './validate.js';

export interface Identity {
  hubUid?: string;
  hubName?: string;
  producerUid?: string;
  producerName?: string;
}

export interface CreateOptions {
  /** Channel schema: sizes the slot (and flexible zone) and, unless writeSchemaHashes is false, its fingerprints go into the header. */
  schema?: ChannelSchema;
  /** Payload bytes per slot when there is no schema (rounded up to a multiple of 64). */
  slotSize?: number;
  /** Slot count. Default: 1 for Single, 2 for DoubleBuffer, 8 for RingBuffer. */
  capacity?: number;
  policy?: PolicyName | number;
  syncPolicy?: SyncPolicyName | number;
  /** Flexible zone bytes (rounded up to 4096). Default: the schema's flexzone size, else 0. */
  flexZoneSize?: number;
  checksumPolicy?: ChecksumPolicyName | number;
  identity?: Identity;
  /** "1.2.3" or a packed number. Default: the schema's version as major (0 without a schema). */
  schemaVersion?: string | number;
  /** Write the schema fingerprints into the header (default true when a schema is given). */
  writeSchemaHashes?: boolean;
  /** If the name exists and its producer is dead (or the segment is invalid), unlink it first. */
  replaceStale?: boolean;
  /** Producer heartbeat refresh period when idle (default 1000 ms; the C++ side calls > 5 s stale). */
  heartbeatIntervalMs?: number;
}

/** The configuration a writer ended up with, after defaults and rounding. */
export interface WriterConfig {
  capacity: number;
  policy: number;
  syncPolicy: number;
  checksumPolicy: number;
  /** Stride: rounded payload size. */
  slotSize: number;
  flexZoneSize: number;
  schemaVersion: number;
}

export interface WriteOptions {
  /** Sequential policies: how long to wait for a full ring to drain before giving up (default 0). */
  timeoutMs?: number;
  /**
   * Stamp this record's slot checksum as part of its commit, before the record
   * is published, so no reader ever sees it unstamped. This is how a producer
   * checksums records under the Manual policy; under Enforced every record is
   * stamped anyway. Under None it stamps too (readers then may, but need not, verify).
   */
  stamp?: boolean;
}

/** Checksum policy values (header 0x0B0). */
const ChecksumPolicy = { None: 0, Manual: 1, Enforced: 2 } as const;

const POLICY_DEFAULT_CAPACITY = [1, 2, 8];
const READER_DRAIN_TIMEOUT_MS = 1000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function enumValue(
  names: readonly string[],
  value: string | number | undefined,
  fallback: number,
  what: string,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : names.indexOf(value);
  if (!Number.isInteger(n) || n < 0 || n >= names.length) {
    throw new RangeError(`${what} must be one of ${names.join(', ')}, got ${String(value)}`);
  }
  return n;
}

function parseVersion(v: string | number | undefined, schema: ChannelSchema | undefined): number {
  if (typeof v === 'number') return v >>> 0;
  if (typeof v === 'string') {
    const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
    if (!m) throw new RangeError(`schemaVersion must look like "1.2.3", got "${v}"`);
    return packSchemaVersion(Number(m[1]), Number(m[2]), Number(m[3]));
  }
  return schema ? packSchemaVersion(schema.version, 0, 0) : 0;
}

/** Resolves defaults and rounding ("Layout": stride to 64, flexible zone to 4096). */
export function resolveConfig(options: CreateOptions): WriterConfig {
  const policy = enumValue(POLICY_NAMES, options.policy, 2, 'policy');
  const syncPolicy = enumValue(SYNC_POLICY_NAMES, options.syncPolicy, 0, 'syncPolicy');
  const checksumPolicy = enumValue(CHECKSUM_POLICY_NAMES, options.checksumPolicy, 0, 'checksumPolicy');
  const capacity = options.capacity ?? POLICY_DEFAULT_CAPACITY[policy] ?? 8;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > LIMITS.maxCapacity) {
    throw new RangeError(`capacity must be an integer from 1 to ${LIMITS.maxCapacity}, got ${capacity}`);
  }
  const payload = Math.max(options.slotSize ?? 0, options.schema ? layoutOf(options.schema.slot).size : 0, 1);
  const slotSize = roundUp(payload, 64);
  if (slotSize > LIMITS.maxStride) throw new RangeError(`slot size ${payload} exceeds ${LIMITS.maxStride} bytes`);
  const flexWanted = options.flexZoneSize ?? (options.schema?.flexzone ? layoutOf(options.schema.flexzone).size : 0);
  if (!Number.isInteger(flexWanted) || flexWanted < 0 || flexWanted > LIMITS.maxFlexZone) {
    throw new RangeError(`flexZoneSize must be an integer from 0 to ${LIMITS.maxFlexZone}, got ${flexWanted}`);
  }
  const flexZoneSize = roundUp(flexWanted, PAGE);
  return {
    capacity,
    policy,
    syncPolicy,
    checksumPolicy,
    slotSize,
    flexZoneSize,
    schemaVersion: parseVersion(options.schemaVersion, options.schema),
  };
}

function putText(
  header: Uint8Array,
  field: { offset: number; size: number },
  text: string | undefined,
  what: string,
): void {
  if (!text) return;
  const bytes = new TextEncoder().encode(text);
  if (bytes.length >= field.size)
    throw new RangeError(`identity ${what} "${text}" is longer than ${field.size - 1} bytes`);
  header.set(bytes, field.offset);
}

/** Every header field a creator writes ("Write protocol", creation), except the magic, which goes last. */
export function encodeHeader(config: WriterConfig, g: Geometry, options: CreateOptions, nowNs: bigint): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(H.versionMajor, VERSION_MAJOR, true);
  v.setUint16(H.versionMinor, VERSION_MINOR, true);
  v.setBigUint64(H.totalBlockSize, BigInt(g.total), true);
  if (options.schema && options.writeSchemaHashes !== false) {
    b.set(fingerprintBytesOf(options.schema.slot), H.slotSchemaHash);
    if (options.schema.flexzone) b.set(fingerprintBytesOf(options.schema.flexzone), H.flexzoneSchemaHash);
  }
  v.setUint32(H.schemaVersion, config.schemaVersion, true);
  v.setUint32(H.policy, config.policy, true);
  v.setUint32(H.consumerSyncPolicy, config.syncPolicy, true);
  v.setUint32(H.physicalPageSize, PAGE, true);
  v.setUint32(H.logicalUnitSize, config.slotSize, true);
  v.setUint32(H.ringBufferCapacity, config.capacity, true);
  v.setUint32(H.flexibleZoneSize, config.flexZoneSize, true);
  v.setUint8(H.checksumType, 0);
  v.setUint32(H.checksumPolicy, config.checksumPolicy, true);
  v.setBigUint64(H.writeIndex, 0n, true);
  v.setBigUint64(H.commitIndex, NO_COMMIT, true);
  v.setBigUint64(H.readIndex, 0n, true);
  v.setBigUint64(H.creationTimestampNs, nowNs, true);
  const id = options.identity ?? {};
  putText(b, IDENTITY_FIELDS.hubUid, id.hubUid, 'hubUid');
  putText(b, IDENTITY_FIELDS.hubName, id.hubName, 'hubName');
  putText(b, IDENTITY_FIELDS.producerUid, id.producerUid, 'producerUid');
  putText(b, IDENTITY_FIELDS.producerName, id.producerName, 'producerName');
  b.set(fromHex(NEWEST_LAYOUT_HASH), H.headerLayoutHash);
  const layout = layoutChecksumInput({
    capacity: config.capacity,
    physicalPageSize: PAGE,
    stride: config.slotSize,
    flexZoneSize: config.flexZoneSize,
    checksumType: 0,
    policy: config.policy,
    syncPolicy: config.syncPolicy,
  });
  b.set(blake2b256(layout), H.layoutChecksum);
  v.setBigUint64(H.producerPid, BigInt(process.pid), true);
  v.setBigUint64(H.producerHeartbeatNs, nowNs, true);
  return b;
}

export class DataBlockWriter {
  /** Shm name without the leading "/". */
  readonly name: string;
  readonly config: WriterConfig;
  readonly geometry: Geometry;
  readonly schema: ChannelSchema | undefined;
  readonly slotLayout: StructLayout | undefined;
  readonly flexLayout: StructLayout | undefined;
  private readonly seg: NativeSegment;
  private readonly shmName: string;
  private readonly pid = BigInt(process.pid);
  private readonly staging: Uint8Array;
  private readonly enforced: boolean;
  /** Reused 33-byte slot checksum entry: digest, then the verified flag (0 when a writer stamps). */
  private readonly cksEntry = new Uint8Array(SLOT_CHECKSUM_SIZE);
  /**
   * Enforced with a flexible zone: the zone's checksum entry, restamped on every
   * commit. Cached because only setFlexZone() changes the zone (it recomputes it).
   */
  private flexEntry: Uint8Array | null = null;
  /** Per slot: 1 while its checksum entry holds a stamp (so an unstamped overwrite can clear it). */
  private readonly stamped: Uint8Array;
  private readonly zeroEntry = new Uint8Array(SLOT_CHECKSUM_SIZE);
  private readonly timer: NodeJS.Timeout;
  private readonly unregister: () => void;
  private closed = false;

  constructor(name: string, options: CreateOptions = {}) {
    const target = resolveSegment(name);
    this.name = target.display;
    this.shmName = target.target;
    this.schema = options.schema;
    this.slotLayout = options.schema ? layoutOf(options.schema.slot) : undefined;
    this.flexLayout = options.schema?.flexzone ? layoutOf(options.schema.flexzone) : undefined;
    this.config = resolveConfig(options);
    const c = this.config;
    this.geometry = geometryOf(c.capacity, c.slotSize, c.flexZoneSize);
    if (options.replaceStale) replaceIfStale(this.name);
    try {
      this.seg = new (native().Segment)(this.shmName, 'create', this.geometry.total);
    } catch (err) {
      const message = (err as Error).message;
      throw new Error(
        message.includes('File exists')
          ? `DataBlock ${this.name} already exists (another producer, or a leftover: remove it or use replaceStale)`
          : `cannot create DataBlock ${this.name}: ${message}`,
      );
    }
    this.unregister = registerCleanup(() => this.destroy());
    this.staging = new Uint8Array(c.slotSize);
    this.stamped = new Uint8Array(c.capacity);
    this.enforced = c.checksumPolicy === ChecksumPolicy.Enforced;
    this.seg.write(0, encodeHeader(c, this.geometry, options, monotonicNs()));
    if (this.enforced && c.flexZoneSize > 0) {
      // The untouched zone is all zeros; a C++ consumer under Enforced verifies it from the first slot on.
      this.flexEntry = checksumEntryOf(new Uint8Array(c.flexZoneSize));
      this.seg.write(H.flexZoneChecksum, this.flexEntry);
    }
    this.seg.store32(H.magic, MAGIC); // last, with release ordering ("Write protocol")
    const period = options.heartbeatIntervalMs ?? 1000;
    this.timer = setInterval(() => this.heartbeat(), period);
    this.timer.unref();
  }

  /** Refreshes the producer pid and heartbeat (also done on every commit). */
  heartbeat(): void {
    if (this.closed) return;
    this.seg.store64(H.producerPid, this.pid);
    this.seg.store64(H.producerHeartbeatNs, monotonicNs());
  }

  /** Encodes `record` with the schema's slot layout and commits it. See writeRaw for the result. */
  write(record: Readonly<Record<string, EncodableValue | undefined>>, options: WriteOptions = {}): boolean {
    if (!this.slotLayout) throw new Error(`DataBlock ${this.name} was created without a schema: use writeRaw()`);
    encodeStruct(this.slotLayout, record, this.staging);
    return this.commitPayload(this.staging, options);
  }

  /**
   * Commits `bytes` (at most one stride; the rest of the slot is zeroed) as the
   * next record. Returns false when a Sequential ring stayed full for timeoutMs
   * or the slot could not be taken; nothing is committed then.
   */
  writeRaw(bytes: Uint8Array, options: WriteOptions = {}): boolean {
    if (bytes.length > this.config.slotSize) {
      throw new RangeError(`${bytes.length} bytes do not fit the ${this.config.slotSize}-byte slots of ${this.name}`);
    }
    let payload = bytes;
    if (bytes.length !== this.config.slotSize) {
      this.staging.set(bytes);
      this.staging.fill(0, bytes.length);
      payload = this.staging;
    }
    return this.commitPayload(payload, options);
  }

  /** Writes the flexible zone (bytes, or a record encoded with the schema's flexzone layout). */
  setFlexZone(content: Uint8Array | Readonly<Record<string, EncodableValue | undefined>>): void {
    const size = this.config.flexZoneSize;
    const zone = new Uint8Array(size);
    if (content instanceof Uint8Array) {
      if (content.length > size)
        throw new RangeError(`${content.length} bytes do not fit the ${size}-byte flexible zone of ${this.name}`);
      zone.set(content);
    } else {
      if (!this.flexLayout) throw new Error(`DataBlock ${this.name} has no flexzone schema: pass bytes`);
      encodeStruct(this.flexLayout, content, zone);
    }
    this.seg.write(this.geometry.offFz, zone);
    if (this.enforced && size > 0) {
      this.flexEntry = checksumEntryOf(zone);
      this.seg.write(H.flexZoneChecksum, this.flexEntry);
    }
  }

  /**
   * Stamps the flexible-zone checksum (header 0x7C0) over the zone as it is now.
   * Under Manual, call it after setFlexZone() (and once after creation if
   * consumers verify an untouched zone); under Enforced the writer does it itself.
   */
  stampFlexZone(): void {
    this.assertOpen();
    const size = this.config.flexZoneSize;
    if (size === 0) throw new Error(`DataBlock ${this.name} has no flexible zone to stamp`);
    const zone = new Uint8Array(size);
    this.seg.read(this.geometry.offFz, size, zone, 0);
    const entry = checksumEntryOf(zone);
    if (this.enforced) this.flexEntry = entry;
    this.seg.write(H.flexZoneChecksum, entry);
  }

  /**
   * Stamps the slot checksum of record `id`, already committed. Returns false
   * when the ring no longer holds it (overwritten) or it was never committed.
   * A reader may have seen the record unstamped before this call; to avoid
   * that, stamp while committing instead: write(record, { stamp: true }).
   */
  stampSlot(id: bigint | number): boolean {
    this.assertOpen();
    if (typeof id === 'number' ? !Number.isSafeInteger(id) || id < 0 : id < 0n) {
      throw new RangeError(`record id must be a non-negative integer, got ${String(id)}`);
    }
    const big = BigInt(id);
    const g = this.geometry;
    const cap = BigInt(g.capacity);
    const i = Number(big % cap);
    const at = g.offRw + i * SLOT_STATE_SIZE;
    if (big >= this.seg.load64(H.writeIndex)) return false;
    if (this.seg.load8(at + SLOT.slotState) !== SlotState.Committed) return false;
    // Generation rule ("Read protocol"): the slot holds id iff its generation is floor(id / capacity) + 1.
    if (this.seg.load64(at + SLOT.writeGeneration) !== big / cap + 1n) return false;
    this.seg.read(g.offRing + i * g.stride, g.stride, this.staging, 0);
    this.stampSlotChecksum(i, this.staging);
    return true;
  }

  private stampSlotChecksum(index: number, slot: Uint8Array): void {
    this.cksEntry.set(blake2b256(slot));
    this.cksEntry[CHECKSUM_BYTES] = 0; // the verified flag belongs to readers; a fresh stamp is unverified
    this.seg.write(this.geometry.offCks + index * SLOT_CHECKSUM_SIZE, this.cksEntry);
    this.stamped[index] = 1;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`DataBlock ${this.name} is closed`);
  }

  /** Next id the writer will claim. */
  get writeIndex(): bigint {
    return this.seg.load64(H.writeIndex);
  }

  private waitForRoom(timeoutMs: number): boolean {
    if (this.config.syncPolicy === 0) return true;
    const cap = BigInt(this.config.capacity);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.seg.load64(H.writeIndex) - this.seg.load64(H.readIndex) < cap) return true;
      if (Date.now() >= deadline) return false;
      sleepMs(1);
    }
  }

  /** Step 3: CAS write_lock 0 -> pid; a dead holder may be replaced. */
  private takeLock(at: number): boolean {
    if (this.seg.cas64(at + SLOT.writeLock, 0n, this.pid)) return true;
    const holder = this.seg.load64(at + SLOT.writeLock);
    if (holder === this.pid) return true;
    if (!pidExists(Number(holder))) return this.seg.cas64(at + SLOT.writeLock, holder, this.pid);
    return false;
  }

  private abort(at: number): void {
    this.seg.store8(at + SLOT.slotState, SlotState.Free);
    this.seg.store64(at + SLOT.writeLock, 0n);
    this.seg.add64(H.writeIndex, 0xffff_ffff_ffff_ffffn); // write_index-- (mod 2^64)
  }

  private commitPayload(payload: Uint8Array, options: WriteOptions): boolean {
    this.assertOpen();
    const g = this.geometry;
    if (!this.waitForRoom(options.timeoutMs ?? 0)) return false;
    const id = this.seg.add64(H.writeIndex, 1n);
    const i = Number(id % BigInt(g.capacity));
    const at = g.offRw + i * SLOT_STATE_SIZE;
    if (!this.takeLock(at)) {
      this.seg.add64(H.writeIndex, 0xffff_ffff_ffff_ffffn);
      this.seg.add64(H.counters + 8, 1n); // writer_lock_timeout
      return false;
    }
    if (this.seg.load8(at + SLOT.slotState) === SlotState.Committed) {
      this.seg.store8(at + SLOT.slotState, SlotState.Draining);
      const deadline = Date.now() + READER_DRAIN_TIMEOUT_MS;
      while (this.seg.load32(at + SLOT.readerCount) !== 0) {
        if (Date.now() >= deadline) {
          this.abort(at);
          this.seg.add64(H.counters + 16, 1n); // writer_reader_timeout
          return false;
        }
        sleepMs(1);
      }
    }
    this.seg.store8(at + SLOT.slotState, SlotState.Writing);
    this.seg.write(g.offRing + i * g.stride, payload);
    // Step 6 starts with the checksums, before the generation publishes the record.
    if (this.enforced || options.stamp === true) this.stampSlotChecksum(i, payload);
    else if (this.stamped[i] === 1) {
      // The entry still holds the stamp of the record this one replaces: a verifying reader
      // would call the new record corrupt. All zeros says "no checksum" instead.
      this.seg.write(g.offCks + i * SLOT_CHECKSUM_SIZE, this.zeroEntry);
      this.stamped[i] = 0;
    }
    if (this.flexEntry) this.seg.write(H.flexZoneChecksum, this.flexEntry);
    this.seg.add64(at + SLOT.writeGeneration, 1n);
    this.seg.store8(at + SLOT.slotState, SlotState.Committed);
    this.seg.store64(H.commitIndex, id);
    this.seg.add64(H.totalSlotsWritten, 1n);
    this.heartbeat();
    this.seg.store64(at + SLOT.writeLock, 0n);
    return true;
  }

  private destroy(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.seg.close();
    native().unlinkShm(this.shmName);
  }

  /** True once closed, by close() or by the process-wide cleanup on exit or a signal. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Unmaps and unlinks the segment (also done at exit and on SIGINT/SIGTERM). */
  close(): void {
    this.unregister();
    this.destroy();
  }
}

/** A 33-byte checksum entry for `bytes`: BLAKE2b-256, then a zero verified flag. */
function checksumEntryOf(bytes: Uint8Array): Uint8Array {
  const entry = new Uint8Array(SLOT_CHECKSUM_SIZE);
  entry.set(blake2b256(bytes));
  return entry;
}

/** Unlinks `name` if it exists and is invalid or its producer is dead. */
function replaceIfStale(name: string): void {
  let reader;
  try {
    reader = openDataBlock(name);
  } catch {
    native().unlinkShm(`/${name}`); // unreadable or absent
    return;
  }
  try {
    const dead = !reader.report.valid || !reader.liveness().alive;
    if (dead) native().unlinkShm(`/${name}`);
  } finally {
    reader.close();
  }
}

/** Creates a DataBlock in POSIX shm, laid out as the C++ producer would, ready for write(). */
export function createDataBlock(name: string, options: CreateOptions = {}): DataBlockWriter {
  return new DataBlockWriter(name, options);
}
