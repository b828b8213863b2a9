// MessageHub protocol (versions 1 and 2): every message body, defined once with TypeBox.
// The TypeScript types (Static<>), the runtime validators (validators.ts) and the
// JSON Schema files in docs/protocol/ (json-schemas.ts) all come from these values.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { BROKER_ERROR_CODE_LIST } from './error-codes.js';
import { Z85_KEY_PATTERN } from '../keys/z85.js';
import {
  CHANNEL_NAME_MAX,
  CHANNEL_NAME_PATTERN,
  FINGERPRINT_PATTERN,
  SHM_NAME_MAX,
  SHM_NAME_PATTERN,
} from './names.js';

/** Protocol versions this code speaks (HELLO negotiation picks the highest common one). */
export const PROTOCOL_VERSIONS: readonly number[] = [1, 2];

/** The first protocol version with HELLO.auth and HELLO_OK.security (CURVE authentication). */
export const AUTH_PROTOCOL_VERSION = 2;

/** Where the DataBlock format is specified, relative to docs/ (descriptions link here, never outside the repository). */
export const DATABLOCK_FORMAT_DOC = 'datablock-format.md';

// ---------------------------------------------------------------- building blocks

const ChannelName = Type.String({
  minLength: 1,
  maxLength: CHANNEL_NAME_MAX,
  pattern: CHANNEL_NAME_PATTERN,
  description: 'Logical channel name: dot-separated segments of [A-Za-z0-9_-], each starting with a letter or digit.',
});
const ShmName = Type.String({ minLength: 1, maxLength: SHM_NAME_MAX, pattern: SHM_NAME_PATTERN });
const Fingerprint = Type.String({ pattern: FINGERPRINT_PATTERN, description: 'Lower-case hex BLAKE2b-256.' });
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
const Host = Text(255, 'Host name of the process.');
const Pid = Type.Integer({ minimum: 0, maximum: 0x7fffffff, description: 'Process id (0 when unknown).' });
const EpochMs = Type.Number({ description: 'Wall-clock time, milliseconds since 1970-01-01 UTC.' });
const Count = Type.Integer({ minimum: 0 });
const CurveKey = Type.String({ pattern: Z85_KEY_PATTERN, description: 'CURVE public key, 40 Z85 characters.' });
const KeyFingerprint = Type.String({
  pattern: '^[0-9a-f]{4}(-[0-9a-f]{4}){3}$',
  description: 'Short key fingerprint: first 64 bits of SHA-256 of the raw key, hex in groups of four.',
});

export const SecurityMode = Type.Union([Type.Literal('curve'), Type.Literal('allow-list'), Type.Literal('open')], {
  description:
    'curve: CURVE required, any key may connect, channels belong to keys; allow-list: CURVE and only listed keys; open: no authentication (anyone who reaches the endpoint may do anything).',
});

const Security = Type.Object(
  {
    mode: SecurityMode,
    serverKey: Type.Optional(CurveKey),
    serverKeyFingerprint: Type.Optional(KeyFingerprint),
    clientKeyFingerprint: Type.Optional(KeyFingerprint),
  },
  { description: 'Protocol 2: how this broker authenticates, and the key this session is bound to.' },
);

export const ChannelState = Type.Union(
  [Type.Literal('pending'), Type.Literal('active'), Type.Literal('stale'), Type.Literal('closing')],
  {
    description:
      'pending: no producer; active: producer heartbeating; stale: producer missed heartbeats; closing: producer closed it, consumers told to leave.',
  },
);

const FieldType = Type.Union(
  [
    'bool',
    'int8',
    'uint8',
    'int16',
    'uint16',
    'int32',
    'uint32',
    'int64',
    'uint64',
    'float32',
    'float64',
    'char',
    'string',
    'bytes',
  ].map((t) => Type.Literal(t)),
);
const SchemaField = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  type: FieldType,
  count: Type.Optional(Type.Integer({ minimum: 1 })),
  length: Type.Optional(Type.Integer({ minimum: 1 })),
  description: Type.Optional(
    Type.String({ description: 'Stored and returned by SCHEMA_GET; not part of the fingerprint.' }),
  ),
  unit: Type.Optional(Type.String({ description: 'Stored and returned by SCHEMA_GET; not part of the fingerprint.' })),
});
const StructSchema = Type.Object({
  packing: Type.Union([Type.Literal('aligned'), Type.Literal('packed')]),
  fields: Type.Array(SchemaField, { minItems: 1, maxItems: 4096 }),
});
/** A schema document in the JSON format of docs/datablock-format.md ("Schemas, BLDS and fingerprints"). The broker validates it fully with parseSchema. */
export const SchemaDocument = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    version: Type.Integer({ minimum: 0, maximum: 1023 }),
    description: Type.Optional(Type.String()),
    slot: StructSchema,
    flexzone: Type.Optional(StructSchema),
  },
  {
    description: `DataBlock schema document (${DATABLOCK_FORMAT_DOC}, "Schemas, BLDS and fingerprints"). Errors inside it are SCHEMA_INVALID.`,
  },
);

const SchemaRef = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    version: Type.Integer({ minimum: 0, maximum: 1023 }),
    fingerprint: Type.Optional(Fingerprint),
  },
  {
    description:
      'A schema in the registry. A fingerprint, if given, is only compared with the one the broker computed (SCHEMA_MISMATCH). Sent with schemaDefinition, id and version must name it (BAD_REQUEST otherwise).',
  },
);

/** The schema a channel is published with, as the broker computed it. */
const ChannelSchemaInfo = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  fingerprint: Fingerprint,
  flexzoneFingerprint: Type.Optional(Fingerprint),
});

export const DataBlockConfig = Type.Object(
  {
    policy: Type.Union([Type.Literal('Single'), Type.Literal('DoubleBuffer'), Type.Literal('RingBuffer')]),
    syncPolicy: Type.Union([Type.Literal('Latest_only'), Type.Literal('Sequential'), Type.Literal('Sequential_sync')]),
    capacity: Type.Integer({ minimum: 1, maximum: 0xffffffff, description: 'Ring slots.' }),
    pageSize: Type.Integer({
      minimum: 1,
      maximum: 0xffffffff,
      description: 'physical_page_size (4096, 4 MiB, 16 MiB).',
    }),
    slotSize: Type.Integer({
      minimum: 1,
      maximum: 0xffffffff,
      description: 'Slot stride in bytes (logical_unit_size).',
    }),
    flexZoneSize: Type.Integer({ minimum: 0, maximum: 0xffffffff, description: 'Flexible zone bytes.' }),
    checksumPolicy: Type.Optional(Type.Union([Type.Literal('None'), Type.Literal('Manual'), Type.Literal('Enforced')])),
  },
  { description: `DataBlock segment configuration (${DATABLOCK_FORMAT_DOC}, "Header").` },
);

// ---------------------------------------------------------------- consumer groups and QoS (capabilities "groups", "qos")
// Negotiated by HELLO.capabilities / HELLO_OK.capabilities, not by a protocol version:
// a client that did not ask for a capability never sees its messages, and may not use its fields.

/** Optional protocol features a client asks for in HELLO and the broker grants in HELLO_OK. */
export const CAPABILITIES = ['groups', 'qos', 'metrics', 'trace'] as const;
export type Capability = (typeof CAPABILITIES)[number];
const CapabilityName = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: '^[a-z][a-z0-9-]*$',
  description: 'A capability name; unknown ones are ignored (not granted).',
});

export const QosClass = Type.Union([Type.Literal('critical'), Type.Literal('normal'), Type.Literal('bulk')], {
  description:
    'Priority of a channel (capability "qos"): its heartbeat interval and liveness timeout, the order the broker serves requests about it under load (critical first), and the severity of its problems.',
});
const GroupName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  description: 'Consumer group name, unique per channel.',
});
const Generation = Type.Integer({
  minimum: 1,
  description: 'Rises by one on every rebalance of the group (join, leave, death).',
});
/** A member's share of a group: it owns the record ids with id mod size == index. */
const GroupShare = Type.Object({
  channel: ChannelName,
  group: GroupName,
  consumerId: Type.String(),
  generation: Generation,
  index: Type.Integer({ minimum: 0, description: 'This member owns record ids with id mod size == index.' }),
  size: Type.Integer({ minimum: 1, description: 'Members in the group in this generation.' }),
});
const GroupInfo = Type.Object({
  name: GroupName,
  generation: Generation,
  members: Type.Array(
    Type.Object({
      consumerId: Type.String(),
      index: Type.Integer({ minimum: 0 }),
      ackedGeneration: Type.Integer({
        minimum: 0,
        description: 'The last generation this member acknowledged with GROUP_ACK (0: none yet).',
      }),
      lastRecordId: Type.Optional(
        Type.Integer({ minimum: 0, description: 'The last record id the member reported processed (GROUP_ACK).' }),
      ),
    }),
    { description: 'In share order (index 0 first).' },
  ),
});
// ---------------------------------------------------------------- end of consumer groups and QoS building blocks

const ProducerInfo = Type.Object({
  producerName: Type.String(),
  producerUid: Type.String(),
  host: Type.String(),
  pid: Pid,
  registeredAt: EpochMs,
  lastHeartbeatAt: EpochMs,
});

export const ChannelInfo = Type.Object({
  name: ChannelName,
  state: ChannelState,
  explicit: Type.Boolean({ description: 'Created by CHANNEL_CREATE (kept when its producer leaves).' }),
  description: Type.Optional(Type.String()),
  createdAt: EpochMs,
  shmName: Type.Optional(ShmName),
  schema: Type.Union([ChannelSchemaInfo, Type.Null()], { description: 'null when the producer registered no schema.' }),
  config: Type.Optional(DataBlockConfig),
  producer: Type.Optional(ProducerInfo),
  consumerCount: Count,
  qos: Type.Optional(QosClass),
  groups: Type.Optional(
    Type.Array(GroupInfo, { description: 'Consumer groups of the channel (capability "groups").' }),
  ),
});

export const ConsumerInfo = Type.Object({
  consumerId: Type.String(),
  consumerName: Type.Optional(Type.String()),
  host: Type.String(),
  pid: Pid,
  expectedFingerprint: Type.Optional(Fingerprint),
  registeredAt: EpochMs,
  lastHeartbeatAt: EpochMs,
  stale: Type.Boolean(),
});

const SchemaSummary = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  description: Type.Optional(Type.String()),
  fingerprint: Fingerprint,
  flexzoneFingerprint: Type.Optional(Fingerprint),
  registeredAt: EpochMs,
});

const ClientInfo = Type.Object({
  name: Type.String(),
  host: Type.String(),
  pid: Pid,
  protocolVersion: Type.Integer(),
  connectedAt: EpochMs,
  lastSeenAt: EpochMs,
  registrations: Count,
  keyFingerprint: Type.Optional({
    ...KeyFingerprint,
    description: 'The client key the session is bound to (authenticated brokers).',
  }),
});

const Empty = Type.Object({});

// ---------------------------------------------------------------- message tracing (capability "trace")
const TraceDirection = Type.Union([Type.Literal('in'), Type.Literal('out')], {
  description: 'in: received by the broker; out: sent by it (reply, ERROR or notification).',
});
const TraceEntry = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Rises by one per entry the broker records.' }),
    at: EpochMs,
    direction: TraceDirection,
    connection: Type.String({ description: "The connection's routing id, hex." }),
    client: Type.Optional(Type.String({ description: 'The client name given in HELLO.' })),
    type: Type.String(),
    correlationId: Type.String({ description: 'Empty for notifications.' }),
    channel: Type.Optional(Type.String({ description: 'The channel the message names.' })),
    bytes: Count,
    requestType: Type.Optional(Type.String({ description: 'On a reply or ERROR: the request type it answers.' })),
    latencyMs: Type.Optional(
      Type.Number({ minimum: 0, description: 'On a reply or ERROR: ms since the request arrived.' }),
    ),
    errorCode: Type.Optional(Type.String({ description: 'On an ERROR: its code.' })),
  },
  { description: 'One message the broker received or sent: metadata only, never its body.' },
);
const TraceTypes = Type.Array(Text(64), {
  maxItems: 64,
  description: 'Only these message types (a request type also matches its replies and ERRORs); omitted or []: all.',
});
// ---------------------------------------------------------------- end of message tracing building blocks

// ---------------------------------------------------------------- requests and replies

/** Every request type with its body and the body of its `<TYPE>_OK` reply. */
export const REQUESTS = {
  HELLO: {
    summary: 'First message on a connection: offers protocol versions, identifies the client process.',
    request: Type.Object({
      versions: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1, maxItems: 16 }),
      client: Type.Object({
        name: Text(128, 'What the client is, e.g. "hubscope-app" or a producer name.'),
        host: Host,
        pid: Pid,
      }),
      auth: Type.Optional(
        Type.Object(
          {
            publicKey: CurveKey,
            proof: Type.String({
              pattern: '^[0-9a-f]{64}$',
              description:
                'HMAC-SHA256, keyed with the Curve25519 shared secret of the client key and the broker key, of "hubscope-hello/2\\n" + this connection\'s routing id (docs/security.md).',
            }),
          },
          {
            description:
              'Protocol 2, required by a CURVE broker: the client key this session is bound to, and proof of holding its secret.',
          },
        ),
      ),
      capabilities: Type.Optional(
        Type.Array(CapabilityName, {
          maxItems: 16,
          description: 'Optional features the client asks for ("groups", "qos"); HELLO_OK.capabilities grants them.',
        }),
      ),
    }),
    reply: Type.Object({
      version: Type.Integer({ description: 'The protocol version chosen by the broker.' }),
      bootId: Type.String({ description: 'Changes on every broker start: a new one means re-register everything.' }),
      brokerTime: EpochMs,
      heartbeatIntervalMs: Type.Integer({ minimum: 1, description: 'Send HEARTBEAT at this interval.' }),
      livenessTimeoutMs: Type.Integer({
        minimum: 1,
        description: 'A registration silent this long is removed (stale after 2 intervals).',
      }),
      maxMessageBytes: Type.Integer({ minimum: 1 }),
      broker: Type.Object({ software: Type.String(), version: Type.String() }),
      security: Type.Optional(Security),
      capabilities: Type.Optional(
        Type.Array(CapabilityName, {
          description: 'The capabilities asked for in HELLO that this broker grants; absent when none were asked.',
        }),
      ),
    }),
  },
  PING: {
    summary: 'Health check; the client measures the round-trip time.',
    request: Empty,
    reply: Type.Object({ bootId: Type.String(), brokerTime: EpochMs }),
  },
  STATUS: {
    summary: 'Broker overview for dashboards: endpoint, uptime, clients, channel and schema counts.',
    request: Empty,
    reply: Type.Object({
      endpoint: Type.String(),
      bootId: Type.String(),
      brokerVersion: Type.String(),
      protocolVersions: Type.Array(Type.Integer()),
      startedAt: EpochMs,
      uptimeMs: Type.Number(),
      brokerTime: EpochMs,
      heartbeatIntervalMs: Type.Integer(),
      livenessTimeoutMs: Type.Integer(),
      clients: Type.Array(ClientInfo),
      channels: Type.Object({ total: Count, pending: Count, active: Count, stale: Count, closing: Count }),
      schemas: Count,
      counters: Type.Object({ requests: Count, errors: Count, dropped: Count }),
    }),
  },
  HEARTBEAT: {
    summary: 'Sent every heartbeatIntervalMs while connected; refreshes each listed registration.',
    request: Type.Object({
      producers: Type.Array(ChannelName, { maxItems: 10000, description: 'Channels this connection produces.' }),
      consumers: Type.Array(Type.Object({ channel: ChannelName, consumerId: Text(128) }), { maxItems: 10000 }),
    }),
    reply: Type.Object({
      bootId: Type.String(),
      brokerTime: EpochMs,
      unknownProducers: Type.Array(ChannelName, {
        description: 'Not registered (any more) from this connection: register again.',
      }),
      unknownConsumers: Type.Array(Type.Object({ channel: ChannelName, consumerId: Type.String() })),
    }),
  },
  PRODUCER_REGISTER: {
    summary: 'Registers (or idempotently re-registers) the producer of a channel, creating the channel if needed.',
    request: Type.Object({
      channel: ChannelName,
      shmName: ShmName,
      schema: Type.Optional(SchemaRef),
      schemaDefinition: Type.Optional(SchemaDocument),
      config: DataBlockConfig,
      host: Host,
      pid: Pid,
      producerName: Text(128),
      producerUid: Text(128, 'Stable identity of the producer; with host and pid it identifies the owner.'),
      description: Type.Optional(Type.String({ maxLength: 1024 })),
      qos: Type.Optional({ ...QosClass, description: 'Capability "qos": the channel\'s class; default normal.' }),
    }),
    reply: Type.Object({
      channel: ChannelInfo,
      created: Type.Boolean({ description: 'The channel did not exist before.' }),
      heartbeatIntervalMs: Type.Optional(
        Type.Integer({ minimum: 1, description: 'Capability "qos": heartbeat this channel at this interval.' }),
      ),
      livenessTimeoutMs: Type.Optional(
        Type.Integer({ minimum: 1, description: 'Capability "qos": the liveness timeout of this channel.' }),
      ),
      reregistered: Type.Boolean({ description: 'The same producer was already registered (idempotent).' }),
    }),
  },
  PRODUCER_DEREGISTER: {
    summary: 'The producer leaves: consumers get CHANNEL_CLOSING and the channel closes.',
    request: Type.Object({
      channel: ChannelName,
      producerUid: Text(128, "Must be the registered producer's uid; another uid gets CHANNEL_OWNED."),
    }),
    reply: Type.Object({ channel: ChannelName }),
  },
  CONSUMER_REGISTER: {
    summary: 'Registers a consumer of a channel (creating a pending channel if needed).',
    request: Type.Object({
      channel: ChannelName,
      consumerId: Text(128, 'Unique per channel.'),
      consumerName: Type.Optional(Text(128)),
      expectedFingerprint: Type.Optional(Fingerprint),
      host: Host,
      pid: Pid,
      group: Type.Optional({
        ...GroupName,
        description: 'Capability "groups": join this consumer group of the channel (GROUP_REBALANCED follows).',
      }),
    }),
    reply: Type.Object({
      channel: ChannelInfo,
      reregistered: Type.Boolean(),
      share: Type.Optional({ ...GroupShare, description: 'Capability "groups": this member\'s share after joining.' }),
    }),
  },
  CONSUMER_DEREGISTER: {
    summary: 'A consumer leaves; its producer gets CONSUMER_LEFT.',
    request: Type.Object({ channel: ChannelName, consumerId: Text(128) }),
    reply: Type.Object({ channel: ChannelName }),
  },
  CONSUMER_LIST: {
    summary: 'Consumers of a channel (what a producer asks to know who reads it).',
    request: Type.Object({ channel: ChannelName }),
    reply: Type.Object({ channel: ChannelName, consumers: Type.Array(ConsumerInfo) }),
  },
  DISCOVER: {
    summary:
      'Channel name to shm name, schema, state, producer and consumer count; waits up to waitMs for a pending channel.',
    request: Type.Object({
      channel: ChannelName,
      waitMs: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 60000,
          description: 'How long the broker may hold the request while the channel is pending.',
        }),
      ),
    }),
    reply: Type.Object({ channel: ChannelInfo }),
  },
  CHANNEL_CREATE: {
    summary:
      'Creates a channel explicitly (state pending until a producer registers). Idempotent; on an existing channel (even an active one) it only marks it explicit.',
    request: Type.Object({ channel: ChannelName, description: Type.Optional(Type.String({ maxLength: 1024 })) }),
    reply: Type.Object({ channel: ChannelInfo, created: Type.Boolean() }),
  },
  CHANNEL_DESTROY: {
    summary:
      'Removes a channel and every registration on it; its producer and consumers get CHANNEL_CLOSING, then REGISTRATION_DROPPED (reason destroyed).',
    request: Type.Object({ channel: ChannelName }),
    reply: Type.Object({ channel: ChannelName, notified: Count }),
  },
  CHANNEL_LIST: {
    summary: 'Lists channels, optionally filtered by state, name prefix and producer host.',
    request: Type.Object({
      states: Type.Optional(
        Type.Array(ChannelState, {
          maxItems: 4,
          description: 'Only channels in these states; omitted: all states; [] matches nothing.',
        }),
      ),
      prefix: Type.Optional(
        Type.String({
          maxLength: CHANNEL_NAME_MAX,
          description:
            'Whole dot-separated segments: "lab.cam" matches "lab.cam" and "lab.cam.frames", not "lab.camera". A trailing "." is ignored; "" matches all.',
        }),
      ),
      producerHost: Type.Optional(Type.String({ maxLength: 255 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'At most this many channels.' })),
    }),
    reply: Type.Object({
      channels: Type.Array(ChannelInfo, { description: 'Sorted by name; at most limit entries.' }),
      total: Type.Integer({ minimum: 0, description: 'How many channels matched the filter, before limit.' }),
    }),
  },
  SCHEMA_REGISTER: {
    summary: 'Adds a schema to the registry; the broker computes its fingerprints. Idempotent for an identical schema.',
    request: Type.Object({ schema: SchemaDocument }),
    reply: Type.Object({
      id: Type.String(),
      version: Type.Integer(),
      fingerprint: Fingerprint,
      flexzoneFingerprint: Type.Optional(Fingerprint),
      created: Type.Boolean(),
    }),
  },
  SCHEMA_GET: {
    summary: 'One schema by id and version (latest version when omitted).',
    request: Type.Object({
      id: Type.String({ minLength: 1, maxLength: 256 }),
      version: Type.Optional(Type.Integer({ minimum: 0, maximum: 1023 })),
    }),
    reply: Type.Object({
      schema: SchemaDocument,
      fingerprint: Fingerprint,
      flexzoneFingerprint: Type.Optional(Fingerprint),
      registeredAt: EpochMs,
    }),
  },
  SCHEMA_LIST: {
    summary: 'Summaries of registered schemas, all versions, optionally of one id.',
    request: Type.Object({ id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }),
    reply: Type.Object({ schemas: Type.Array(SchemaSummary) }),
  },
  // ---------------------------------------------------------------- consumer groups (capability "groups")
  GROUP_ACK: {
    summary:
      'A group member confirms the generation it acts on (and optionally its progress); an old generation gets STALE_GENERATION with the current share.',
    request: Type.Object({
      channel: ChannelName,
      group: GroupName,
      consumerId: Text(128),
      generation: Generation,
      lastRecordId: Type.Optional(
        Type.Integer({ minimum: 0, description: 'The last record id this member processed.' }),
      ),
    }),
    reply: GroupShare,
  },
  // ---------------------------------------------------------------- end of consumer groups
  // ---------------------------------------------------------------- metrics (capability "metrics")
  METRICS: {
    summary:
      'Connection and broker-wide metrics: requests by type and per second, errors by code, notifications, bytes, reply latency per connection, live registrations and sessions.',
    request: Empty,
    reply: Type.Object({
      brokerTime: EpochMs,
      uptimeMs: Type.Number(),
      sessions: Count,
      requests: Count,
      requestsByType: Type.Record(Type.String(), Count, { description: 'Requests received, by type, since start.' }),
      requestsPerSecond: Type.Record(Type.String(), Type.Number({ minimum: 0 }), {
        description: 'Requests per second by type, averaged over the last 10 whole seconds.',
      }),
      errorsByCode: Type.Record(Type.String(), Count, { description: 'ERROR replies sent, by code.' }),
      notifications: Count,
      notificationsByType: Type.Record(Type.String(), Count),
      dropped: Count,
      bytesIn: Count,
      bytesOut: Count,
      registrations: Type.Object({ producers: Count, consumers: Count, channels: Count, schemas: Count }),
      connections: Type.Array(
        Type.Object({
          connection: Type.String({ description: 'Routing id, hex.' }),
          client: Type.Optional(Type.String({ description: 'The name given in HELLO.' })),
          host: Type.Optional(Type.String()),
          pid: Type.Optional(Pid),
          requests: Count,
          errorsByCode: Type.Record(Type.String(), Count),
          bytesIn: Count,
          bytesOut: Count,
          latencyP50Ms: Type.Number({ minimum: 0, description: 'Median time from request to reply at the broker.' }),
          latencyP99Ms: Type.Number({ minimum: 0 }),
          firstSeenAt: EpochMs,
          lastSeenAt: EpochMs,
        }),
        { description: 'Connections with a session, busiest first.' },
      ),
    }),
  },
  // ---------------------------------------------------------------- end of metrics
  // ---------------------------------------------------------------- message tracing (capability "trace")
  TRACE_SUBSCRIBE: {
    summary:
      'Follow the broker trace: TRACE_EVENT notifications for every message matching the filter, until TRACE_UNSUBSCRIBE or the session ends. Authenticated (CURVE) sessions only.',
    request: Type.Object({
      types: Type.Optional(TraceTypes),
      channel: Type.Optional(ChannelName),
      recent: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 1000,
          description: 'Also return up to this many matching entries already recorded.',
        }),
      ),
    }),
    reply: Type.Object({
      capacity: Type.Integer({ minimum: 1, description: 'Entries the broker keeps in its trace ring.' }),
      recorded: Count,
      maxEventsPerSecond: Type.Integer({
        minimum: 1,
        description: 'TRACE_EVENTs sent to one subscriber per second at most; the rest are dropped and counted.',
      }),
      recent: Type.Array(TraceEntry, { description: 'Oldest first.' }),
    }),
  },
  TRACE_UNSUBSCRIBE: {
    summary: 'Stop the TRACE_EVENT notifications of this session.',
    request: Empty,
    reply: Type.Object({ wasSubscribed: Type.Boolean() }),
  },
  // ---------------------------------------------------------------- end of message tracing
  BYE: {
    summary: 'The client leaves: everything registered through this connection is deregistered.',
    request: Empty,
    reply: Type.Object({ removed: Count }),
  },
} as const satisfies Record<string, { summary: string; request: TSchema; reply: TSchema }>;

// ---------------------------------------------------------------- notifications and errors

/** Unsolicited messages from the broker (empty correlation id). */
export const NOTIFICATIONS = {
  CONSUMER_JOINED: {
    summary: 'To a producer: a consumer registered on its channel.',
    body: Type.Object({ channel: ChannelName, consumer: ConsumerInfo }),
  },
  CONSUMER_LEFT: {
    summary:
      'To a producer: a consumer it was told of (CONSUMER_JOINED) deregistered, timed out, disconnected, or was dropped because the producer re-registered with a schema the consumer does not expect.',
    body: Type.Object({
      channel: ChannelName,
      consumerId: Type.String(),
      reason: Type.Union([
        Type.Literal('deregistered'),
        Type.Literal('timeout'),
        Type.Literal('schema-mismatch'),
        Type.Literal('disconnected'),
      ]),
    }),
  },
  CHANNEL_ACTIVE: {
    summary: 'To consumers: a producer registered on their channel (first time or after leaving).',
    body: Type.Object({ channel: ChannelName, info: ChannelInfo }),
  },
  PRODUCER_GONE: {
    summary: 'To consumers: the producer stopped heartbeating and was removed (or its connection said BYE).',
    body: Type.Object({
      channel: ChannelName,
      reason: Type.Union([Type.Literal('timeout'), Type.Literal('disconnected')]),
    }),
  },
  CHANNEL_CLOSING: {
    summary:
      'To consumers (and the producer when destroyed): the channel is closing. producer-closed: deregister; destroyed: the registration is already gone (REGISTRATION_DROPPED follows).',
    body: Type.Object({
      channel: ChannelName,
      reason: Type.Union([Type.Literal('producer-closed'), Type.Literal('destroyed')]),
    }),
  },
  REGISTRATION_DROPPED: {
    summary:
      'To the owner of a registration the broker removed on its own: timeout (no heartbeat), destroyed (CHANNEL_DESTROY), schema-mismatch (the producer publishes a schema the consumer does not expect), channel-closed (the producer closed the channel and the consumer had not left by the liveness timeout).',
    body: Type.Object({
      channel: ChannelName,
      role: Type.Union([Type.Literal('producer'), Type.Literal('consumer')]),
      consumerId: Type.Optional(Type.String({ description: 'Set when role is consumer.' })),
      reason: Type.Union([
        Type.Literal('timeout'),
        Type.Literal('destroyed'),
        Type.Literal('schema-mismatch'),
        Type.Literal('channel-closed'),
      ]),
      message: Type.String(),
    }),
  },
  // ---------------------------------------------------------------- consumer groups (capability "groups")
  GROUP_REBALANCED: {
    summary:
      'To every member of a consumer group after a join, leave or death: its share in the new generation. Members process record ids with id mod size == index from then on.',
    body: GroupShare,
  },
  // ---------------------------------------------------------------- end of consumer groups
  BROKER_SHUTDOWN: {
    summary: 'To every client: the broker is stopping. Reconnect with backoff; a restarted broker has a new boot id.',
    body: Type.Object({ reason: Type.String() }),
  },
  // ---------------------------------------------------------------- message tracing (capability "trace")
  TRACE_EVENT: {
    summary:
      'To a TRACE_SUBSCRIBE session: one message the broker received or sent. TRACE_EVENTs themselves are never traced.',
    body: Type.Object({
      entry: TraceEntry,
      dropped: Type.Integer({
        minimum: 0,
        description: 'Events not sent to this subscriber since the previous one (over maxEventsPerSecond).',
      }),
    }),
  },
  // ---------------------------------------------------------------- end of message tracing
} as const satisfies Record<string, { summary: string; body: TSchema }>;

export const ErrorBody = Type.Object({
  code: Type.Union(BROKER_ERROR_CODE_LIST.map((c) => Type.Literal(c))),
  message: Type.String({ description: 'What went wrong, for a person; names the field and value.' }),
  action: Type.String({ description: 'What the client should do.' }),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/** Requests carrying a schema document: a bad field inside it is SCHEMA_INVALID, not BAD_REQUEST. */
export const SCHEMA_DOCUMENT_FIELDS = {
  SCHEMA_REGISTER: 'schema',
  PRODUCER_REGISTER: 'schemaDefinition',
} as const satisfies Partial<Record<keyof typeof REQUESTS, string>>;

// ---------------------------------------------------------------- derived types

export type RequestType = keyof typeof REQUESTS;
export type NotificationType = keyof typeof NOTIFICATIONS;
export type RequestBody<T extends RequestType> = Static<(typeof REQUESTS)[T]['request']>;
export type ReplyBody<T extends RequestType> = Static<(typeof REQUESTS)[T]['reply']>;
export type NotificationBody<T extends NotificationType> = Static<(typeof NOTIFICATIONS)[T]['body']>;
export type ErrorReply = Static<typeof ErrorBody>;
export type ChannelInfoT = Static<typeof ChannelInfo>;
export type ConsumerInfoT = Static<typeof ConsumerInfo>;
export type ChannelStateT = Static<typeof ChannelState>;
export type DataBlockConfigT = Static<typeof DataBlockConfig>;
export type SchemaDocumentT = Static<typeof SchemaDocument>;
export type SecurityModeT = Static<typeof SecurityMode>;
export type QosClassT = Static<typeof QosClass>;
export type GroupShareT = Static<typeof GroupShare>;
export type GroupInfoT = Static<typeof GroupInfo>;

export const REQUEST_TYPES = Object.keys(REQUESTS) as RequestType[];
export const NOTIFICATION_TYPES = Object.keys(NOTIFICATIONS) as NotificationType[];
export const ERROR_TYPE = 'ERROR';
export const REPLY_SUFFIX = '_OK';

export function replyTypeOf(type: RequestType): string {
  return type + REPLY_SUFFIX;
}

export function isRequestType(type: string): type is RequestType {
  return Object.prototype.hasOwnProperty.call(REQUESTS, type);
}

export function isNotificationType(type: string): type is NotificationType {
  return Object.prototype.hasOwnProperty.call(NOTIFICATIONS, type);
}
