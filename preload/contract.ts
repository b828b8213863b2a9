// The one typed contract between the UI (renderer) and HubScope's services (main).
//
// Two transports implement it: Electron IPC (preload/electron-preload.ts, exposed
// as `window.hubscope` through contextBridge) and the WebSocket bridge of browser
// mode (preload/ws-client.ts against main/bridge/ws-server.ts). The renderer only
// ever sees `HubScopeApi` and cannot tell which one it has.
//
// Everything crossing the contract is plain JSON (no bigint, no typed arrays):
// 64-bit counters travel as decimal strings, bytes as hex strings.
//
// This file has no runtime imports so that main, preload and renderer can all
// include it.

export const CONTRACT_VERSION = 1;

/** JSON-safe value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

// ---------------------------------------------------------------------------
// Data transfer objects

export interface AppInfo {
  version: string;
  contractVersion: number;
  /** Native addon's self-reported version, or null when it failed to load. */
  nativeVersion: string | null;
  shell: 'electron' | 'browser';
  platform: string;
  hostname: string;
  pid: number;
  discoveryDir: string | null;
}

export type SourceKind = 'broker' | 'file' | 'shm';

export interface ProducerDto {
  name: string | null;
  uid: string | null;
  pid: number | null;
  host: string | null;
}

export interface ChannelRow {
  channel: string;
  state: 'active' | 'pending' | 'stale' | 'closing' | 'unknown';
  /** Where this channel was seen: broker registration, descriptor file, segment in /dev/shm. */
  sources: SourceKind[];
  shmName: string | null;
  schemaId: string | null;
  schemaFingerprint: string | null;
  producer: ProducerDto | null;
  consumerCount: number | null;
  recordsPerSec: number | null;
  bytesPerSec: number | null;
  /** Every disagreement between sources, in words. */
  issues: string[];
}

export interface DataBlockRow {
  name: string;
  size: number;
  capacity: number | null;
  stride: number | null;
  policy: string | null;
  syncPolicy: string | null;
  /** Decimal string: a u64 counter. */
  totalSlotsWritten: string | null;
  producerPid: number | null;
  producerName: string | null;
  alive: boolean | null;
  liveness: string;
  valid: boolean;
  problems: string[];
  recordsPerSec: number | null;
  bytesPerSec: number | null;
  overwritesPerSec: number | null;
  /** commit_index - read_index for Sequential policies, else null. */
  lag: number | null;
  /** Milliseconds since the record count last changed, as seen by HubScope (null before two samples). */
  idleMs: number | null;
  checksumFailures: number | null;
}

export interface SlotDto {
  index: number;
  state: string;
  generation: string;
  readers: number;
  lockPid: number;
  /** 'unverified': a checksum is stored but the slot is not among the records fetched (hashing is not free). */
  checksum: 'none' | 'ok' | 'bad' | 'unverified';
}

export interface RecordDto {
  id: string;
  checksumOk: boolean | null;
  fields: Record<string, Json> | null;
  /** Hex of the payload bytes (first 256 bytes at most). */
  hex: string;
  /** A thumbnail when the record holds an image (newest record only), else null. */
  image: ImagePreviewDto | null;
}

/** An image field of a record (width x height x one number per pixel), as 8-bit grey. */
export interface ImagePreviewDto {
  field: string;
  /** Size of the thumbnail. */
  width: number;
  height: number;
  /** Size of the image in the record. */
  sourceWidth: number;
  sourceHeight: number;
  /** The pixel values that map to black and white. */
  min: number;
  max: number;
  /** width x height bytes, row-major, base64. */
  pixels: string;
}

export interface ConsumerDto {
  slot: number;
  pid: number;
  uid: string;
  name: string;
  ageMs: number | null;
}

export interface DataBlockInspection {
  name: string;
  size: number;
  valid: boolean;
  problems: string[];
  warnings: string[];
  era: string;
  header: Record<string, Json>;
  liveness: { alive: boolean | null; reason: string };
  consumers: ConsumerDto[];
  slots: SlotDto[];
  records: RecordDto[];
  schema: { id: string; fingerprint: string; source: string; mismatch: string | null } | null;
  flexZone: { size: number; hex: string; text: string } | null;
}

export interface BrokerChannelDto {
  channel: string;
  state: string;
  shmName: string | null;
  schemaId: string | null;
  schemaFingerprint: string | null;
  producer: ProducerDto | null;
  consumerCount: number;
}

export interface SchemaDto {
  id: string;
  version: number;
  fingerprint: string;
}

export interface BrokerStatus {
  /** embedded: started by this app; remote: another broker; off: none configured. */
  mode: 'embedded' | 'remote' | 'off';
  endpoint: string | null;
  connection: 'connected' | 'connecting' | 'disconnected' | 'off';
  rttMs: number | null;
  bootId: string | null;
  startedAt: string | null;
  uptimeMs: number | null;
  clients: number | null;
  channels: BrokerChannelDto[];
  schemas: SchemaDto[];
  error: string | null;
  /** How the broker authenticates (docs/security.md); null until known. `open` is shown as a warning. */
  security: 'curve' | 'allow-list' | 'open' | null;
  /** The broker's CURVE public key fingerprint (xxxx-xxxx-xxxx-xxxx), to compare by eye; null when open or unknown. */
  serverKeyFingerprint: string | null;
  /** The fingerprint of the key this app connects with; null when open or unknown. */
  clientKeyFingerprint: string | null;
}

export interface DiscoveryEntryDto {
  file: string;
  channel: string;
  shmName: string;
  host: string;
  pid: number;
  status: 'live' | 'stale' | 'unknown';
  reason: string;
  updatedAt: string;
}

export interface DiscoveryStatus {
  dir: string | null;
  mode: 'events' | 'polling' | 'off';
  pollIntervalMs: number | null;
  /** Why polling is advised (e.g. the directory is on NFS), or null. */
  suggestPolling: string | null;
  entries: DiscoveryEntryDto[];
  brokers: { file: string; endpoint: string; host: string; pid: number; status: string }[];
  problems: { file: string; reason: string }[];
}

// ---------------------------------------------------------------------------
// Requests and events

/** State the UI follows: each topic can be fetched (`<topic>.get`) and is pushed on change. */
export interface Topics {
  channels: ChannelRow[];
  datablocks: DataBlockRow[];
  broker: BrokerStatus;
  discovery: DiscoveryStatus;
}
export type Topic = keyof Topics;
export const TOPICS: readonly Topic[] = ['channels', 'datablocks', 'broker', 'discovery'];

export interface Requests {
  'app.info': { params: null; result: AppInfo };
  'channels.get': { params: null; result: Topics['channels'] };
  'datablocks.get': { params: null; result: Topics['datablocks'] };
  'broker.get': { params: null; result: Topics['broker'] };
  'discovery.get': { params: null; result: Topics['discovery'] };
  'datablock.inspect': {
    params: { name: string; records?: number; schemaPath?: string };
    result: DataBlockInspection;
  };
}
export type Method = keyof Requests;
export type ParamsOf<M extends Method> = Requests[M]['params'];
export type ResultOf<M extends Method> = Requests[M]['result'];

export const METHODS: readonly Method[] = [
  'app.info',
  'channels.get',
  'datablocks.get',
  'broker.get',
  'discovery.get',
  'datablock.inspect',
];

/** An error as it crosses the contract: a code a program can switch on and a sentence for a person. */
export interface ApiErrorDto {
  code: 'BAD_REQUEST' | 'NOT_FOUND' | 'UNAVAILABLE' | 'INTERNAL' | 'DISCONNECTED';
  message: string;
}

export class ApiError extends Error {
  readonly code: ApiErrorDto['code'];
  constructor(code: ApiErrorDto['code'], message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export type Unsubscribe = () => void;

/** What the renderer holds. Implemented by IPC (desktop) and WebSocket (browser). */
export interface HubScopeApi {
  readonly transport: 'ipc' | 'websocket';
  invoke<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  subscribe<T extends Topic>(topic: T, listener: (value: Topics[T]) => void): Unsubscribe;
}

// ---------------------------------------------------------------------------
// Wire format shared by the IPC and WebSocket transports

export const IPC_INVOKE = 'hubscope:invoke';
export const IPC_EVENT = 'hubscope:event';

/**
 * What the Electron preload exposes as `window.hubscopeBridge`. Errors travel as
 * values because contextBridge keeps only the message of a thrown Error; the
 * renderer turns this into a `HubScopeApi` with preload/ipc-client.ts.
 */
export interface IpcBridge {
  invoke(method: Method, params: unknown): Promise<WireResponse>;
  subscribe(topic: Topic, listener: (value: unknown) => void): Unsubscribe;
}

export type WireResponse = { ok: true; result: Json | object } | { ok: false; error: ApiErrorDto };

/** WebSocket frames, client → server. */
export interface WsRequestFrame {
  t: 'req';
  id: number;
  method: string;
  params: unknown;
}

/** WebSocket frames, server → client. */
export type WsServerFrame = ({ t: 'res'; id: number } & WireResponse) | { t: 'evt'; topic: Topic; value: unknown };

export function isMethod(value: unknown): value is Method {
  return typeof value === 'string' && (METHODS as readonly string[]).includes(value);
}

export function isTopic(value: unknown): value is Topic {
  return typeof value === 'string' && (TOPICS as readonly string[]).includes(value);
}
