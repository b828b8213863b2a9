// Builds a descriptor for a DataBlock made by this process (createDataBlock,
// `hubscope demo`), so the app publishes it with one call:
//   publishDescriptor(dir, descriptorInputForDataBlock({ channel, shmName, schema, config: writer.config }))
import { CHECKSUM_POLICY_NAMES, POLICY_NAMES, SYNC_POLICY_NAMES } from '../datablock/format.js';
import type { ChannelSchema } from '../datablock/schema.js';
import type { DataBlockSummary } from '../datablock/list.js';
import type { WriterConfig } from '../datablock/writer.js';
import type { DataBlockConfig } from './format.js';
import type { SegmentSummary } from './merge.js';
import type { DescriptorInput } from './publish.js';

export interface DataBlockDescription {
  channel: string;
  shmName: string;
  config: WriterConfig;
  schema?: ChannelSchema;
  producer?: { name?: string; uid?: string };
  pageSize?: number;
  brokerEndpoint?: string;
}

function named<T extends string>(names: readonly T[], value: number, what: string): T {
  const name = names[value];
  if (name === undefined) throw new RangeError(`${what} ${value} has no name (expected 0..${names.length - 1})`);
  return name;
}

export function dataBlockConfigOf(config: WriterConfig, pageSize = 4096): DataBlockConfig {
  return {
    policy: named(POLICY_NAMES, config.policy, 'policy'),
    syncPolicy: named(SYNC_POLICY_NAMES, config.syncPolicy, 'syncPolicy'),
    capacity: config.capacity,
    pageSize,
    slotSize: config.slotSize,
    flexZoneSize: config.flexZoneSize,
    checksumPolicy: named(CHECKSUM_POLICY_NAMES, config.checksumPolicy, 'checksumPolicy'),
  };
}

export function descriptorInputForDataBlock(d: DataBlockDescription): DescriptorInput {
  return {
    channel: d.channel,
    shmName: d.shmName,
    producer: d.producer ?? {},
    dataBlock: dataBlockConfigOf(d.config, d.pageSize),
    ...(d.schema ? { schema: { definition: d.schema } } : {}),
    ...(d.brokerEndpoint ? { brokerEndpoint: d.brokerEndpoint } : {}),
  };
}

/** Adapts a /dev/shm scan entry (listDataBlocks) to the merge's SegmentSummary. */
export function segmentSummaryOf(s: DataBlockSummary): SegmentSummary {
  return {
    shmName: s.name,
    size: s.size,
    ...(s.producerPid !== null ? { producerPid: s.producerPid } : {}),
    ...(s.alive !== null ? { alive: s.alive } : {}),
    ...(s.slotSchemaHash !== null ? { slotSchemaHash: s.slotSchemaHash } : {}),
  };
}
