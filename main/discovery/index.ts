// Public surface of file-based discovery (docs/discovery.md).
export {
  BROKER_ENDPOINT_FORMAT,
  CHANNEL_DESCRIPTOR_FORMAT,
  BrokerEndpointSchema,
  ChannelDescriptorSchema,
  type BrokerEndpoint,
  type ChannelDescriptor,
  type DataBlockConfig,
  type DescriptorSchemaRef,
} from './format.js';
export {
  checkDiscoveryDir,
  chooseDiscoveryDir,
  defaultDiscoveryDir,
  ensureDiscoveryDir,
  DISCOVERY_DIR_ENV,
  type DiscoveryDirChoice,
} from './directory.js';
export { brokerFileName, classifyFileName, descriptorFileName } from './names.js';
export { validateBrokerEndpoint, validateChannelDescriptor, type ValidDescriptor } from './validate.js';
export {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  publishBrokerEndpoint,
  publishDescriptor,
  type BrokerEndpointHandle,
  type BrokerEndpointInput,
  type DescriptorHandle,
  type DescriptorInput,
  type PublishOptions,
} from './publish.js';
export { assessLiveness, STALE_MULTIPLE, type Liveness, type LivenessVerdict } from './liveness.js';
export { DEFAULT_MAX_FILE_BYTES, readDiscoveryFile, type ProblemCode, type ReadOutcome } from './read-file.js';
export type { BrokerFileEntry, DiscoveryChange, DiscoveryEntry, DiscoveryProblem } from './model.js';
export { mountVerdictFor, parseMountInfo, type MountVerdict } from './mounts.js';
export {
  DiscoveryWatcher,
  type DiscoveryFileReader,
  type DiscoverySnapshot,
  type DiscoveryWatcherOptions,
  type WatcherActivity,
  type WatchMode,
} from './watcher.js';
export { scanDiscoveryDir, type ScanResult } from './scan.js';
export {
  mergeChannels,
  normaliseShmName,
  type BrokerChannel,
  type ChannelRow,
  type ChannelSource,
  type MergeSources,
  type ProducerFacts,
  type SegmentSummary,
} from './merge.js';
export {
  findChannelFile,
  isBrokerUnreachable,
  resolveChannel,
  type DiscoveryHub,
  type ResolvedChannel,
} from './resolve.js';
export { brokerChannelFromInfo } from './broker-adapter.js';
export {
  dataBlockConfigOf,
  descriptorInputForDataBlock,
  segmentSummaryOf,
  type DataBlockDescription,
} from './datablock-adapter.js';
