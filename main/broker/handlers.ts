// One function per request type (protocol 1 and 2). Each gets a validated body and
// returns the `<TYPE>_OK` body (or a promise of it), or throws BrokerError. Requests
// that change a channel or registration pass the session, whose key must own it.
import { hostname } from 'node:os';
import {
  AUTH_PROTOCOL_VERSION,
  PROTOCOL_VERSIONS,
  type ReplyBody,
  type RequestBody,
  type RequestType,
} from '../protocol/messages.js';
import { VERSION } from '../version.js';
import { BrokerError } from './broker-error.js';
import { grantCapabilities, hasCapability, requireCapability } from './capabilities.js';
import type { ChannelRegistry, ChannelSchemaView } from './channel-registry.js';
import type { DiscoveryWaiters } from './discovery-waiters.js';
import { qosTiming } from './qos.js';
import { metricsReply, type BrokerMetrics } from './metrics.js';
import type { TraceRing } from '../protocol/trace.js';
import type { TraceSubscriptions } from './trace-subscriptions.js';
import { SchemaRegistry, type SchemaEntry } from './schema-registry.js';
import type { BrokerSecurity } from './security.js';
import { createSession, type Session } from './session.js';

export interface BrokerCounters {
  requests: number;
  errors: number;
  dropped: number;
}

/** What handlers may touch of the broker. */
export interface BrokerCore {
  readonly channels: ChannelRegistry;
  readonly schemas: SchemaRegistry;
  readonly waiters: DiscoveryWaiters;
  readonly sessions: Map<string, Session>;
  readonly counters: BrokerCounters;
  readonly bootId: string;
  readonly startedAt: number;
  readonly heartbeatIntervalMs: number;
  readonly livenessTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly security: BrokerSecurity;
  /** Message counts and latencies (metrics.ts), fed by the broker's receive and send paths. */
  readonly metrics: BrokerMetrics;
  /** Recent messages (main/protocol/trace.ts) and the sessions following them (TRACE_SUBSCRIBE). */
  readonly trace: TraceRing;
  readonly traceSubscriptions: TraceSubscriptions;
  endpoint(): string;
  /** A schema was added: persist the registry and tell subscribers. */
  schemasChanged(): void;
  clientsChanged(): void;
}

export interface RequestContext {
  identity: Buffer;
  /** Undefined only for HELLO from an unknown connection. */
  session: Session | undefined;
  now: number;
}

type Handler<T extends RequestType> = (
  body: RequestBody<T>,
  ctx: RequestContext,
) => ReplyBody<T> | Promise<ReplyBody<T>>;
export type Handlers = { [T in RequestType]: Handler<T> };

export const BROKER_SOFTWARE = 'hubscope-broker';

function viewOf(e: SchemaEntry): ChannelSchemaView {
  const v: ChannelSchemaView = { id: e.schema.id, version: e.schema.version, fingerprint: e.fingerprint };
  if (e.flexzoneFingerprint) v.flexzoneFingerprint = e.flexzoneFingerprint;
  return v;
}

function session(ctx: RequestContext): Session {
  // The dispatcher answers HELLO_REQUIRED before calling any handler but HELLO.
  if (!ctx.session) throw new BrokerError('HELLO_REQUIRED', 'send HELLO first');
  return ctx.session;
}

export function createHandlers(core: BrokerCore): Handlers {
  /** The schema a producer publishes with; fingerprints always computed here. */
  function producerSchema(body: RequestBody<'PRODUCER_REGISTER'>, now: number): ChannelSchemaView | null {
    const ref = body.schema;
    let entry: SchemaEntry;
    if (body.schemaDefinition) {
      const prepared = SchemaRegistry.prepare(body.schemaDefinition, now);
      if (ref && (ref.id !== prepared.schema.id || ref.version !== prepared.schema.version)) {
        throw new BrokerError(
          'BAD_REQUEST',
          `schema names ${ref.id} v${ref.version} but schemaDefinition is ${prepared.schema.id} v${prepared.schema.version}`,
        );
      }
      const added = core.schemas.add(prepared);
      entry = added.entry;
      if (added.created) core.schemasChanged();
    } else if (ref) {
      entry = core.schemas.require(ref.id, ref.version);
    } else {
      return null;
    }
    if (ref?.fingerprint !== undefined && ref.fingerprint !== entry.fingerprint) {
      throw new BrokerError(
        'SCHEMA_MISMATCH',
        `the producer claims fingerprint ${ref.fingerprint} for schema ${entry.schema.id} v${entry.schema.version}, but its definition hashes to ${entry.fingerprint}`,
        {
          expected: ref.fingerprint,
          actual: entry.fingerprint,
          schemaId: entry.schema.id,
          schemaVersion: entry.schema.version,
        },
      );
    }
    return viewOf(entry);
  }

  return {
    HELLO(body, ctx) {
      const offered = new Set(body.versions);
      const common = PROTOCOL_VERSIONS.filter((v) => offered.has(v));
      if (common.length === 0) {
        throw new BrokerError(
          'UNSUPPORTED_VERSION',
          `this broker speaks protocol version(s) ${PROTOCOL_VERSIONS.join(', ')}; the client offered ${body.versions.join(', ')}`,
          { supported: [...PROTOCOL_VERSIONS], offered: body.versions },
        );
      }
      const version = Math.max(...common);
      let existing = ctx.session;
      // The key is proved before anything else changes; a second HELLO must prove the same one.
      const client = core.security.authenticate(body, version, ctx.identity, existing?.client);
      if (existing) {
        // HELLO again on the same connection: keep its registrations, refresh identity.
        existing.name = body.client.name;
        existing.host = body.client.host;
        existing.pid = body.client.pid;
        existing.protocolVersion = version;
      } else {
        const s = createSession(ctx.identity, body.client, version, ctx.now, client);
        core.sessions.set(s.key, s);
        existing = s;
      }
      const capabilities = grantCapabilities(existing, body.capabilities ?? []);
      core.clientsChanged();
      const reply: ReplyBody<'HELLO'> = {
        version,
        bootId: core.bootId,
        brokerTime: ctx.now,
        heartbeatIntervalMs: core.heartbeatIntervalMs,
        livenessTimeoutMs: core.livenessTimeoutMs,
        maxMessageBytes: core.maxMessageBytes,
        broker: { software: BROKER_SOFTWARE, version: VERSION },
      };
      // Negotiated: a protocol-1 client never sees fields it does not know.
      if (version >= AUTH_PROTOCOL_VERSION) reply.security = core.security.helloSecurity(client);
      if (body.capabilities !== undefined) reply.capabilities = capabilities;
      return reply;
    },

    PING(_body, ctx) {
      return { bootId: core.bootId, brokerTime: ctx.now };
    },

    STATUS(_body, ctx) {
      const clients = [...core.sessions.values()].map((s) => ({
        name: s.name,
        host: s.host,
        pid: s.pid,
        protocolVersion: s.protocolVersion,
        connectedAt: s.connectedAt,
        lastSeenAt: s.lastSeenAt,
        registrations: s.producers.size + s.consumers.size,
        ...(s.client ? { keyFingerprint: s.client.fingerprint } : {}),
      }));
      return {
        endpoint: core.endpoint(),
        bootId: core.bootId,
        brokerVersion: VERSION,
        protocolVersions: [...PROTOCOL_VERSIONS],
        startedAt: core.startedAt,
        uptimeMs: ctx.now - core.startedAt,
        brokerTime: ctx.now,
        heartbeatIntervalMs: core.heartbeatIntervalMs,
        livenessTimeoutMs: core.livenessTimeoutMs,
        clients,
        channels: core.channels.countByState(),
        schemas: core.schemas.size,
        counters: { ...core.counters },
      };
    },

    HEARTBEAT(body, ctx) {
      const result = core.channels.heartbeat(session(ctx), body.producers, body.consumers, ctx.now);
      return { bootId: core.bootId, brokerTime: ctx.now, ...result };
    },

    PRODUCER_REGISTER(body, ctx) {
      const s = session(ctx);
      if (body.qos !== undefined) requireCapability(s, 'qos', 'PRODUCER_REGISTER.qos');
      const schema = producerSchema(body, ctx.now);
      const timing =
        body.qos !== undefined ? qosTiming(body.qos, core.heartbeatIntervalMs, core.livenessTimeoutMs) : undefined;
      const input = {
        channel: body.channel,
        shmName: body.shmName,
        schema,
        config: body.config,
        host: body.host,
        pid: body.pid,
        producerName: body.producerName,
        producerUid: body.producerUid,
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.qos !== undefined && timing ? { qos: body.qos, liveness: timing } : {}),
      };
      const r = core.channels.registerProducer(input, s, ctx.now);
      const reply: ReplyBody<'PRODUCER_REGISTER'> = {
        channel: core.channels.info(r.channel),
        created: r.created,
        reregistered: r.reregistered,
      };
      if (hasCapability(s, 'qos')) {
        reply.heartbeatIntervalMs = timing?.heartbeatIntervalMs ?? core.heartbeatIntervalMs;
        reply.livenessTimeoutMs = timing?.removeAfterMs ?? core.livenessTimeoutMs;
      }
      return reply;
    },

    PRODUCER_DEREGISTER(body, ctx) {
      core.channels.deregisterProducer(body.channel, body.producerUid, session(ctx));
      return { channel: body.channel };
    },

    CONSUMER_REGISTER(body, ctx) {
      const s = session(ctx);
      if (body.group !== undefined) requireCapability(s, 'groups', 'CONSUMER_REGISTER.group');
      const r = core.channels.registerConsumer(body, s, ctx.now);
      const reply: ReplyBody<'CONSUMER_REGISTER'> = {
        channel: core.channels.info(r.channel),
        reregistered: r.reregistered,
      };
      const share =
        body.group !== undefined ? core.channels.groups.share(body.channel, body.group, body.consumerId) : undefined;
      if (share) reply.share = share;
      return reply;
    },

    GROUP_ACK(body, ctx) {
      const s = session(ctx);
      requireCapability(s, 'groups', 'GROUP_ACK');
      // Only the connection holding the registration speaks for it.
      const member = core.channels.channels.get(body.channel)?.consumers.get(body.consumerId);
      if (!member || member.route !== s || member.group !== body.group) {
        throw new BrokerError(
          'NOT_A_MEMBER',
          `consumer ${JSON.stringify(body.consumerId)} of this connection is not a member of group ${JSON.stringify(body.group)} on channel ${JSON.stringify(body.channel)}`,
          { channel: body.channel, group: body.group, consumerId: body.consumerId },
        );
      }
      const share = core.channels.groups.ack(
        body.channel,
        body.group,
        body.consumerId,
        body.generation,
        body.lastRecordId,
      );
      return share;
    },

    CONSUMER_DEREGISTER(body, ctx) {
      core.channels.deregisterConsumer(body.channel, body.consumerId, session(ctx));
      return { channel: body.channel };
    },

    CONSUMER_LIST(body) {
      return { channel: body.channel, consumers: core.channels.consumers(body.channel) };
    },

    DISCOVER(body) {
      const ch = core.channels.channels.get(body.channel);
      if (!ch) {
        throw new BrokerError(
          'NOT_FOUND',
          `channel ${JSON.stringify(body.channel)} is not known to the broker at ${hostname()}`,
          { channel: body.channel },
        );
      }
      if (ch.producer) return { channel: core.channels.info(ch) };
      const waitMs = body.waitMs ?? 0;
      if (waitMs <= 0) {
        throw new BrokerError('PENDING', `channel ${JSON.stringify(body.channel)} exists but has no producer yet`, {
          channel: body.channel,
        });
      }
      return core.waiters.wait(body.channel, waitMs).then((info) => ({ channel: info }));
    },

    CHANNEL_CREATE(body, ctx) {
      const r = core.channels.createExplicit(body.channel, session(ctx), ctx.now, body.description);
      return { channel: core.channels.info(r.channel), created: r.created };
    },

    CHANNEL_DESTROY(body, ctx) {
      const notified = core.channels.destroy(body.channel, session(ctx));
      return { channel: body.channel, notified };
    },

    CHANNEL_LIST(body) {
      return core.channels.list(body);
    },

    SCHEMA_REGISTER(body, ctx) {
      const { entry, created } = core.schemas.add(SchemaRegistry.prepare(body.schema, ctx.now));
      if (created) core.schemasChanged();
      return { ...viewOf(entry), created };
    },

    SCHEMA_GET(body) {
      const e = core.schemas.require(body.id, body.version);
      const reply: ReplyBody<'SCHEMA_GET'> = {
        schema: e.schema,
        fingerprint: e.fingerprint,
        registeredAt: e.registeredAt,
      };
      if (e.flexzoneFingerprint) reply.flexzoneFingerprint = e.flexzoneFingerprint;
      return reply;
    },

    SCHEMA_LIST(body) {
      return { schemas: core.schemas.list(body.id) };
    },

    METRICS(_body, ctx) {
      requireCapability(session(ctx), 'metrics', 'METRICS');
      return metricsReply(core, ctx.now);
    },

    TRACE_SUBSCRIBE(body, ctx) {
      const s = session(ctx);
      requireCapability(s, 'trace', 'TRACE_SUBSCRIBE');
      // The trace shows every client's message types, channels and sizes (never bodies):
      // only a session that proved a key may follow it (docs/protocol.md, "Message tracing").
      if (!s.client) {
        throw new BrokerError(
          'AUTH_FAILED',
          'TRACE_SUBSCRIBE needs an authenticated session; this broker runs without authentication (--open)',
        );
      }
      const filter = {
        ...(body.types !== undefined ? { types: body.types } : {}),
        ...(body.channel !== undefined ? { channel: body.channel } : {}),
      };
      const recent = body.recent ? core.trace.entries({ ...filter, limit: body.recent }) : [];
      core.traceSubscriptions.subscribe(s, filter, ctx.now);
      return {
        capacity: core.trace.capacity,
        recorded: core.trace.recorded,
        maxEventsPerSecond: core.traceSubscriptions.maxEventsPerSecond,
        recent,
      };
    },

    TRACE_UNSUBSCRIBE(_body, ctx) {
      return { wasSubscribed: core.traceSubscriptions.unsubscribe(session(ctx)) };
    },

    BYE(_body, ctx) {
      const s = session(ctx);
      const removed = core.channels.dropSession(s);
      core.sessions.delete(s.key);
      core.clientsChanged();
      return { removed };
    },
  };
}
