// The two kinds of discovery file, defined once with TypeBox: the TypeScript
// types, the runtime validation (validate.ts) and the JSON Schema documents in
// docs/discovery/*.json all come from these definitions.
//
// Versioning: the `format` string carries the major version. Readers accept
// only the majors they know and ignore unknown extra fields, so a writer may
// add optional fields within a major version without breaking older readers.
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';

export const CHANNEL_DESCRIPTOR_FORMAT = 'hubscope.discovery/1';
export const BROKER_ENDPOINT_FORMAT = 'hubscope.broker-endpoint/1';

/** ISO-8601 date-time with a time zone, as written by `Date.prototype.toISOString()`. */
const ISO_DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export function isIsoDateTime(value: string): boolean {
  return ISO_DATE_TIME_RE.test(value) && Number.isFinite(Date.parse(value));
}
// The registry is global to TypeBox; register only if nobody else has, so two
// modules using 'date-time' do not fight over it.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isIsoDateTime);

const DateTime = (description: string) => Type.String({ format: 'date-time', description });
const Text = (description: string, maxLength = 256) => Type.String({ minLength: 1, maxLength, description });
const Pid = Type.Integer({ minimum: 1, maximum: 4_194_304, description: 'Process id of the writer on `host`.' });
const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Lower-case hex of 32 bytes.' });

export const DataBlockConfigSchema = Type.Object(
  {
    policy: Type.Union([Type.Literal('Single'), Type.Literal('DoubleBuffer'), Type.Literal('RingBuffer')]),
    syncPolicy: Type.Union([Type.Literal('Latest_only'), Type.Literal('Sequential'), Type.Literal('Sequential_sync')]),
    capacity: Type.Integer({ minimum: 1, maximum: 0xffffffff, description: 'Ring slot count.' }),
    pageSize: Type.Integer({ minimum: 1, maximum: 0xffffffff, description: 'physical_page_size, usually 4096.' }),
    slotSize: Type.Integer({ minimum: 1, maximum: 0xffffffff, description: 'Slot stride in bytes (multiple of 64).' }),
    flexZoneSize: Type.Integer({ minimum: 0, maximum: 0xffffffff, description: 'Flexible zone bytes (0 or N*4096).' }),
    checksumPolicy: Type.Union([Type.Literal('None'), Type.Literal('Manual'), Type.Literal('Enforced')]),
  },
  { description: 'The DataBlock configuration, as in the segment header (spec section 3).' },
);

export const DescriptorSchemaRefSchema = Type.Object(
  {
    id: Type.Optional(Text('Schema id, e.g. "lab.demo.counter".')),
    version: Type.Optional(Type.Integer({ minimum: 0, maximum: 1023 })),
    fingerprint: Type.Optional(Hex64),
    flexzoneFingerprint: Type.Optional(Hex64),
    definition: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description:
            'The whole schema file inline (spec section 6). When present, id/version/fingerprint may be omitted.',
        },
      ),
    ),
  },
  {
    description:
      'The slot schema: either `definition` (inline schema), or all of `id`, `version` and `fingerprint`. When both are given they must agree.',
  },
);

export const ChannelDescriptorSchema = Type.Object(
  {
    format: Type.Literal(CHANNEL_DESCRIPTOR_FORMAT),
    channel: Text('Channel name, e.g. "lab.demo.counter".'),
    shmName: Text('POSIX shm name as passed to shm_open (a leading "/" is normal).'),
    host: Text('Host name of the producer (os.hostname()).'),
    pid: Pid,
    bootId: Type.Optional(Text('Linux /proc/sys/kernel/random/boot_id of the producer host.', 64)),
    instance: Type.Optional(Text('Random id of the writer, so it only ever removes its own file.', 64)),
    producer: Type.Object(
      { name: Type.Optional(Text('Producer name.')), uid: Type.Optional(Text('Producer uid.')) },
      { description: 'Who produces the channel.' },
    ),
    schema: Type.Optional(DescriptorSchemaRefSchema),
    dataBlock: DataBlockConfigSchema,
    createdAt: DateTime('When the producer created the channel.'),
    updatedAt: DateTime('Last heartbeat; the writer rewrites the file every heartbeatIntervalMs.'),
    heartbeatIntervalMs: Type.Integer({
      minimum: 0,
      maximum: 86_400_000,
      description: '0 = no heartbeat (liveness only through the pid on the same host).',
    }),
    brokerEndpoint: Type.Optional(Text('MessageHub broker the producer registers with, e.g. tcp://host:5570.')),
  },
  {
    $id: 'https://hubscope.local/schemas/channel-descriptor-1.json',
    title: 'HubScope channel descriptor (hubscope.discovery/1)',
    description: 'One file per channel, <channel>.channel.json, in the discovery directory (docs/discovery.md).',
  },
);

export const BrokerEndpointSchema = Type.Object(
  {
    format: Type.Literal(BROKER_ENDPOINT_FORMAT),
    endpoint: Text('ZeroMQ endpoint clients connect to, e.g. tcp://10.0.0.5:5570.'),
    host: Text('Host name of the broker.'),
    pid: Pid,
    bootId: Type.Optional(Text('Linux boot_id of the broker host.', 64)),
    instance: Type.Optional(Text('Random id of the writer.', 64)),
    name: Type.Optional(Text('Broker (hub) name.')),
    version: Type.Optional(Text('Broker software version.', 64)),
    serverKey: Type.Optional(
      Type.String({
        pattern: '^[0-9a-zA-Z.\\-:+=^!/*?&<>()\\[\\]{}@%$#]{40}$',
        description:
          "The broker's CURVE public key (Z85, 40 characters); absent for an open broker. Clients connect with it (docs/security.md).",
      }),
    ),
    security: Type.Optional(
      Type.Union([Type.Literal('curve'), Type.Literal('allow-list'), Type.Literal('open')], {
        description: 'How the broker authenticates clients (docs/security.md).',
      }),
    ),
    startedAt: DateTime('When the broker started.'),
    updatedAt: DateTime('Last heartbeat.'),
    heartbeatIntervalMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
  },
  {
    $id: 'https://hubscope.local/schemas/broker-endpoint-1.json',
    title: 'HubScope broker endpoint file (hubscope.broker-endpoint/1)',
    description: 'One file per running broker, broker.<host>.<pid>.json, in the discovery directory.',
  },
);

export type DataBlockConfig = Static<typeof DataBlockConfigSchema>;
export type DescriptorSchemaRef = Static<typeof DescriptorSchemaRefSchema>;
export type ChannelDescriptor = Static<typeof ChannelDescriptorSchema>;
export type BrokerEndpoint = Static<typeof BrokerEndpointSchema>;
