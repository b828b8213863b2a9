// Public API of HubScope's DataBlock support (PLHB v1.0 shared-memory segments).
export { openDataBlock, DataBlockReader, DataBlockError } from './reader.js';
export type { SlotRecord, SlotView, ConsumerView, OpenOptions } from './reader.js';
export { createDataBlock, DataBlockWriter, resolveConfig } from './writer.js';
export type { CreateOptions, WriterConfig, WriteOptions, Identity } from './writer.js';
export { listDataBlocks } from './list.js';
export type { DataBlockSummary } from './list.js';
export { DataBlockStats } from './stats.js';
export type { StatsSample } from './stats.js';
export { describeLiveness, pidExists, monotonicNs, STALE_AFTER_MS } from './liveness.js';
export type { Liveness, LivenessState } from './liveness.js';
export { checkSchema } from './schema-check.js';
export type { SchemaCheck, FingerprintStatus } from './schema-check.js';
export { validateHeader, LIMITS } from './validate.js';
export type { ValidationReport } from './validate.js';
export { decodeHeader } from './header.js';
export type { Header, ConsumerHeartbeat } from './header.js';
export { registerCleanup, runCleanups } from './cleanup.js';
export { blake2b256, toHex, fromHex } from './blake2b.js';
export { loadSchemaFile, loadSchemaFileSync } from './schema-file.js';
export { toJson } from './json.js';
export type { Json } from './json.js';
export * from './schema.js';
export {
  ERAS,
  MAGIC,
  geometryOf,
  type Geometry,
  POLICY_NAMES,
  SYNC_POLICY_NAMES,
  CHECKSUM_POLICY_NAMES,
} from './format.js';
export { startDemoProducers, DEMO_CHANNELS, DEFAULT_RATES, demoSchemaDir } from './demo.js';
export type { DemoOptions, DemoRun, DemoProducer, DemoChannel } from './demo.js';
