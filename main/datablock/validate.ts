// Checks a decoded header against the file it came from and the spec, and
// says in words what is wrong. A segment whose geometry does not fit its file
// is never read past the header.
import {
  HEADER_SIZE,
  MAGIC,
  PAGE,
  VERSION_MAJOR,
  VERSION_MINOR,
  eraOf,
  geometryOf,
  layoutChecksumOf,
  type Geometry,
} from './format.js';
import type { Header } from './header.js';

/** Limits beyond which a header value is treated as garbage rather than a real configuration. */
export const LIMITS = { maxCapacity: 1 << 20, maxStride: 1 << 30, maxFlexZone: 1 << 30 } as const;

export interface ValidationReport {
  /** True when the segment can be read: no entry in `problems`. */
  valid: boolean;
  /** Each problem in words (wrong magic, size mismatch, bad layout checksum, ...). */
  problems: string[];
  /** Things a user should know that do not stop reading (unknown era, layout checksum racing creation). */
  warnings: string[];
  /** Era of the header layout hash, "unknown" when not one of the known hashes. */
  era: string;
  /** Region offsets, present only when the geometry is sane and fits the file. */
  geometry: Geometry | null;
}

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

export function validateHeader(h: Header, fileSize: number): ValidationReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  const era = eraOf(h.headerLayoutHash);

  if (fileSize < HEADER_SIZE) {
    problems.push(`the segment is ${fileSize} bytes, smaller than the ${HEADER_SIZE}-byte header`);
    return { valid: false, problems, warnings, era: era ?? 'unknown', geometry: null };
  }
  if (h.magic !== MAGIC) {
    problems.push(
      `wrong magic ${hex32(h.magic)} (expected ${hex32(MAGIC)}, "PLHB"): not a DataBlock or not yet initialised`,
    );
  }
  if (h.versionMajor !== VERSION_MAJOR || h.versionMinor > VERSION_MINOR) {
    problems.push(
      `unsupported format version ${h.versionMajor}.${h.versionMinor} (this reader understands ${VERSION_MAJOR}.0 to ${VERSION_MAJOR}.${VERSION_MINOR})`,
    );
  }
  if (h.totalBlockSize !== fileSize) {
    problems.push(`header says total_block_size ${h.totalBlockSize} bytes but the segment is ${fileSize} bytes`);
  }

  const stride = h.logicalUnitSize;
  const capacity = h.ringBufferCapacity;
  const flex = h.flexibleZoneSize;
  let sane = true;
  if (capacity > LIMITS.maxCapacity) {
    problems.push(`absurd ring_buffer_capacity ${capacity} (limit ${LIMITS.maxCapacity})`);
    sane = false;
  }
  if (stride === 0 || stride % 64 !== 0 || stride > LIMITS.maxStride) {
    problems.push(
      `absurd logical_unit_size (slot stride) ${stride}: must be a non-zero multiple of 64 up to ${LIMITS.maxStride}`,
    );
    sane = false;
  }
  if (flex % PAGE !== 0 || flex > LIMITS.maxFlexZone) {
    problems.push(`absurd flexible_zone_size ${flex}: must be a multiple of ${PAGE} up to ${LIMITS.maxFlexZone}`);
    sane = false;
  }
  let geometry: Geometry | null = null;
  if (sane) {
    const g = geometryOf(capacity, stride, flex);
    if (g.total !== h.totalBlockSize) {
      problems.push(
        `capacity ${g.capacity} x stride ${stride} with a ${flex}-byte flexible zone needs ${g.total} bytes, but total_block_size is ${h.totalBlockSize}`,
      );
    }
    if (g.total > fileSize) {
      problems.push(`the layout needs ${g.total} bytes but the segment is only ${fileSize} bytes`);
    } else {
      geometry = g;
    }
  }

  if (/^0*$/.test(h.layoutChecksum)) {
    if (h.magic === MAGIC) warnings.push('layout checksum is zero: the segment may still be being created');
    else problems.push('layout checksum is zero');
  } else {
    const expected = layoutChecksumOf({
      capacity: h.ringBufferCapacity,
      physicalPageSize: h.physicalPageSize,
      stride,
      flexZoneSize: flex,
      checksumType: h.checksumType,
      policy: h.policy,
      syncPolicy: h.consumerSyncPolicy,
    });
    if (expected !== h.layoutChecksum) {
      problems.push(
        `layout checksum ${h.layoutChecksum} does not match the header's layout fields (expected ${expected})`,
      );
    }
  }

  if (era === null) {
    warnings.push(
      `unknown header layout hash ${h.headerLayoutHash}: a C++ build this reader does not know (bytes may differ)`,
    );
  }
  if (h.physicalPageSize !== PAGE) {
    warnings.push(`physical_page_size is ${h.physicalPageSize}; offsets were computed with ${PAGE}-byte pages`);
  }
  if (h.checksumType !== 0) warnings.push(`unknown checksum_type ${h.checksumType} (0 = BLAKE2b-256)`);

  return { valid: problems.length === 0, problems, warnings, era: era ?? 'unknown', geometry };
}
