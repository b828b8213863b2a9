// The one typed contract between the UI (renderer) and HubScope's services (main).
//
// Two transports implement it: Electron IPC (preload/electron-preload.ts, exposed
// as `window.hubscope` through contextBridge) and the WebSocket bridge of browser
// mode (preload/ws-client.ts against main/bridge/ws-server.ts). The renderer only
// ever sees `HubScopeApi` and cannot tell which one it has.
//
// Everything crossing the contract is plain JSON (no bigint): 64-bit counters travel
// as decimal strings, bytes as hex strings. The one exception is bulk live data
// (`live.poll`): its series and pixels are typed arrays, which IPC passes by
// structured clone and the WebSocket bridge as one binary frame (binary-frame.ts).
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

export type SourceKind = 'broker' | 'file' | 'shm' | 'pylabhub';

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
  /** Consumer groups and QoS (docs/protocol.md "Consumer groups", "Priority channels"); absent when the broker says nothing. */
  qos?: QosClass;
  groups?: ConsumerGroupDto[];
  /** What a pylabhub hub says about the channel (docs/pylabhub.md, "In the app"); absent when no hub lists it. */
  pylabhub?: PylabhubRowDto;
}

// ---------------------------------------------------------------------------
// Consumer groups and QoS classes of broker channels

export type QosClass = 'critical' | 'normal' | 'bulk';

export interface ConsumerGroupMemberDto {
  consumerId: string;
  /** Owns record ids with id mod size == index. */
  index: number;
  /** The last generation it acknowledged (0: none yet). */
  ackedGeneration: number;
  /** The last record id it reported processed, when it reported one. */
  lastRecordId: number | null;
}

export interface ConsumerGroupDto {
  name: string;
  generation: number;
  members: ConsumerGroupMemberDto[];
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
  qos?: QosClass;
  groups?: ConsumerGroupDto[];
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
  /** Reachable, slow or gone, from this app's PINGs; null while off. */
  health: BrokerHealthDto | null;
  /** The broker's METRICS; null while unreachable or when it does not grant capability "metrics". */
  metrics: BrokerMetricsDto | null;
  /** The most recent messages of the embedded broker, oldest first ([] for a remote one: use `hubscope trace`). */
  trace: BrokerTraceEntryDto[];
  /** This app's own connection to the broker, as the app counted it; null while off. */
  appConnection: AppConnectionMetricsDto | null;
  /** The most recent messages of this app's own connection, oldest first (out: sent by the app). */
  appTrace: BrokerTraceEntryDto[];
}

// ---------------------------------------------------------------- broker metrics, health and trace

export interface BrokerHealthDto {
  state: 'reachable' | 'slow' | 'gone';
  /** Round trips of the recent PINGs, oldest first; null for one that failed. */
  rttHistoryMs: Array<number | null>;
  rttP50Ms: number | null;
  rttP99Ms: number | null;
}

export interface BrokerConnectionMetricsDto {
  connection: string;
  client: string | null;
  requests: number;
  errorsByCode: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** Time from request to reply at the broker. */
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface BrokerMetricsDto {
  requests: number;
  requestsByType: Record<string, number>;
  requestsPerSecond: Record<string, number>;
  errorsByCode: Record<string, number>;
  notifications: number;
  dropped: number;
  sessions: number;
  registrations: { producers: number; consumers: number; channels: number; schemas: number };
  bytesIn: number;
  bytesOut: number;
  connections: BrokerConnectionMetricsDto[];
}

/** This app's MessageHub connection seen from the app (main/hub/connection-metrics.ts), across reconnects. */
export interface AppConnectionMetricsDto {
  requests: number;
  replies: number;
  /** Failed requests by code: the broker's ERROR codes and the client's own (UNAVAILABLE...). */
  errorsByCode: Record<string, number>;
  timeouts: number;
  notifications: number;
  reconnects: number;
  bytesIn: number;
  bytesOut: number;
  /** Request to reply at the app (the broker's figure plus the time on the wire); null before any reply. */
  rttP50Ms: number | null;
  rttP99Ms: number | null;
}

/** One message the broker received (in) or sent (out): metadata only (docs/protocol.md, "Metrics and message tracing"). */
export interface BrokerTraceEntryDto {
  seq: number;
  /** ms since 1970. */
  at: number;
  direction: 'in' | 'out';
  connection: string;
  client: string | null;
  type: string;
  correlationId: string;
  channel: string | null;
  bytes: number;
  /** On a reply or ERROR: the request it answers and the ms since it arrived. */
  requestType: string | null;
  latencyMs: number | null;
  errorCode: string | null;
}
// ---------------------------------------------------------------- end of broker metrics, health and trace

// ---------------------------------------------------------------- pylabhub hubs (docs/pylabhub.md, "In the app")

export interface PylabhubRoleDto {
  uid: string;
  name: string | null;
  pid: number | null;
}

/** A channel as a pylabhub hub lists it (the hub's words; the hub wins where the spec differs). */
export interface PylabhubChannelDto {
  name: string;
  transport: 'shm' | 'zmq' | null;
  /** 'registering' | 'live' | 'stalled' | 'absent', or another word of the hub's. */
  observable: string | null;
  producer: PylabhubRoleDto | null;
  consumers: PylabhubRoleDto[];
  consumerCount: number | null;
  schemaId: string | null;
  /** 128 hex: slot-zone hash and flexzone hash in the hub's wire form (not comparable with a header hash). */
  schemaHash: string | null;
  topology: string | null;
  slotsPerSec: number | null;
  /** named: a /dev/shm segment called like the channel; memfd: handed only to registered consumers. */
  shmKind: 'named' | 'memfd' | null;
}

/** A channel this app attached to as a consumer, at the user's request. */
export interface PylabhubAttachDto {
  hub: string;
  channel: string;
  consumerUid: string;
  producerUid: string;
  /** The producer's capability socket (unix://path) the DataBlock's fd is handed over on. */
  capabilityEndpoint: string;
  /** The DataBlock handed over by the producer: its size and the name the inspector opens it by (`memfd:<channel>`). */
  handover: { size: number; segment: string; message: string };
  /** What goes wrong with the consumer's heartbeats (not sent, the hub sent ERROR), else null. */
  problem?: string | null;
  /** While the hub no longer lists this app as a consumer of the channel (one re-registration under way), why in words; else null. */
  forgotten?: string | null;
  /** What happened to the attachment on the way, oldest first (e.g. "re-registered after the hub forgot it"). */
  history?: string[];
}

export interface PylabhubHubDto {
  endpoint: string;
  /** The hub's identity key fingerprint (from hub.pubkey), xxxx-xxxx-xxxx-xxxx. */
  hubKeyFingerprint: string;
  /** HubScope's public key (the one the allow-list needs) and its fingerprint. */
  ownPublicKey: string;
  ownKeyFingerprint: string;
  routingId: string;
  state: 'connecting' | 'reachable' | 'silent' | 'unreachable';
  rttMs: number | null;
  /** ms since 1970 of the last valid reply. */
  lastReplyAt: number | null;
  /** A sentence the user can act on, or null while reachable. */
  problem: string | null;
  /** The exact plh_hub command the hub's admin must run (when silent), else null. */
  allowListCommand: string | null;
  /** Role uids the hub lists (producers, consumers). */
  roles: string[];
  /** Where this hub disagreed with the protocol spec (logged once each; monitoring goes on). */
  differences: string[];
  channels: PylabhubChannelDto[];
  attached: PylabhubAttachDto[];
  /** Attachments the hub ended (it closed the channel), the last per channel, with why; ms since 1970. */
  ended?: Array<{ channel: string; reason: string; at: number }>;
}

/** The pylabhub side of a channel row: where it comes from and what can be done with it. */
export interface PylabhubRowDto {
  hub: string;
  transport: 'shm' | 'zmq' | null;
  shmKind: 'named' | 'memfd' | null;
  observable: string | null;
  topology: string | null;
  /** Why no data preview is available for this channel, or null when the segment can be read. */
  noPreview: string | null;
  /** The handed-over DataBlock to open in the inspector (`memfd:<channel>`) while attached, else null. */
  segment: string | null;
  /** The "Attach as consumer" action; null where it does not apply (not a memfd channel). */
  attach: { enabled: boolean; reason: string | null; attached: boolean } | null;
}
// ---------------------------------------------------------------- end of pylabhub hubs

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
// Live data (a view follows a segment's ring; see docs/architecture.md, "Live data")

/** One plotted line: a scalar field, or one element of a short array field. */
export interface LiveSeriesInfo {
  /** "volts[3]" for an array element, else the field name. */
  label: string;
  field: string;
  element: number | null;
  unit: string | null;
}

/** A long numeric array field, drawn as a trace of the newest record (sample index on x). */
export interface LiveTraceInfo {
  field: string;
  length: number;
  unit: string | null;
}

export interface LiveStreamInfo {
  streamId: number;
  name: string;
  /** The x axis: a timestamp field of the schema, else when HubScope read the record. */
  time: { field: string | null; unit: string | null; epoch: boolean };
  series: LiveSeriesInfo[];
  traces: LiveTraceInfo[];
  image: { field: string; width: number; height: number } | null;
  capacity: number;
  stride: number;
  /** Where each field sits in a record (from the schema), for the hex view; empty without a schema. */
  layout: { name: string; type: string; offset: number; size: number; count: number }[];
  /** The flexible zone decoded with the schema's flexzone struct (read at open), or null. */
  flexZone: Record<string, Json> | null;
  /** every: each committed record is read; latest: large records, only the newest is read. */
  mode: 'every' | 'latest';
  /** Why there is nothing to plot (no schema known), or null. */
  note: string | null;
}

export interface LiveOpenParams {
  name: string;
  schemaPath?: string;
}

export interface LivePollParams {
  streamId: number;
  /** Plot width in device pixels: series come back with at most about 2 points per pixel column. */
  width: number;
  /** Seconds of history to show, ending at the newest sample (1 to 600). */
  windowSec: number;
  /** A zoomed range on the x axis instead of the live window. */
  from?: number;
  to?: number;
  /** Canvas size the image is scaled to before it crosses. */
  imageWidth?: number;
  imageHeight?: number;
  /** Skip the image (it has not changed on screen) or the series. */
  wantImage?: boolean;
  /**
   * Hold the answer until something new was read (a record, a gap, a new image, a
   * changed state), at most this long (ms, up to 5000); 0 or absent answers at once.
   * A view keeps a few such polls outstanding (its credits), so main sends a frame as
   * soon as data exists instead of when the next poll happens to arrive.
   */
  waitMs?: number;
  /** A held poll is answered no sooner than this (ms) after the view's previous answer: the display rate. */
  minIntervalMs?: number;
}

/** Min/max per pixel column of every series over the requested range; NaN marks a gap. */
export interface LiveSeriesFrame {
  x: Float64Array;
  /** One array per LiveStreamInfo.series, each as long as x. */
  y: Float32Array[];
  from: number;
  to: number;
  /** Raw samples inside [from, to] before decimation. */
  samples: number;
}

export interface LiveTraceFrame {
  field: string;
  /** Record id the trace comes from. */
  id: string;
  /** Sample index and value, min/max per pixel column. */
  x: Float32Array;
  y: Float32Array;
}

export interface LiveImageFrame {
  field: string;
  /** Record id of the frame. */
  frameId: string;
  width: number;
  height: number;
  sourceWidth: number;
  sourceHeight: number;
  min: number;
  max: number;
  /** width x height values, row-major, nearest source pixel of each canvas pixel (16-bit for 8/16-bit cameras). */
  pixels: Float32Array | Uint16Array;
}

export interface LiveFrame {
  streamId: number;
  /** Records read since the previous poll, and those overwritten before they could be read. */
  taken: number;
  lost: number;
  totalTaken: number;
  totalLost: number;
  /** Decimal string: the newest committed id, null before the first commit. */
  commitIndex: string | null;
  /** Wall-clock ms (epoch) of the newest record: its timestamp field when it has one, else when read. */
  newestEpochMs: number | null;
  series: LiveSeriesFrame | null;
  traces: LiveTraceFrame[];
  image: LiveImageFrame | null;
  /** The segment as seen on this read: gone (unlinked or replaced), and its problems. */
  state: { gone: boolean; problems: string[]; alive: boolean | null; reason: string };
}

// ---------------------------------------------------------------------------
// Alerts (main/alerts/, docs/alerts.md): rules evaluated in main on the topics above

/** Each rule can be switched off; thresholds are in the unit their name says. */
export interface AlertRules {
  /** An active channel whose producer is alive committed nothing for this long. */
  noRecord: { enabled: boolean; seconds: number };
  /** The producer's heartbeat is older than 5 s although its process exists. */
  heartbeatStale: { enabled: boolean };
  /** The producer of a segment is dead while the segment remains in /dev/shm. */
  producerDead: { enabled: boolean };
  /** The producer's checksum failure counter rose within the last `seconds`. */
  checksumFailures: { enabled: boolean; seconds: number };
  /** Broker, descriptor file and segment header disagree on a channel's schema. */
  schemaMismatch: { enabled: boolean };
  /** Sequential consumers are at least this many records behind. */
  consumerLag: { enabled: boolean; records: number };
  /** A ring with a Sequential consumer policy overwrote records its consumers had not read. */
  ringOverwrites: { enabled: boolean };
  /** The configured broker did not answer for this long. */
  brokerUnreachable: { enabled: boolean; seconds: number };
}
export type AlertRuleName = keyof AlertRules;

/** Each rule in plain words, for the UI, notifications and logs. */
export const ALERT_RULE_TITLES: Readonly<Record<AlertRuleName, string>> = {
  noRecord: 'No record on an active channel',
  heartbeatStale: 'Producer heartbeat stale',
  producerDead: 'Producer dead, segment remains',
  checksumFailures: 'Checksum failures rising',
  schemaMismatch: 'Schema mismatch',
  consumerLag: 'Consumer lag over threshold',
  ringOverwrites: 'Ring overwrites (Sequential consumer)',
  brokerUnreachable: 'Broker unreachable',
};

/** One alert: a rule that held for one subject (a channel, a segment, the broker) from raisedAt until clearedAt. */
export interface AlertDto {
  /** Unique for this run of HubScope. */
  id: number;
  rule: AlertRuleName;
  /** What it is about: "channel lab.x", "/dev/shm/lab.x", "broker tcp://…". */
  subject: string;
  /** The channel row to mark, when the alert is about one. */
  channel: string | null;
  message: string;
  /** ISO times; clearedAt is null while the alert holds. */
  raisedAt: string;
  clearedAt: string | null;
  /** How long it held (until now while active). */
  durationMs: number;
}

export interface AlertsStatus {
  active: AlertDto[];
  /** Cleared alerts, newest first (at most 200). */
  history: AlertDto[];
}

export interface AlertRulesState {
  rules: AlertRules;
  /** The per-user rule file, or null when rules are not saved (tests, no HOME). */
  file: string | null;
  /** Why the file was not used (unreadable, not valid), in words; defaults apply then. */
  problem: string | null;
}

// ---------------------------------------------------------------------------
// Orphans (main/cleanup/, docs/recording.md): what dead producers and brokers left behind

export interface OrphanDto {
  kind: 'segment' | 'descriptor' | 'broker-endpoint';
  /** Segment name, or the file name in the discovery directory. */
  name: string;
  size: number;
  /** Milliseconds since the file was last modified. */
  ageMs: number;
  /** Why it is an orphan, in words. */
  reason: string;
  owner: { uid: number; user: string; mode: string };
  /** Why this user cannot remove it (permissions), else null. */
  blocker: string | null;
}

export interface OrphanRemovalDto extends OrphanDto {
  outcome: 'removed' | 'gone' | 'kept' | 'not-permitted' | 'failed';
  /** What happened, in words (owner and mode when not permitted). */
  detail: string;
}

// ---------------------------------------------------------------------------
// Recording (main/record/, docs/recording.md): the app's Record button, one recording at a time

export interface RecordingChannelDto {
  /** The segment recorded (the MCAP topic). */
  shmName: string;
  recorded: number;
  /** Records the producer overwrote before they could be copied (counted in the file's metadata). */
  lost: number;
  /** Why this channel stopped being recorded early (its segment went away), else null. */
  stoppedBy: string | null;
  /** Of `recorded`, those the ring held from before the press (the pre-buffer's share). */
  preBuffered: number;
}

export interface RecordingStatusDto {
  /** recording: a recording runs; idle: none (the last one, if any, is described below). */
  state: 'idle' | 'recording';
  /** The folder recordings are written to. */
  dir: string;
  /** The running (or last) recording; null before the first. */
  startedAt: string | null;
  endedAt: string | null;
  elapsedMs: number | null;
  files: string[];
  channels: RecordingChannelDto[];
  /** Records written, all channels together. */
  recorded: number;
  /** Why the last recording could not go on (disk full, ...), in words; null when it did not fail. */
  error: string | null;
}

export interface RecordStartParams {
  /** Segment names, or channel names that have a segment. */
  channels: string[];
  /** A schema file (as for datablock.inspect) for channels whose schema is not otherwise known. */
  schemaPath?: string;
  /**
   * Also record what the rings still hold from the last this many seconds (0 to 3600;
   * default 0: from the press on). The rings are the pre-buffer: nothing is kept in
   * memory before Record is pressed, so a channel's reach back is its ring's lifetime.
   */
  preBufferS?: number;
}

// ---------------------------------------------------------------------------
// Requests and events

/** State the UI follows: each topic can be fetched (`<topic>.get`) and is pushed on change. */
export interface Topics {
  channels: ChannelRow[];
  datablocks: DataBlockRow[];
  broker: BrokerStatus;
  discovery: DiscoveryStatus;
  alerts: AlertsStatus;
  pylabhub: PylabhubHubDto[];
}
export type Topic = keyof Topics;
export const TOPICS: readonly Topic[] = ['channels', 'datablocks', 'broker', 'discovery', 'alerts', 'pylabhub'];

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
  'live.open': { params: LiveOpenParams; result: LiveStreamInfo };
  'live.poll': { params: LivePollParams; result: LiveFrame };
  'live.close': { params: { streamId: number }; result: null };
  'alerts.get': { params: null; result: Topics['alerts'] };
  'alerts.rules.get': { params: null; result: AlertRulesState };
  'alerts.rules.set': { params: { rules: AlertRules }; result: AlertRulesState };
  // Orphans: listing is read-only; clean removes what is an orphan at that moment (re-checked).
  'orphans.get': { params: null; result: OrphanDto[] };
  'orphans.clean': { params: null; result: OrphanRemovalDto[] };
  // pylabhub hubs: attach/detach register (and unregister) this app as a consumer of one channel, only when the user asks.
  'pylabhub.get': { params: null; result: Topics['pylabhub'] };
  'pylabhub.attach': { params: { hub: string; channel: string }; result: PylabhubAttachDto };
  'pylabhub.detach': { params: { hub: string; channel: string }; result: null };
  // Recording: start writes into the recordings folder; status is polled while the UI shows it.
  'record.start': { params: RecordStartParams; result: RecordingStatusDto };
  'record.stop': { params: null; result: RecordingStatusDto };
  'record.status': { params: null; result: RecordingStatusDto };
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
  'live.open',
  'live.poll',
  'live.close',
  'alerts.get',
  'alerts.rules.get',
  'alerts.rules.set',
  'orphans.get',
  'orphans.clean',
  'pylabhub.get',
  'pylabhub.attach',
  'pylabhub.detach',
  'record.start',
  'record.stop',
  'record.status',
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
