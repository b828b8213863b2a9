// MessageHub client: one DEALER connection per broker endpoint per process (see
// MessageHub.forEndpoint), lazy connect, many outstanding requests matched by
// correlation id, per-request timeouts, heartbeats, reconnection with backoff and
// automatic re-registration when the broker restarts (new boot id).
// Without a broker every call fails fast with HubError('UNAVAILABLE'). On an
// authenticated broker it connects with CURVE keys (client-security.ts, docs/security.md);
// a wrong server key, a refused client key and a security mismatch fail fast too, each
// with its own code.
//
// This class is the facade: the connection lives in broker-connection.ts, what this
// process registered in handle-registry.ts, re-registration in reregistration.ts, and
// the connection's counts and trace ring in connection-metrics.ts.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type {
  ChannelInfoT,
  ConsumerInfoT,
  ReplyBody,
  RequestBody,
  RequestType,
  SchemaDocumentT,
} from '../protocol/messages.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import type { TraceEntry, TraceFilter } from '../protocol/trace.js';
import { BrokerConnection } from './broker-connection.js';
import { ConnectionMetrics, type ClientConnectionMetrics } from './connection-metrics.js';
import { HandleRegistry } from './handle-registry.js';
import type {
  ChannelFilter,
  ConnectionState,
  ConsumerRegistrationInput,
  HubEventMap,
  MessageHubOptions,
  ProducerRegistrationInput,
} from './hub-types.js';
import { NotificationRouter } from './notification-router.js';
import { ConsumerHandle, ProducerHandle, type HandleOwner } from './registrations.js';
import { Reregistration } from './reregistration.js';

export type {
  ChannelFilter,
  ConnectionState,
  ConsumerRegistrationInput,
  MessageHubOptions,
  ProducerRegistrationInput,
} from './hub-types.js';

export class MessageHub extends EventEmitter<HubEventMap> implements HandleOwner {
  private static readonly pool = new Map<string, MessageHub>();

  /**
   * The process-wide shared hub for `endpoint` (created on first use). Each call
   * takes a reference; close() releases it and the connection closes with the last one.
   */
  static forEndpoint(endpoint: string, options: Omit<MessageHubOptions, 'endpoint'> = {}): MessageHub {
    const existing = MessageHub.pool.get(endpoint);
    if (existing && existing.state !== 'closed') {
      existing.refs++;
      return existing;
    }
    const hub = new MessageHub({ ...options, endpoint });
    hub.pooled = true;
    MessageHub.pool.set(endpoint, hub);
    return hub;
  }

  readonly endpoint: string;
  private readonly requestTimeoutMs: number;
  private readonly connection: BrokerConnection;
  private readonly registry = new HandleRegistry();
  private readonly reregistration: Reregistration;
  private readonly counters: ConnectionMetrics;
  private refs = 1;
  private pooled = false;
  private rtt: number | undefined;

  constructor(options: MessageHubOptions) {
    super();
    this.endpoint = options.endpoint;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.reregistration = new Reregistration(this.registry, this.requestTimeoutMs);
    const notifications = new NotificationRouter(this.registry, this.reregistration, this);
    const clientName = options.clientName ?? 'hubscope';
    this.counters = new ConnectionMetrics(this.endpoint, clientName, options.traceCapacity);
    this.connection = new BrokerConnection(
      {
        endpoint: this.endpoint,
        clientName,
        connectTimeoutMs: options.connectTimeoutMs ?? 2000,
        backoff: { ...DEFAULT_BACKOFF, ...options.reconnect },
        security: options.security,
        discoveryDir: options.discoveryDir,
      },
      {
        events: this,
        notification: (link, type, body) => notifications.route(link, type, body),
        heartbeat: {
          body: () => this.registry.heartbeatBody(),
          answered: (link, reply) => this.reregistration.unknownTo(link, reply),
        },
        metrics: this.counters,
        resumed: (link) => {
          void this.reregistration.all(link).then((summary) => {
            if (summary) this.emit('reregistered', { bootId: this.bootId ?? '', ...summary });
          });
        },
      },
    );
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** Boot id of the broker of the current (or last) connection. */
  get bootId(): string | undefined {
    return this.connection.session?.bootId;
  }

  /** What the broker said in HELLO_OK (heartbeat interval, limits...). */
  get session(): Readonly<ReplyBody<'HELLO'>> | undefined {
    return this.connection.session;
  }

  /** Round-trip time of the last ping(), in ms. */
  get lastRttMs(): number | undefined {
    return this.rtt;
  }

  get registrationCount(): { producers: number; consumers: number } {
    return this.registry.counts;
  }

  /**
   * This hub's view of its connection since it was made (across reconnects): requests,
   * errors by code, timeouts, round-trip p50/p99, reconnects, bytes in and out.
   */
  metrics(): ClientConnectionMetrics {
    return this.counters.snapshot();
  }

  /** The messages this hub sent (out) and received (in), oldest first; metadata only. */
  trace(filter: TraceFilter = {}): TraceEntry[] {
    return this.counters.trace.entries(filter);
  }

  /** The trace as JSON lines (one entry per line). */
  exportTraceJsonLines(filter: TraceFilter = {}): string {
    return this.counters.trace.toJsonLines(filter);
  }

  /** Connects now (normally lazy). Rejects with UNAVAILABLE when no broker answers. */
  connect(): Promise<void> {
    return this.connection.ensureConnected();
  }

  /** Sends a request and resolves with the `<TYPE>_OK` body; rejects with HubError. */
  request<T extends RequestType>(
    type: T,
    body: RequestBody<T>,
    options: { timeoutMs?: number } = {},
  ): Promise<ReplyBody<T>> {
    return this.connection.request(type, body, options.timeoutMs ?? this.requestTimeoutMs) as Promise<ReplyBody<T>>;
  }

  /** HandleOwner: a handle closed or was dropped. */
  forget(handle: ProducerHandle | ConsumerHandle): void {
    this.registry.forget(handle);
  }

  // ------------------------------------------------------------ convenience API

  /** PING; resolves with the round-trip time. */
  async ping(options: { timeoutMs?: number } = {}): Promise<{ rttMs: number; bootId: string; brokerTime: number }> {
    await this.connection.ensureConnected();
    const t0 = performance.now();
    const reply = await this.request('PING', {}, options);
    this.rtt = performance.now() - t0;
    return { rttMs: this.rtt, bootId: reply.bootId, brokerTime: reply.brokerTime };
  }

  status(): Promise<ReplyBody<'STATUS'>> {
    return this.request('STATUS', {});
  }

  /**
   * Looks a channel up. With timeoutMs the broker holds the request while the
   * channel is pending (PENDING when it runs out); NOT_FOUND for unknown channels.
   */
  async discover(channel: string, options: { timeoutMs?: number } = {}): Promise<ChannelInfoT> {
    const waitMs = Math.min(60_000, Math.max(0, Math.round(options.timeoutMs ?? 0)));
    const reply = await this.request('DISCOVER', { channel, waitMs }, { timeoutMs: waitMs + this.requestTimeoutMs });
    return reply.channel;
  }

  async listChannels(filter: ChannelFilter = {}): Promise<ChannelInfoT[]> {
    return (await this.request('CHANNEL_LIST', filter)).channels;
  }

  async createChannel(channel: string, description?: string): Promise<ChannelInfoT> {
    return (await this.request('CHANNEL_CREATE', description === undefined ? { channel } : { channel, description }))
      .channel;
  }

  async destroyChannel(channel: string): Promise<void> {
    await this.request('CHANNEL_DESTROY', { channel });
  }

  async listConsumers(channel: string): Promise<ConsumerInfoT[]> {
    return (await this.request('CONSUMER_LIST', { channel })).consumers;
  }

  /** Registers a schema (the broker computes the fingerprints); it is sent again to a restarted broker. */
  async registerSchema(schema: SchemaDocumentT): Promise<ReplyBody<'SCHEMA_REGISTER'>> {
    const reply = await this.request('SCHEMA_REGISTER', { schema });
    this.registry.addSchema(schema);
    return reply;
  }

  getSchema(id: string, version?: number): Promise<ReplyBody<'SCHEMA_GET'>> {
    return this.request('SCHEMA_GET', version === undefined ? { id } : { id, version });
  }

  async listSchemas(id?: string): Promise<ReplyBody<'SCHEMA_LIST'>['schemas']> {
    return (await this.request('SCHEMA_LIST', id === undefined ? {} : { id })).schemas;
  }

  /** Registers this process as the producer of a channel; the handle heartbeats until close(). */
  async registerProducer(input: ProducerRegistrationInput): Promise<ProducerHandle> {
    const registration: RequestBody<'PRODUCER_REGISTER'> = {
      channel: input.channel,
      shmName: input.shmName,
      config: input.config,
      host: input.host ?? hostname(),
      pid: input.pid ?? process.pid,
      producerName: input.producerName,
      producerUid: input.producerUid ?? randomUUID(),
    };
    if (input.schema) registration.schema = input.schema;
    if (input.schemaDefinition) registration.schemaDefinition = input.schemaDefinition;
    if (input.description !== undefined) registration.description = input.description;
    if (input.qos !== undefined) registration.qos = input.qos;
    const reply = await this.request('PRODUCER_REGISTER', registration);
    if (reply.heartbeatIntervalMs !== undefined) this.connection.heartbeatAtMost(reply.heartbeatIntervalMs);
    const handle = new ProducerHandle(this, registration, reply.channel);
    this.registry.addProducer(handle);
    return handle;
  }

  /** Registers a consumer; SCHEMA_MISMATCH when expectedFingerprint differs from the channel's. */
  async registerConsumer(input: ConsumerRegistrationInput): Promise<ConsumerHandle> {
    const host = input.host ?? hostname();
    const pid = input.pid ?? process.pid;
    const registration: RequestBody<'CONSUMER_REGISTER'> = {
      channel: input.channel,
      consumerId: input.consumerId ?? `${host}-${pid}-${randomUUID().slice(0, 8)}`,
      host,
      pid,
    };
    if (input.consumerName !== undefined) registration.consumerName = input.consumerName;
    if (input.expectedFingerprint !== undefined) registration.expectedFingerprint = input.expectedFingerprint;
    if (input.group !== undefined) registration.group = input.group;
    const reply = await this.request('CONSUMER_REGISTER', registration);
    const handle = new ConsumerHandle(this, registration, reply.channel);
    if (reply.share) handle.share = reply.share;
    this.registry.addConsumer(handle);
    return handle;
  }

  /**
   * Releases this reference (pooled hubs close with the last one). Closing
   * deregisters every handle (best effort) and says BYE when connected.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (--this.refs > 0) return;
    if (this.pooled && MessageHub.pool.get(this.endpoint) === this) MessageHub.pool.delete(this.endpoint);
    this.connection.stopReconnecting();
    if (this.state === 'connected') {
      const handles = [...this.registry.allProducers(), ...this.registry.allConsumers()];
      await Promise.allSettled(handles.map((h) => h.close()));
      await this.request('BYE', {}, { timeoutMs: 1000 }).catch(() => undefined);
    }
    this.registry.clear();
    this.connection.close();
  }
}
