// MessageHub client: one DEALER connection per broker endpoint per process (see
// MessageHub.forEndpoint), lazy connect, many outstanding requests matched by
// correlation id, per-request timeouts, heartbeats, reconnection with backoff and
// automatic re-registration when the broker restarts (new boot id).
// Without a broker every call fails fast with HubError('UNAVAILABLE').
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Dealer } from 'zeromq';
import { isBrokerErrorCode } from '../protocol/error-codes.js';
import { decodeFrames, FRAME_TAG } from '../protocol/frames.js';
import {
  ERROR_TYPE,
  isNotificationType,
  PROTOCOL_VERSIONS,
  REPLY_SUFFIX,
  type ChannelInfoT,
  type ChannelStateT,
  type ConsumerInfoT,
  type DataBlockConfigT,
  type NotificationBody,
  type NotificationType,
  type ReplyBody,
  type RequestBody,
  type RequestType,
  type SchemaDocumentT,
} from '../protocol/messages.js';
import { errorBodyProblem, notificationProblem, replyProblem } from '../protocol/validators.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { HubError } from './hub-error.js';
import { ConsumerHandle, ProducerHandle, type HandleOwner } from './registrations.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closed';

export interface MessageHubOptions {
  /** Broker endpoint, e.g. tcp://127.0.0.1:5570 or ipc:///run/hubscope/broker.sock. */
  endpoint: string;
  /** Shown in the broker's client list. Default "hubscope". */
  clientName?: string;
  /** Default per-request timeout. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** How long one connection attempt (connect + HELLO) may take. Default 2000 ms. */
  connectTimeoutMs?: number;
  reconnect?: Partial<BackoffOptions>;
}

export interface ProducerRegistrationInput {
  channel: string;
  shmName: string;
  /** Reference into the broker's registry (register the schema first), or... */
  schema?: { id: string; version: number; fingerprint?: string };
  /** ...the full schema document, registered by the broker on the way. */
  schemaDefinition?: SchemaDocumentT;
  config: DataBlockConfigT;
  producerName: string;
  /** Stable producer identity; default: a fresh UUID per registration. */
  producerUid?: string;
  description?: string;
  host?: string;
  pid?: number;
}

export interface ConsumerRegistrationInput {
  channel: string;
  /** Unique per channel; default `<host>-<pid>-<random>`. */
  consumerId?: string;
  consumerName?: string;
  expectedFingerprint?: string;
  host?: string;
  pid?: number;
}

export interface ChannelFilter {
  states?: ChannelStateT[];
  prefix?: string;
  producerHost?: string;
  limit?: number;
}

interface HubEventMap {
  state: [state: ConnectionState, previous: ConnectionState];
  connected: [{ bootId: string; restarted: boolean }];
  disconnected: [{ reason: string }];
  'broker-restarted': [{ bootId: string; previousBootId: string }];
  /** Everything this process registered was registered again (after reconnect / restart). */
  reregistered: [{ bootId: string; producers: number; consumers: number; failed: number }];
  notification: [type: NotificationType, body: unknown];
  /** Something odd but harmless (malformed message from the broker...). Never 'error', which would throw. */
  warning: [message: string];
}

interface Pending {
  type: RequestType;
  resolve(body: unknown): void;
  reject(err: HubError): void;
  timer: NodeJS.Timeout;
}

/** Replies larger than this from a broker are refused as a protocol error. */
const MAX_INCOMING_BYTES = 64 * 1024 * 1024;

function consumerKey(channel: string, consumerId: string): string {
  return `${channel}\u0000${consumerId}`;
}

function unavailable(endpoint: string, why: string): HubError {
  return new HubError('UNAVAILABLE', `MessageHub broker at ${endpoint} is unavailable: ${why}`, { endpoint });
}

export class MessageHub extends EventEmitter<HubEventMap> implements HandleOwner {
  private static readonly pool = new Map<string, MessageHub>();

  /**
   * The process-wide shared hub for `endpoint` (created on first use). Each call
   * takes a reference; close() releases it and the connection closes with the last one.
   */
  static forEndpoint(endpoint: string, options: Omit<MessageHubOptions, 'endpoint'> = {}): MessageHub {
    const existing = MessageHub.pool.get(endpoint);
    if (existing && existing.connState !== 'closed') {
      existing.refs++;
      return existing;
    }
    const hub = new MessageHub({ ...options, endpoint });
    hub.pooled = true;
    MessageHub.pool.set(endpoint, hub);
    return hub;
  }

  readonly endpoint: string;
  private readonly clientName: string;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private connState: ConnectionState = 'idle';
  private socket: Dealer | undefined;
  private attempt: Promise<void> | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextCorrelation = 0;
  private hello: ReplyBody<'HELLO'> | undefined;
  private everConnected = false;
  private reconnectAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nextReconnectAt = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight = false;
  private readonly producers = new Map<string, ProducerHandle>();
  private readonly consumers = new Map<string, ConsumerHandle>();
  /** Schemas this process registered, sent again to a restarted broker. */
  private readonly schemas = new Map<string, SchemaDocumentT>();
  private refs = 1;
  private pooled = false;
  private rtt: number | undefined;

  constructor(options: MessageHubOptions) {
    super();
    this.endpoint = options.endpoint;
    this.clientName = options.clientName ?? 'hubscope';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.reconnect };
  }

  get state(): ConnectionState {
    return this.connState;
  }

  /** Boot id of the broker of the current (or last) connection. */
  get bootId(): string | undefined {
    return this.hello?.bootId;
  }

  /** What the broker said in HELLO_OK (heartbeat interval, limits...). */
  get session(): Readonly<ReplyBody<'HELLO'>> | undefined {
    return this.hello;
  }

  /** Round-trip time of the last ping(), in ms. */
  get lastRttMs(): number | undefined {
    return this.rtt;
  }

  get registrationCount(): { producers: number; consumers: number } {
    return { producers: this.producers.size, consumers: this.consumers.size };
  }

  // ------------------------------------------------------------ connection

  /** Connects now (normally lazy). Rejects with UNAVAILABLE when no broker answers. */
  connect(): Promise<void> {
    return this.ensureConnected();
  }

  private setState(next: ConnectionState): void {
    const previous = this.connState;
    if (previous === next) return;
    this.connState = next;
    this.emit('state', next, previous);
  }

  private ensureConnected(): Promise<void> {
    switch (this.connState) {
      case 'closed':
        return Promise.reject(new HubError('CLOSED', `MessageHub for ${this.endpoint} is closed`));
      case 'connected':
        return Promise.resolve();
      case 'reconnecting':
        if (!this.attempt) {
          const inMs = Math.max(0, Math.round(this.nextReconnectAt - Date.now()));
          return Promise.reject(unavailable(this.endpoint, `connection lost; next reconnection attempt in ${inMs} ms`));
        }
        return this.attempt;
      default:
        if (!this.attempt) {
          this.attempt = this.openConnection().finally(() => {
            this.attempt = undefined;
          });
        }
        return this.attempt;
    }
  }

  private async openConnection(): Promise<void> {
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    // ZeroMQ's own reconnection is off: this class reconnects with a fresh socket (and
    // thus a fresh identity) so that the broker always sees HELLO first.
    // HELLO may be sent before the ZMTP handshake completes, so it may wait up to the
    // connect timeout; afterwards sends never wait (sendTimeout 0: fail fast, never EBUSY).
    const socket = new Dealer({
      reconnectInterval: -1,
      immediate: true,
      sendTimeout: this.connectTimeoutMs,
      linger: 0,
      sendHighWaterMark: 10_000,
    });
    this.socket = socket;
    try {
      await this.connectSocket(socket);
      const previousBoot = this.hello?.bootId;
      const hello = (await this.send(
        socket,
        'HELLO',
        {
          versions: [...PROTOCOL_VERSIONS],
          client: { name: this.clientName, host: hostname(), pid: process.pid },
        },
        this.connectTimeoutMs,
      )) as ReplyBody<'HELLO'>;
      if (this.socket !== socket || this.connState === 'closed')
        throw new HubError('CLOSED', `MessageHub for ${this.endpoint} was closed`);
      socket.sendTimeout = 0;
      this.hello = hello;
      this.everConnected = true;
      this.reconnectAttempts = 0;
      this.setState('connected');
      this.startHeartbeat(socket, hello.heartbeatIntervalMs);
      const restarted = previousBoot !== undefined && previousBoot !== hello.bootId;
      this.emit('connected', { bootId: hello.bootId, restarted });
      if (restarted) this.emit('broker-restarted', { bootId: hello.bootId, previousBootId: previousBoot });
      if (previousBoot !== undefined) void this.reregisterAll(socket);
    } catch (err) {
      if (this.socket === socket) this.teardown(err instanceof HubError ? err.message : String(err));
      if (this.connState !== 'closed') {
        if (this.everConnected) this.scheduleReconnect();
        else this.setState('disconnected');
      }
      if (err instanceof HubError && err.code !== 'TIMEOUT') throw err;
      throw unavailable(this.endpoint, err instanceof Error ? err.message : String(err));
    }
  }

  /** Connects the DEALER; rejects fast when nothing listens (the 'close' monitor event). */
  private connectSocket(socket: Dealer): Promise<void> {
    return new Promise((resolve, reject) => {
      const events = socket.events;
      const done = (err?: Error) => {
        clearTimeout(timer);
        events.off('connect', onConnect);
        events.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => done();
      const onClose = () => done(unavailable(this.endpoint, 'nothing accepts connections there'));
      const timer = setTimeout(
        () => done(unavailable(this.endpoint, `no connection within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      events.on('connect', onConnect);
      events.on('close', onClose);
      events.on('disconnect', () => this.connectionLost(socket, 'the broker closed the connection'));
      try {
        socket.connect(this.endpoint);
      } catch (err) {
        done(unavailable(this.endpoint, `invalid endpoint (${(err as Error).message})`));
        return;
      }
      void this.readLoop(socket);
    });
  }

  private teardown(reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    this.stopHeartbeat();
    if (socket) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      clearTimeout(p.timer);
      p.reject(
        this.connState === 'closed'
          ? new HubError('CLOSED', `MessageHub for ${this.endpoint} was closed`)
          : unavailable(this.endpoint, reason),
      );
    }
  }

  private connectionLost(socket: Dealer, reason: string): void {
    if (socket !== this.socket || this.connState === 'closed') return;
    const wasConnected = this.connState === 'connected';
    this.teardown(reason);
    if (wasConnected) this.emit('disconnected', { reason });
    if (this.everConnected) this.scheduleReconnect();
    else this.setState('disconnected');
  }

  private scheduleReconnect(): void {
    if (this.connState === 'closed' || this.reconnectTimer) return;
    this.setState('reconnecting');
    const delay = backoffDelay(this.reconnectAttempts++, this.backoff);
    this.nextReconnectAt = Date.now() + delay;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.connState === 'closed' || this.attempt) return;
      this.attempt = this.openConnection().finally(() => {
        this.attempt = undefined;
      });
      this.attempt.catch(() => undefined); // openConnection schedules the next attempt itself
    }, delay);
  }

  // ------------------------------------------------------------ requests

  /** Sends a request and resolves with the `<TYPE>_OK` body; rejects with HubError. */
  async request<T extends RequestType>(
    type: T,
    body: RequestBody<T>,
    options: { timeoutMs?: number } = {},
  ): Promise<ReplyBody<T>> {
    if (this.connState !== 'connected') await this.ensureConnected();
    const socket = this.socket;
    if (!socket) throw unavailable(this.endpoint, 'connection lost');
    return (await this.send(socket, type, body, options.timeoutMs ?? this.requestTimeoutMs)) as ReplyBody<T>;
  }

  private send(socket: Dealer, type: RequestType, body: unknown, timeoutMs: number): Promise<unknown> {
    const correlationId = (this.nextCorrelation = (this.nextCorrelation + 1) % 0x7fffffff).toString(36);
    const json = JSON.stringify(body);
    const limit = this.hello?.maxMessageBytes;
    if (limit !== undefined && json.length > limit) {
      return Promise.reject(
        new HubError('TOO_LARGE', `${type} of ${json.length} bytes exceeds the broker's limit of ${limit} bytes`),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(
          new HubError('TIMEOUT', `no reply to ${type} from ${this.endpoint} within ${timeoutMs} ms`, {
            endpoint: this.endpoint,
            type,
          }),
        );
      }, timeoutMs);
      this.pending.set(correlationId, { type, resolve, reject, timer });
      const fail = (err: unknown) => {
        const p = this.pending.get(correlationId);
        if (!p) return;
        this.pending.delete(correlationId);
        clearTimeout(p.timer);
        p.reject(unavailable(this.endpoint, `cannot send ${type} (${(err as Error).message})`));
      };
      try {
        socket.send([FRAME_TAG, type, correlationId, json]).catch(fail);
      } catch (err) {
        fail(err); // closed socket or a busy one: both mean "not now"
      }
    });
  }

  private async readLoop(socket: Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        if (socket !== this.socket) break;
        try {
          this.onMessage(socket, frames);
        } catch (err) {
          this.emit('warning', `failed handling a message from the broker: ${(err as Error).message}`);
        }
      }
    } catch {
      // socket closed
    }
  }

  private onMessage(socket: Dealer, frames: Buffer[]): void {
    const decoded = decodeFrames(frames, MAX_INCOMING_BYTES, false);
    if (!decoded.ok) {
      const p = this.pending.get(decoded.problem.correlationId);
      const err = new HubError('PROTOCOL_ERROR', `malformed message from the broker: ${decoded.problem.message}`);
      if (p) this.settle(decoded.problem.correlationId, p, err);
      else this.emit('warning', err.message);
      return;
    }
    const { type, correlationId, body } = decoded.message;
    if (correlationId === '') {
      if (type === ERROR_TYPE) {
        this.emit('warning', `broker reported an error: ${String(body.code)}: ${String(body.message)}`);
        return;
      }
      if (!isNotificationType(type)) {
        this.emit('warning', `unknown notification ${type} from the broker (ignored)`);
        return;
      }
      const problem = notificationProblem(type, body);
      if (problem) {
        this.emit('warning', `malformed ${type} notification: ${problem}`);
        return;
      }
      this.onNotification(socket, type, body);
      return;
    }
    const p = this.pending.get(correlationId);
    if (!p) return; // timed out already
    if (type === ERROR_TYPE) {
      const problem = errorBodyProblem(body);
      if (problem || !isBrokerErrorCode(body.code)) {
        this.settle(
          correlationId,
          p,
          new HubError('PROTOCOL_ERROR', `malformed ERROR reply to ${p.type}: ${problem ?? 'unknown code'}`),
        );
        return;
      }
      const details = (body.details ?? undefined) as Record<string, unknown> | undefined;
      this.settle(correlationId, p, new HubError(body.code, String(body.message), details));
      if (body.code === 'HELLO_REQUIRED') this.connectionLost(socket, 'the broker no longer knows this connection');
      return;
    }
    if (type !== p.type + REPLY_SUFFIX) {
      this.settle(
        correlationId,
        p,
        new HubError('PROTOCOL_ERROR', `expected ${p.type}${REPLY_SUFFIX} or ERROR, got ${type}`),
      );
      return;
    }
    const problem = replyProblem(p.type, body);
    if (problem) {
      this.settle(correlationId, p, new HubError('PROTOCOL_ERROR', `malformed reply from the broker: ${problem}`));
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.resolve(body);
  }

  private settle(correlationId: string, p: Pending, err: HubError): void {
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.reject(err);
  }

  // ------------------------------------------------------------ notifications

  private consumersOf(channel: string): ConsumerHandle[] {
    return [...this.consumers.values()].filter((c) => c.channel === channel);
  }

  private onNotification(socket: Dealer, type: NotificationType, raw: unknown): void {
    this.emit('notification', type, raw);
    switch (type) {
      case 'CONSUMER_JOINED': {
        const body = raw as NotificationBody<'CONSUMER_JOINED'>;
        this.producers.get(body.channel)?.emit('consumer-joined', body);
        break;
      }
      case 'CONSUMER_LEFT': {
        const body = raw as NotificationBody<'CONSUMER_LEFT'>;
        this.producers.get(body.channel)?.emit('consumer-left', body);
        break;
      }
      case 'CHANNEL_ACTIVE': {
        const body = raw as NotificationBody<'CHANNEL_ACTIVE'>;
        for (const c of this.consumersOf(body.channel)) {
          c.info = body.info;
          c.emit('channel-active', body);
        }
        break;
      }
      case 'PRODUCER_GONE': {
        const body = raw as NotificationBody<'PRODUCER_GONE'>;
        for (const c of this.consumersOf(body.channel)) c.emit('producer-gone', body);
        break;
      }
      case 'CHANNEL_CLOSING': {
        const body = raw as NotificationBody<'CHANNEL_CLOSING'>;
        const producer = this.producers.get(body.channel);
        const consumers = this.consumersOf(body.channel);
        producer?.emit('channel-closing', body);
        for (const c of consumers) c.emit('channel-closing', body);
        if (body.reason === 'destroyed') {
          // The broker removed every registration on the channel.
          const event = { reason: 'destroyed', message: `channel ${body.channel} was destroyed` };
          producer?.markDropped(event);
          for (const c of consumers) c.markDropped(event);
        }
        break;
      }
      case 'REGISTRATION_DROPPED': {
        const body = raw as NotificationBody<'REGISTRATION_DROPPED'>;
        const handle =
          body.role === 'producer'
            ? this.producers.get(body.channel)
            : this.consumers.get(consumerKey(body.channel, body.consumerId ?? ''));
        if (!handle) break;
        // A timeout means we were too slow, not gone: register again. Anything else is final.
        if (body.reason === 'timeout' && body.role === 'consumer') void this.reregister(socket, handle);
        else handle.markDropped({ reason: body.reason, message: body.message });
        break;
      }
      case 'BROKER_SHUTDOWN': {
        const body = raw as NotificationBody<'BROKER_SHUTDOWN'>;
        this.connectionLost(socket, `the broker shut down (${body.reason})`);
        break;
      }
    }
  }

  // ------------------------------------------------------------ heartbeats and re-registration

  private startHeartbeat(socket: Dealer, intervalMs: number): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(socket, intervalMs), intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.heartbeatInFlight = false;
  }

  private async heartbeat(socket: Dealer, intervalMs: number): Promise<void> {
    if (this.heartbeatInFlight || socket !== this.socket) return;
    this.heartbeatInFlight = true;
    const consumers = [...this.consumers.values()].map((c) => ({ channel: c.channel, consumerId: c.consumerId }));
    try {
      // Late replies are tolerated up to the liveness timeout: only then is the broker presumed hung.
      const timeoutMs = this.hello?.livenessTimeoutMs ?? intervalMs * 3;
      const reply = (await this.send(
        socket,
        'HEARTBEAT',
        { producers: [...this.producers.keys()], consumers },
        timeoutMs,
      )) as ReplyBody<'HEARTBEAT'>;
      for (const name of reply.unknownProducers) {
        const h = this.producers.get(name);
        if (h) void this.reregister(socket, h);
      }
      for (const u of reply.unknownConsumers) {
        const h = this.consumers.get(consumerKey(u.channel, u.consumerId));
        if (h) void this.reregister(socket, h);
      }
    } catch (err) {
      if (err instanceof HubError && err.code === 'TIMEOUT')
        this.connectionLost(socket, 'the broker stopped answering heartbeats');
    } finally {
      if (socket === this.socket) this.heartbeatInFlight = false;
    }
  }

  /** Registers one handle again; a refusal other than "no broker" drops it. True when registered. */
  private async reregister(socket: Dealer, handle: ProducerHandle | ConsumerHandle): Promise<boolean> {
    try {
      if (handle.kind === 'producer') {
        const reply = (await this.send(
          socket,
          'PRODUCER_REGISTER',
          handle.registration,
          this.requestTimeoutMs,
        )) as ReplyBody<'PRODUCER_REGISTER'>;
        handle.info = reply.channel;
        if (!handle.closed) handle.emit('reregistered', reply.channel);
      } else {
        const reply = (await this.send(
          socket,
          'CONSUMER_REGISTER',
          handle.registration,
          this.requestTimeoutMs,
        )) as ReplyBody<'CONSUMER_REGISTER'>;
        handle.info = reply.channel;
        if (!handle.closed) handle.emit('reregistered', reply.channel);
      }
      return true;
    } catch (err) {
      const e = err instanceof HubError ? err : new HubError('PROTOCOL_ERROR', String(err));
      if (!['UNAVAILABLE', 'TIMEOUT', 'CLOSED', 'HELLO_REQUIRED', 'RATE_LIMITED', 'SHUTTING_DOWN'].includes(e.code)) {
        handle.markDropped({ reason: e.code, message: `could not register again: ${e.message}` });
      }
      return false;
    }
  }

  private async reregisterAll(socket: Dealer): Promise<void> {
    for (const schema of this.schemas.values()) {
      await this.send(socket, 'SCHEMA_REGISTER', { schema }, this.requestTimeoutMs).catch(() => undefined);
    }
    const producers = [...this.producers.values()];
    const consumers = [...this.consumers.values()];
    // Producers first, so that consumers find their channels active again.
    const p = await Promise.all(producers.map((h) => this.reregister(socket, h)));
    const c = await Promise.all(consumers.map((h) => this.reregister(socket, h)));
    if (socket !== this.socket) return;
    const failed = [...p, ...c].filter((ok) => !ok).length;
    this.emit('reregistered', {
      bootId: this.hello?.bootId ?? '',
      producers: producers.length,
      consumers: consumers.length,
      failed,
    });
  }

  /** HandleOwner: a handle closed or was dropped. */
  forget(handle: ProducerHandle | ConsumerHandle): void {
    if (handle.kind === 'producer') {
      if (this.producers.get(handle.channel) === handle) this.producers.delete(handle.channel);
    } else {
      const key = consumerKey(handle.channel, handle.consumerId);
      if (this.consumers.get(key) === handle) this.consumers.delete(key);
    }
  }

  // ------------------------------------------------------------ convenience API

  /** PING; resolves with the round-trip time. */
  async ping(options: { timeoutMs?: number } = {}): Promise<{ rttMs: number; bootId: string; brokerTime: number }> {
    await this.ensureConnected();
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
    this.schemas.set(`${schema.id}\u0000${schema.version}`, schema);
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
    const reply = await this.request('PRODUCER_REGISTER', registration);
    const previous = this.producers.get(input.channel);
    const handle = new ProducerHandle(this, registration, reply.channel);
    if (previous && previous !== handle) previous.closed = true;
    this.producers.set(input.channel, handle);
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
    const reply = await this.request('CONSUMER_REGISTER', registration);
    const handle = new ConsumerHandle(this, registration, reply.channel);
    const key = consumerKey(registration.channel, registration.consumerId);
    const previous = this.consumers.get(key);
    if (previous) previous.closed = true;
    this.consumers.set(key, handle);
    return handle;
  }

  // ------------------------------------------------------------ closing

  /**
   * Releases this reference (pooled hubs close with the last one). Closing
   * deregisters every handle (best effort) and says BYE when connected.
   */
  async close(): Promise<void> {
    if (this.connState === 'closed') return;
    if (--this.refs > 0) return;
    if (this.pooled && MessageHub.pool.get(this.endpoint) === this) MessageHub.pool.delete(this.endpoint);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.connState === 'connected') {
      const handles = [...this.producers.values(), ...this.consumers.values()];
      await Promise.allSettled(handles.map((h) => h.close()));
      await this.request('BYE', {}, { timeoutMs: 1000 }).catch(() => undefined);
    }
    this.producers.clear();
    this.consumers.clear();
    this.setState('closed');
    this.teardown('closed');
  }
}
