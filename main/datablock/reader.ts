// Passive DataBlock reader (spec section 5): maps a segment read-only, never
// registers as a consumer and never writes, so it cannot disturb a producer.
import { closeSync, statSync } from 'node:fs';
import { native } from '../native/binding.js';
import type { NativeSegment, SegmentRing } from '../native/binding.js';
import { blake2b256, isAllZero, toHex } from './blake2b.js';
import {
  CHECKSUM_BYTES,
  H,
  HEADER_SIZE,
  SLOT,
  SLOT_CHECKSUM_SIZE,
  SLOT_STATE_NAMES,
  SLOT_STATE_SIZE,
  NO_COMMIT,
  nameOf,
  type Geometry,
} from './format.js';
import { decodeHeader, type Header } from './header.js';
import { describeLiveness, monotonicNs, type Liveness } from './liveness.js';
import { resolveSegment, resolveShmName, type SegmentTarget } from './names.js';
import { openCheckedSegmentFile, type CheckedSegmentFile } from './segment-file.js';
import { checkSchema, type SchemaCheck } from './schema-check.js';
import type { ChannelSchema } from './schema.js';
import { validateHeader, type ValidationReport } from './validate.js';

/** A segment that cannot be opened or read; the message names the segment and what is wrong. */
export class DataBlockError extends Error {
  override name = 'DataBlockError';
}

/** One slot's contents, copied consistently. */
export interface SlotRecord {
  /** Slot id (monotonic record number). */
  id: bigint;
  /** Physical slot index: id % capacity. */
  index: number;
  generation: number;
  /** The whole stride, an own copy. */
  bytes: Uint8Array;
  /** The 32-byte BLAKE2b stored for the slot (all zeros = none). */
  checksum: Uint8Array;
  checksumPresent: boolean;
  /** true/false when verified, null when not verified or no checksum stored. */
  checksumOk: boolean | null;
}

/** Per-slot state-table view (spec 2.1), plus its checksum entry. */
export interface SlotView {
  index: number;
  state: number;
  stateName: string;
  generation: bigint;
  readerCount: number;
  writeLockPid: number;
  writerWaiting: number;
  /** The id this slot holds by the generation rule, null when never written. */
  id: bigint | null;
  checksumPresent: boolean;
  /** Set when verified (slots({ verify: true })): null when not verifiable now. */
  checksumOk: boolean | null;
}

export interface ConsumerView {
  index: number;
  pid: number;
  uid: string;
  name: string;
  lastHeartbeatNs: bigint;
  /** Milliseconds since the heartbeat on this machine's monotonic clock. */
  ageMs: number;
  pidExists: boolean | null;
  /** Sequential_sync read cursor of this consumer. */
  readCursor: bigint;
}

export interface OpenOptions {
  /** Open a plain file (a captured segment image) instead of POSIX shared memory. */
  file?: boolean;
}

/** Retries of one slot copy that raced the writer before giving up. */
const COPY_RETRIES = 64;

export class DataBlockReader {
  readonly name: string;
  readonly target: SegmentTarget;
  /** Bytes mapped when opened. */
  readonly size: number;
  private readonly seg: NativeSegment;
  private readonly nat = native();
  private readonly ring: SegmentRing;
  private readonly ino: number;
  private readonly headerBuf = new Uint8Array(HEADER_SIZE);
  private geom: Geometry | null;
  private openReport: ValidationReport;
  private closed = false;
  /** The buffer the native latest() copies into (see latestInto). */
  private boundDest: Uint8Array | null = null;

  /** Where the native side opened the file, when not by its name (see CheckedSegmentFile.reopenPath). */
  private readonly openedAs: string | null;

  /**
   * `checked`: the file as openDataBlock checked it; the mapping must be of that very file.
   * `mapped`: a segment the caller mapped already (a memfd a pylabhub producer handed
   * over, main/pylabhub/shm-handover.ts); the reader owns and closes it.
   */
  constructor(target: SegmentTarget, checked?: CheckedSegmentFile, mapped?: () => NativeSegment) {
    this.target = target;
    this.name = target.display;
    this.openedAs = checked?.reopenPath ?? null;
    try {
      this.seg = mapped
        ? mapped()
        : this.openedAs
          ? new (native().Segment)(this.openedAs, 'file')
          : new (native().Segment)(target.target, target.mode);
    } catch (err) {
      throw new DataBlockError(`cannot open DataBlock ${target.display}: ${this.scrub((err as Error).message)}`);
    }
    this.ring = this.seg.ring;
    this.size = this.seg.size();
    const info = this.seg.fileInfo();
    this.ino = info.ino;
    if (checked && (info.ino !== checked.ino || info.dev !== checked.dev)) {
      this.seg.close();
      throw new DataBlockError(`DataBlock ${target.display} was replaced while it was being opened; try again`);
    }
    this.openReport = this.validate();
    this.geom = this.openReport.geometry;
  }

  /** The geometry, or a DataBlockError listing the problems when the segment cannot be read safely. */
  get geometry(): Geometry {
    if (!this.geom) throw this.unreadable();
    return this.geom;
  }

  private unreadable(): DataBlockError {
    return new DataBlockError(`DataBlock ${this.name} cannot be read: ${this.openReport.problems.join('; ')}`);
  }

  /** Fresh decode of the whole header. */
  header(): Header {
    this.guard(() => this.seg.read(0, Math.min(HEADER_SIZE, this.size), this.headerBuf, 0));
    if (this.size < HEADER_SIZE) this.headerBuf.fill(0, this.size);
    return decodeHeader(this.headerBuf);
  }

  /**
   * Checks the header, and that the segment is still the one we mapped (not
   * truncated, grown, unlinked or replaced). Updates the geometry used for reads.
   */
  validate(): ValidationReport {
    const report = validateHeader(this.header(), this.size);
    const info = this.seg.fileInfo();
    if (info.size < this.size)
      report.problems.push(`the segment shrank from ${this.size} to ${info.size} bytes while open`);
    if (info.size > this.size)
      report.warnings.push(`the segment grew from ${this.size} to ${info.size} bytes while open`);
    if (this.target.mode === 'shm') {
      let nameIno: number | null = null;
      try {
        nameIno = statSync(this.target.path).ino;
      } catch {
        nameIno = null;
      }
      if (nameIno === null) report.warnings.push(`the segment ${this.name} was unlinked; showing the last mapping`);
      else if (nameIno !== this.ino) {
        report.problems.push(`the name ${this.name} now refers to a different segment (replaced); reopen it`);
      }
    }
    if (info.size < this.size) report.geometry = null;
    report.valid = report.problems.length === 0;
    this.openReport = report;
    this.geom = report.geometry;
    const g = this.geom;
    if (g) this.guard(() => this.seg.setRing(g.offRw, g.offCks, g.offRing, g.capacity, g.stride));
    return report;
  }

  /** Validation problems seen at open (or at the last validate()). */
  get report(): ValidationReport {
    return this.openReport;
  }

  /** Last committed id, null when nothing committed yet. */
  commitIndex(): bigint | null {
    const c = this.guard(() => this.seg.load64(H.commitIndex));
    return c === NO_COMMIT ? null : c;
  }

  /**
   * Copies slot `id` into dest[destOffset..] (stride bytes then the 33-byte
   * checksum entry). Returns its generation, or "overwritten" / "pending" /
   * "busy" when the slot does not hold `id` consistently right now.
   */
  copyId(id: bigint, dest: Uint8Array, destOffset = 0): number | 'overwritten' | 'pending' | 'busy' {
    const g = this.geometry;
    const cap = BigInt(g.capacity);
    const index = Number(id % cap);
    const expected = Number(id / cap) + 1;
    for (let attempt = 0; attempt < COPY_RETRIES; attempt++) {
      const gen = this.guard(() =>
        this.seg.snapshot(
          g.offRw + index * SLOT_STATE_SIZE,
          g.offRing + index * g.stride,
          g.stride,
          g.offCks + index * SLOT_CHECKSUM_SIZE,
          SLOT_CHECKSUM_SIZE,
          dest,
          destOffset,
        ),
      );
      if (gen === expected) return gen;
      if (gen > expected) return 'overwritten';
      if (gen >= 0) return 'pending';
    }
    return 'busy';
  }

  /**
   * Hot path for monitors and the benchmark: copies the latest committed slot
   * into `dest` (at least stride + 33 bytes: the slot, then its checksum entry;
   * reused by the caller) in one native call with no allocation. Returns its id
   * as a number (exact below 2^53), or null when nothing is committed or every
   * attempt raced the writer.
   */
  latestInto(dest: Uint8Array): number | null {
    if (!this.geom) throw this.unreadable();
    let id: number;
    try {
      // Binding once per buffer keeps the buffer lookup off the per-call path.
      if (dest !== this.boundDest) {
        const need = this.geom.stride + SLOT_CHECKSUM_SIZE;
        if (dest.length < need)
          throw new RangeError(`dest must hold at least stride + 33 = ${need} bytes, got ${dest.length}`);
        this.seg.bindDest(dest);
        this.boundDest = dest;
      }
      id = this.nat.latest(this.ring);
    } catch (err) {
      throw this.wrapError(err);
    }
    return id >= 0 ? id : null;
  }

  private toRecord(id: bigint, generation: number, buf: Uint8Array, verify: boolean): SlotRecord {
    const g = this.geometry;
    const bytes = buf.subarray(0, g.stride);
    const checksum = buf.subarray(g.stride, g.stride + CHECKSUM_BYTES);
    const checksumPresent = !isAllZero(checksum);
    const checksumOk = verify && checksumPresent ? toHex(blake2b256(bytes)) === toHex(checksum) : null;
    return {
      id,
      index: Number(id % BigInt(g.capacity)),
      generation,
      bytes,
      checksum,
      checksumPresent,
      checksumOk,
    };
  }

  /** The latest committed record, or null when none (or it kept racing the writer). */
  latest(options: { verify?: boolean } = {}): SlotRecord | null {
    const g = this.geometry;
    const buf = new Uint8Array(g.stride + SLOT_CHECKSUM_SIZE);
    const id = this.latestInto(buf);
    if (id === null) return null;
    const big = BigInt(id);
    return this.toRecord(big, Number(big / BigInt(g.capacity)) + 1, buf, options.verify ?? false);
  }

  /**
   * Up to `n` most recent records still in the ring, oldest first (slot-id
   * order), using the generation rule to tell which id each slot holds.
   * Records overwritten while we read are left out.
   */
  recent(n: number, options: { verify?: boolean } = {}): SlotRecord[] {
    const g = this.geometry;
    const last = this.commitIndex();
    if (last === null || n <= 0) return [];
    const count = BigInt(Math.min(n, g.capacity));
    const first = last + 1n >= count ? last + 1n - count : 0n;
    const out: SlotRecord[] = [];
    for (let id = first; id <= last; id++) {
      const buf = new Uint8Array(g.stride + SLOT_CHECKSUM_SIZE);
      const r = this.copyId(id, buf);
      if (typeof r === 'number') out.push(this.toRecord(id, r, buf, options.verify ?? false));
    }
    return out;
  }

  /** The slot state table and checksum presence; verify: also check each committed slot's checksum. */
  slots(options: { verify?: boolean } = {}): SlotView[] {
    const g = this.geometry;
    const table = new Uint8Array(g.capacity * SLOT_STATE_SIZE);
    const cks = new Uint8Array(g.capacity * SLOT_CHECKSUM_SIZE);
    this.guard(() => this.seg.read(g.offRw, table.length, table, 0));
    this.guard(() => this.seg.read(g.offCks, cks.length, cks, 0));
    const v = new DataView(table.buffer);
    const cap = BigInt(g.capacity);
    const views: SlotView[] = [];
    for (let i = 0; i < g.capacity; i++) {
      const at = i * SLOT_STATE_SIZE;
      const generation = v.getBigUint64(at + SLOT.writeGeneration, true);
      const state = v.getUint8(at + SLOT.slotState);
      const id = generation > 0n ? (generation - 1n) * cap + BigInt(i) : null;
      const checksumPresent = !isAllZero(cks.subarray(i * SLOT_CHECKSUM_SIZE, i * SLOT_CHECKSUM_SIZE + CHECKSUM_BYTES));
      let checksumOk: boolean | null = null;
      if (options.verify && checksumPresent && id !== null) {
        checksumOk = this.verifyId(id);
      }
      views.push({
        index: i,
        state,
        stateName: nameOf(SLOT_STATE_NAMES, state),
        generation,
        readerCount: v.getUint32(at + SLOT.readerCount, true),
        writeLockPid: Number(v.getBigUint64(at + SLOT.writeLock, true)),
        writerWaiting: v.getUint8(at + SLOT.writerWaiting),
        id,
        checksumPresent,
        checksumOk,
      });
    }
    return views;
  }

  /** Verifies the checksum of record `id` on a consistent copy; null when it is no longer in the ring or has none. */
  verifyId(id: bigint): boolean | null {
    const g = this.geometry;
    const buf = new Uint8Array(g.stride + SLOT_CHECKSUM_SIZE);
    const r = this.copyId(id, buf);
    if (typeof r !== 'number') return null;
    return this.toRecord(id, r, buf, true).checksumOk;
  }

  /** Copy of the flexible zone (empty when the segment has none). */
  flexZone(): Uint8Array {
    const g = this.geometry;
    const out = new Uint8Array(g.flexZoneSize);
    if (out.length > 0) this.guard(() => this.seg.read(g.offFz, out.length, out, 0));
    return out;
  }

  /** Checks the flexible-zone checksum (header 0x7C0); null when none is stored. */
  verifyFlexZone(): boolean | null {
    const stored = new Uint8Array(CHECKSUM_BYTES);
    this.guard(() => this.seg.read(H.flexZoneChecksum, CHECKSUM_BYTES, stored, 0));
    if (isAllZero(stored)) return null;
    return toHex(blake2b256(this.flexZone())) === toHex(stored);
  }

  /** Registered consumers (non-zero pid) with heartbeat ages on this machine's monotonic clock. */
  consumers(header: Header = this.header()): ConsumerView[] {
    const now = monotonicNs();
    return header.consumerHeartbeats.map((c) => {
      const live = describeLiveness(c.pid, c.lastHeartbeatNs, now);
      return {
        index: c.index,
        pid: c.pid,
        uid: c.uid,
        name: c.name,
        lastHeartbeatNs: c.lastHeartbeatNs,
        ageMs: live.heartbeatAgeMs ?? Number.NaN,
        pidExists: live.pidExists,
        readCursor: header.consumerReadCursors[c.index] ?? 0n,
      };
    });
  }

  /** Producer liveness: heartbeat on this machine's CLOCK_MONOTONIC, then the pid (spec section 5). */
  liveness(header: Header = this.header()): Liveness {
    return describeLiveness(header.producerPid, header.producerHeartbeatNs, monotonicNs());
  }

  /** Compares a schema's fingerprints and size with the header (mismatches in words, naming both fingerprints). */
  checkSchema(schema: ChannelSchema, header: Header = this.header()): SchemaCheck {
    return checkSchema(schema, header);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.seg.close();
  }

  /** Runs a native access, turning its errors into DataBlockErrors naming this segment. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.wrapError(err);
    }
  }

  /** Native messages name the file as opened; show the user's name for it instead. */
  private scrub(message: string): string {
    return this.openedAs ? message.split(this.openedAs).join(this.target.target) : message;
  }

  private wrapError(err: unknown): DataBlockError {
    const message = this.scrub((err as Error).message);
    return new DataBlockError(message.includes(this.target.target) ? message : `DataBlock ${this.name}: ${message}`);
  }
}

/** Checks the file (regular, header-sized, PLHB magic) before anything is mapped or decoded, then maps it. */
function openTarget(target: SegmentTarget): DataBlockReader {
  let checked: CheckedSegmentFile;
  try {
    checked = openCheckedSegmentFile(target);
  } catch (err) {
    throw new DataBlockError((err as Error).message);
  }
  try {
    return new DataBlockReader(target, checked);
  } finally {
    closeSync(checked.fd);
  }
}

/**
 * Opens a DataBlock read-only: a POSIX shm name (with or without the leading
 * "/"), or with { file: true } / a path containing "/" past its first character
 * a captured image file. A file that is not a DataBlock is refused with an error
 * that names the rule it broke and shows none of its contents.
 */
export function openDataBlock(name: string, options: OpenOptions = {}): DataBlockReader {
  let target: SegmentTarget;
  try {
    target = resolveSegment(name, options);
  } catch (err) {
    throw new DataBlockError((err as Error).message);
  }
  return openTarget(target);
}

/**
 * Opens a segment by its shm name only (a regular file directly in /dev/shm, no
 * symbolic link), never a path: for names that come from a client of the contract.
 */
export function openSharedMemorySegment(name: string): DataBlockReader {
  let target: SegmentTarget;
  try {
    target = resolveShmName(name);
  } catch (err) {
    throw new DataBlockError((err as Error).message);
  }
  return openTarget(target);
}
