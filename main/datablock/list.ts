// Lists the DataBlocks on this machine: /dev/shm files that begin with the
// PLHB magic, each summarised (or its error given) without disturbing it.
import { native } from '../native/binding.js';
import { MAGIC } from './format.js';
import type { LivenessState } from './liveness.js';
import { SHM_DIR } from './names.js';
import { openDataBlock } from './reader.js';

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

/** Summaries of every PLHB segment in /dev/shm, sorted by name. A bad segment yields an entry with problems, never a throw. */
export function listDataBlocks(dir: string = SHM_DIR): DataBlockSummary[] {
  const out: DataBlockSummary[] = [];
  for (const { name, size } of native().listShm(dir, MAGIC)) {
    const base: DataBlockSummary = {
      name,
      size,
      valid: false,
      problems: [],
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
    try {
      const reader = dir === SHM_DIR ? openDataBlock(name) : openDataBlock(`${dir}/${name}`, { file: true });
      try {
        const h = reader.header();
        const live = reader.liveness(h);
        const report = reader.report;
        Object.assign(base, {
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
        });
      } finally {
        reader.close();
      }
    } catch (err) {
      base.problems = [(err as Error).message];
    }
    out.push(base);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
