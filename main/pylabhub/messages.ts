// The pylabhub hub messages a monitor uses (docs/pylabhub.md, "Messages"), defined once
// with TypeBox: the TypeScript types (Static<>) and the runtime checks come from these
// values. Objects accept unknown keys, as the hub does. A reply that fails its check
// is not thrown away: the hub wins over the spec, so the caller logs the difference
// (plhBodyProblems) and reads what it can with the lenient readers at the bottom.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

// ---------------------------------------------------------------- building blocks

/** The hub's typed fields are JSON strings or unsigned numbers. */
const Uint = Type.Integer({ minimum: 0 });
const Str = Type.String();
const NonEmpty = Type.String({ minLength: 1 });
const Z85Key = Type.String({ minLength: 40, maxLength: 40, description: 'CURVE public key, 40 Z85 characters.' });
const Hex128 = Type.String({ pattern: '^[0-9a-f]{128}$', description: 'slot-zone hash ‖ flexzone-zone hash.' });
const Envelope = {
  envelope_hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
};
const ReplyEnvelope = {
  ...Envelope,
  correlation_id: Type.Optional(Str),
  status: Type.Optional(Str),
};
/** Replay pair of state-changing requests: nonce (32 hex upstream) and wall clock ms. */
const ReplayPair = { client_nonce: NonEmpty, client_wall_ts: Uint };

/** §8 ABI version vector: 15 unsigned axes (+ optional build_id). Never a schema hash. */
export const AbiFingerprint = Type.Object({
  library_major: Uint,
  library_minor: Uint,
  library_rolling: Uint,
  shm_major: Uint,
  shm_minor: Uint,
  broker_proto_major: Uint,
  broker_proto_minor: Uint,
  zmq_frame_major: Uint,
  zmq_frame_minor: Uint,
  script_api_major: Uint,
  script_api_minor: Uint,
  script_engine_major: Uint,
  script_engine_minor: Uint,
  config_major: Uint,
  config_minor: Uint,
  build_id: Type.Optional(Str),
});
export type AbiFingerprint = Static<typeof AbiFingerprint>;

/** The versions of the hub this code was written against (broker_proto 7.0). */
export const HUBSCOPE_ABI_FINGERPRINT: AbiFingerprint = {
  library_major: 0,
  library_minor: 1,
  library_rolling: 0,
  shm_major: 1,
  shm_minor: 0,
  broker_proto_major: 7,
  broker_proto_minor: 0,
  zmq_frame_major: 1,
  zmq_frame_minor: 0,
  script_api_major: 1,
  script_api_minor: 0,
  script_engine_major: 1,
  script_engine_minor: 2,
  config_major: 1,
  config_minor: 1,
  build_id: 'hubscope',
};

const RoleRef = Type.Object({ pid: Type.Optional(Uint), uid: Str, name: Type.Optional(Str) });

// ---------------------------------------------------------------- requests

export const ChannelListReq = Type.Object({ ...Envelope });
export const MetricsReq = Type.Object({ ...Envelope, channel_name: Type.Optional(NonEmpty) });
export const DiscReq = Type.Object({ ...Envelope, channel_name: NonEmpty });
export const SchemaReq = Type.Object({
  ...Envelope,
  channel_name: Type.Optional(NonEmpty),
  owner: Type.Optional(NonEmpty),
  schema_id: Type.Optional(NonEmpty),
});
export const RolePresenceReq = Type.Object({ ...Envelope, role_uid: NonEmpty });
export const ShmBlockQueryReq = Type.Object({ ...Envelope, channel_name: Type.Optional(NonEmpty) });
export const ConsumerRegReq = Type.Object({
  ...Envelope,
  ...ReplayPair,
  channel_name: NonEmpty,
  role_uid: NonEmpty,
  role_type: NonEmpty,
  data_transport: NonEmpty,
  zmq_pubkey: Z85Key,
  abi_fingerprint: AbiFingerprint,
  consumer_pid: Type.Optional(Uint),
  consumer_hostname: Type.Optional(Str),
  role_name: Type.Optional(Str),
  channel_topology: Type.Optional(Str),
  consumer_queue_type: Type.Optional(Str),
  expected_schema_id: Type.Optional(Str),
  expected_schema_hash: Type.Optional(Str),
  expected_schema_blds: Type.Optional(Str),
  expected_schema_packing: Type.Optional(Str),
});
export const ConsumerDeregReq = Type.Object({
  ...Envelope,
  ...ReplayPair,
  channel_name: NonEmpty,
  role_uid: NonEmpty,
  consumer_pid: Type.Optional(Uint),
});

/**
 * A registered role's liveness signal, every `heartbeat_interval_ms` of its REG ACK.
 * The spec's body names `producer_pid` ("own pid") for every sender; HubScope's
 * consumer sends it and, since the hub ignores unknown keys, also `consumer_pid`, the
 * name its CONSUMER_REG_REQ used (monitor.ts, heartbeatBody).
 */
export const HeartbeatNotify = Type.Object({
  ...Envelope,
  channel_name: NonEmpty,
  role_uid: NonEmpty,
  role_type: NonEmpty,
  producer_pid: Type.Optional(Uint),
  consumer_pid: Type.Optional(Uint),
  metrics: Type.Optional(Type.Object({})),
});

// ---------------------------------------------------------------- pushes (empty correlation id)

/** To every producer and consumer of a channel the hub is closing. */
export const ChannelClosingNotify = Type.Object({
  ...Envelope,
  channel_name: NonEmpty,
  reason: Type.Optional(Str), // producer_deregistered | pending_timeout | admin_requested | script_requested
});

// ---------------------------------------------------------------- replies

export const ChannelListEntry = Type.Object({
  name: NonEmpty,
  producer_uids: Type.Array(Str),
  producer_uid: Type.Optional(Str),
  producer_pid: Type.Optional(Uint),
  schema_id: Type.Optional(Str),
  consumer_count: Uint,
  observable: Str,
});
export const ChannelListAck = Type.Object({ ...ReplyEnvelope, channels: Type.Array(ChannelListEntry) });

/** Metrics of one role: its last heartbeat `metrics` verbatim + `_collected_at` (+ `pid` for producers). */
const RoleMetrics = Type.Object({
  _collected_at: Str,
  pid: Type.Optional(Uint),
  role: Type.Optional(
    Type.Object({
      out_slots_written: Type.Optional(Uint),
      in_slots_received: Type.Optional(Uint),
      out_drop_count: Type.Optional(Uint),
      script_error_count: Type.Optional(Uint),
    }),
  ),
});
const ChannelMetrics = Type.Object({
  producers: Type.Optional(Type.Record(Type.String(), RoleMetrics)),
  consumers: Type.Optional(Type.Record(Type.String(), RoleMetrics)),
});
export const ShmBlock = Type.Object({
  channel: NonEmpty,
  producer: Type.Optional(RoleRef),
  consumers: Type.Optional(Type.Array(RoleRef)),
  /** Header counters of a named segment called like the channel; null for memfd. */
  shm_metrics: Type.Union([Type.Null(), Type.Object({})]),
});
export const MetricsAck = Type.Object({
  ...ReplyEnvelope,
  channel: Type.Optional(Str),
  metrics: Type.Optional(ChannelMetrics),
  channels: Type.Optional(Type.Record(Type.String(), ChannelMetrics)),
  shm_blocks: Type.Optional(Type.Object({ status: Type.Optional(Str), blocks: Type.Array(ShmBlock) })),
});
export const DiscAck = Type.Object({
  ...ReplyEnvelope,
  schema_hash: Type.Optional(Hex128),
  flexzone_blds: Type.Optional(Str),
  metadata: Type.Optional(Type.Unknown()),
  consumer_count: Type.Optional(Uint),
  zmq_pubkey: Type.Optional(Str),
  zmq_node_endpoint: Type.Optional(Str),
  data_transport: Type.Optional(Str),
});
export const DiscPending = Type.Object({
  ...ReplyEnvelope,
  status: Type.Literal('pending'),
  channel_name: Type.Optional(Str),
  reason: Type.Optional(Str),
});
export const SchemaAck = Type.Object({
  ...ReplyEnvelope,
  schema_id: Type.Optional(Str),
  schema_owner: Type.Optional(Str),
  blds: Type.Optional(Str),
  flexzone_blds: Type.Optional(Str),
  schema_hash: Type.Optional(Hex128),
  packing: Type.Optional(Str),
  flexzone_packing: Type.Optional(Str),
});
export const RolePresenceAck = Type.Object({
  ...ReplyEnvelope,
  present: Type.Optional(Type.Boolean()),
  channel: Type.Optional(Str),
  role: Type.Optional(Str),
});
export const ErrorReply = Type.Object({
  ...ReplyEnvelope,
  status: Type.Optional(Str),
  error_code: NonEmpty,
  message: Type.Optional(Str),
  field: Type.Optional(Str),
  reason: Type.Optional(Str),
});
const HeartbeatBlock = Type.Object({
  heartbeat_interval_ms: Uint,
  ready_miss_heartbeats: Uint,
  pending_miss_heartbeats: Uint,
});
export const ConsumerRegAck = Type.Object({
  ...ReplyEnvelope,
  channel_name: Type.Optional(Str),
  message: Type.Optional(Str),
  data_transport: Type.Optional(Str),
  heartbeat: Type.Optional(HeartbeatBlock),
  broker_abi_fingerprint: Type.Optional(Type.Object({})),
  known_roles: Type.Optional(Type.Array(Str)),
  producers: Type.Array(Type.Object({ role_uid: NonEmpty, pubkey_z85: Z85Key, endpoint: NonEmpty })),
});
export const ConsumerDeregAck = Type.Object({ ...ReplyEnvelope, message: Type.Optional(Str) });

export type ChannelListAck = Static<typeof ChannelListAck>;
export type MetricsAck = Static<typeof MetricsAck>;
export type DiscAck = Static<typeof DiscAck>;
export type SchemaAck = Static<typeof SchemaAck>;
export type ConsumerRegAck = Static<typeof ConsumerRegAck>;
export type ErrorReply = Static<typeof ErrorReply>;

/** Every message body defined here, by msg_type. */
export const PLH_BODIES = {
  CHANNEL_LIST_REQ: ChannelListReq,
  CHANNEL_LIST_ACK: ChannelListAck,
  METRICS_REQ: MetricsReq,
  METRICS_ACK: MetricsAck,
  DISC_REQ: DiscReq,
  DISC_ACK: DiscAck,
  DISC_PENDING: DiscPending,
  SCHEMA_REQ: SchemaReq,
  SCHEMA_ACK: SchemaAck,
  ROLE_PRESENCE_REQ: RolePresenceReq,
  ROLE_PRESENCE_ACK: RolePresenceAck,
  SHM_BLOCK_QUERY_REQ: ShmBlockQueryReq,
  CONSUMER_REG_REQ: ConsumerRegReq,
  CONSUMER_REG_ACK: ConsumerRegAck,
  CONSUMER_DEREG_REQ: ConsumerDeregReq,
  CONSUMER_DEREG_ACK: ConsumerDeregAck,
  HEARTBEAT_NOTIFY: HeartbeatNotify,
  CHANNEL_CLOSING_NOTIFY: ChannelClosingNotify,
  ERROR: ErrorReply,
} as const satisfies Record<string, TSchema>;
export type PlhMsgType = keyof typeof PLH_BODIES;

/** The replies a request may get (besides ERROR). */
export const PLH_REPLIES: Partial<Record<PlhMsgType, readonly PlhMsgType[]>> = {
  CHANNEL_LIST_REQ: ['CHANNEL_LIST_ACK'],
  METRICS_REQ: ['METRICS_ACK'],
  DISC_REQ: ['DISC_ACK', 'DISC_PENDING'],
  SCHEMA_REQ: ['SCHEMA_ACK'],
  ROLE_PRESENCE_REQ: ['ROLE_PRESENCE_ACK'],
  CONSUMER_REG_REQ: ['CONSUMER_REG_ACK'],
  CONSUMER_DEREG_REQ: ['CONSUMER_DEREG_ACK'],
};

const checks = new Map<string, TypeCheck<TSchema>>(
  Object.entries(PLH_BODIES).map(([type, schema]) => [type, TypeCompiler.Compile(schema)]),
);

export function isPlhMsgType(type: string): type is PlhMsgType {
  return checks.has(type);
}

/**
 * Up to `max` sentences naming the fields of `body` that differ from the definition of
 * `msgType` (empty when it matches, or when the type is not defined here).
 */
export function plhBodyProblems(msgType: string, body: unknown, max = 3): string[] {
  const check = checks.get(msgType);
  if (!check || check.Check(body)) return [];
  const out: string[] = [];
  for (const e of check.Errors(body)) {
    let got: string;
    try {
      got = e.value === undefined ? 'nothing' : JSON.stringify(e.value);
    } catch {
      got = String(e.value);
    }
    if (got.length > 60) got = `${got.slice(0, 57)}...`;
    out.push(`${msgType} field ${e.path || '(body)'}: ${e.message} (got ${got})`);
    if (out.length >= max) break;
  }
  return out;
}

// ---------------------------------------------------------------- lenient readers
// Used after a check failed (or passed): each reads one field and yields null when it
// is missing or of the wrong type, so one bad field costs only itself.

export type JsonObject = Record<string, unknown>;

export function asObject(v: unknown): JsonObject | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : null;
}
export function strField(o: JsonObject | null, key: string): string | null {
  const v = o?.[key];
  return typeof v === 'string' ? v : null;
}
export function uintField(o: JsonObject | null, key: string): number | null {
  const v = o?.[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}
export function arrayField(o: JsonObject | null, key: string): unknown[] | null {
  const v = o?.[key];
  return Array.isArray(v) ? v : null;
}
export function objectField(o: JsonObject | null, key: string): JsonObject | null {
  return asObject(o?.[key]);
}
