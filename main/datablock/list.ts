// Lists the DataBlocks on this machine: /dev/shm files that begin with the
// PLHB magic, each summarised (or its error given) without disturbing it.
import { native } from '../native/binding.js';
import { MAGIC } from './format.js';
import type { LivenessState } from './liveness.js';
import { SHM_DIR } from './names.js';
import { openDataBlock, type DataBlockReader } from './reader.js';
import type { ValidationReport } from './validate.js';

export interface DataBlockSummary {
  /** Shm name without the leading "/". */
  name: string;
  size: number;
  valid: boolean;
  problems: string[];
  era: string | null;
  capacity: number | null;
  stride: number | null;
  policy: string | null;
  consumerSyncPolicy: string | null;
  recordsWritten: bigint | null;
  producerPid: number | null;
  producerName: string | null;
  /** Slot schema fingerprint in the header (hex; all zeros when the producer left it unset). */
  slotSchemaHash: string | null;
  liveness: LivenessState | null;
  alive: boolean | null;
  livenessText: string | null;
}

/** The files in `dir` that begin with the PLHB magic (no segment is opened). */
export function listSegmentFiles(dir: string = SHM_DIR): Array<{ name: string; size: number }> {
  return native().listShm(dir, MAGIC);
}

/** Opens a listed segment: by shm name in /dev/shm, as a plain file elsewhere. */
export function openListed(name: string, dir: string = SHM_DIR): DataBlockReader {
  return dir === SHM_DIR ? openDataBlock(name) : openDataBlock(`${dir}/${name}`, { file: true });
}

/** The summary of a segment that could not be opened or read. */
export function unreadableSummary(name: string, size: number, err: unknown): DataBlockSummary {
  return {
    name,
    size,
    valid: false,
    problems: [err instanceof Error ? err.message : String(err)],
    era: null,
    capacity: null,
    stride: null,
    policy: null,
    consumerSyncPolicy: null,
    recordsWritten: null,
    producerPid: null,
    producerName: null,
    slotSchemaHash: null,
    liveness: null,
    alive: null,
    livenessText: null,
  };
}

/** Summarises an open segment; `report` defaults to the one made when it was opened. */
export function summariseDataBlock(
  name: string,
  size: number,
  reader: DataBlockReader,
  report: ValidationReport = reader.report,
): DataBlockSummary {
  try {
    const h = reader.header();
    const live = reader.liveness(h);
    return {
      name,
      size,
      valid: report.valid,
      problems: report.problems,
      era: report.era,
      capacity: h.ringBufferCapacity,
      stride: h.logicalUnitSize,
      policy: h.policyName,
      consumerSyncPolicy: h.consumerSyncPolicyName,
      recordsWritten: h.totalSlotsWritten,
      producerPid: h.producerPid,
      producerName: h.producerName,
      slotSchemaHash: h.slotSchemaHash,
      liveness: live.state,
      alive: live.alive,
      livenessText: live.text,
    };
  } catch (err) {
    return unreadableSummary(name, size, err);
  }
}

/** Summaries of every PLHB segment in /dev/shm, sorted by name. A bad segment yields an entry with problems, never a throw. */
export function listDataBlocks(dir: string = SHM_DIR): DataBlockSummary[] {
  const out: DataBlockSummary[] = [];
  for (const { name, size } of listSegmentFiles(dir)) {
    try {
      const reader = openListed(name, dir);
      try {
        out.push(summariseDataBlock(name, size, reader));
      } finally {
        reader.close();
      }
    } catch (err) {
      out.push(unreadableSummary(name, size, err));
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
