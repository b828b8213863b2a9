// The MessageHub broker: a ZeroMQ ROUTER speaking protocol v1 (docs/protocol.md).
// Embedded in the app (startBroker) or standalone (`hubscope broker`). Every
// incoming message is handled synchronously and defensively: malformed input gets
// ERROR to its sender only, and nothing a client sends can stop the broker.
// Hostile load is bounded below JavaScript too: ZeroMQ queues at most a fixed number
// of bytes per connection each way, drops a connection sending a grossly oversized
// frame before buffering it, and serves connections round-robin; garbage is rejected
// before JSON parsing and a connection that keeps sending it is ignored (see
// rate-limiter.ts), so a flood cannot delay anyone else's heartbeats.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Router } from 'zeromq';
import { BROKER_ERROR_CODES, type BrokerErrorCode } from '../protocol/error-codes.js';
import { DEFAULT_MAX_MESSAGE_BYTES, decodeFrames, echoableCorrelationId, FRAME_TAG } from '../protocol/frames.js';
import {
  ERROR_TYPE,
  isRequestType,
  REQUEST_TYPES,
  replyTypeOf,
  type NotificationBody,
  type NotificationType,
  type ReplyBody,
  type RequestType,
} from '../protocol/messages.js';
import { requestRejection } from '../protocol/validators.js';
import { BrokerError } from './broker-error.js';
import { ChannelRegistry, type Liveness } from './channel-registry.js';
import { DiscoveryWaiters } from './discovery-waiters.js';
import { RequestQueue, SERVE_SLICE } from './request-queue.js';
import { BrokerMetrics, metricsReply } from './metrics.js';
import { channelOf, TraceRing, type TraceEntry } from '../protocol/trace.js';
import { TraceSubscriptions } from './trace-subscriptions.js';
import {
  createHandlers,
  type BrokerCore,
  type BrokerCounters,
  type Handlers,
  type RequestContext,
} from './handlers.js';
import { silentLogger, type Logger } from './logger.js';
import {
  ConnectionGuard,
  DEFAULT_MUTE_MS,
  DEFAULT_RATE_LIMIT,
  DEFAULT_REJECTION_LIMIT,
  type RateLimit,
} from './rate-limiter.js';
import { SchemaRegistry } from './schema-registry.js';
import { BrokerSecurity, type BrokerSecurityOptions } from './security.js';
import type { Session } from './session.js';
import { loadStateFile, StateFileWriter } from './state-file.js';

export const DEFAULT_BROKER_ENDPOINT = 'tcp://127.0.0.1:0';
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2000;
/** Registrations go stale after this many silent heartbeat intervals... */
export const STALE_AFTER_INTERVALS = 2;
/** ...and are removed after this many (the liveness timeout). */
export const LIVENESS_INTERVALS = 3;
/** Messages handled back to back before the receive loop yields to the event loop. */
const YIELD_EVERY = 64;
/**
 * ZeroMQ drops the connection of a peer sending a frame over this many times
 * maxMessageBytes, before buffering it; frames up to it are read and get TOO_LARGE.
 */
export const OVERSIZE_FACTOR = 2;
/** Bytes ZeroMQ may queue per connection on receive (high-water mark x largest frame). */
export const RECEIVE_QUEUE_BYTES = 16 * 1024 * 1024;
/** Bounds of the per-connection receive high-water mark, in messages. */
const MIN_RECEIVE_HWM = 16;
const MAX_RECEIVE_HWM = 1000;
/** Replies and notifications ZeroMQ queues per connection; more are dropped (peer not reading). */
export const SEND_HIGH_WATER_MARK = 1000;
/** How long shutdown waits for BROKER_SHUTDOWN to reach the clients before the socket closes. */
const SHUTDOWN_GRACE_MS = 200;
/** A connection idle this long loses its flood-control state. */
const GUARD_IDLE_MS = 10_000;

/** Receive high-water mark (messages per connection) keeping its queue within RECEIVE_QUEUE_BYTES. */
export function receiveHighWaterMark(maxMessageBytes: number): number {
  const perFrame = maxMessageBytes * OVERSIZE_FACTOR;
  return Math.max(MIN_RECEIVE_HWM, Math.min(MAX_RECEIVE_HWM, Math.floor(RECEIVE_QUEUE_BYTES / perFrame)));
}

/**
 * Security (docs/security.md): by default CURVE is required, any client key may
 * connect and channels belong to the key that registered them; `allowFile` admits
 * only listed keys; `open: true` turns authentication off and must be asked for.
 */
export interface BrokerOptions extends BrokerSecurityOptions {
  /** ZeroMQ endpoint to bind; port 0 (or `*`) picks a free port. Default tcp://127.0.0.1:0. */
  endpoint?: string;
  /** Keeps the schema registry across restarts when set. */
  stateFile?: string;
  heartbeatIntervalMs?: number;
  /** Largest accepted message (all frames). */
  maxMessageBytes?: number;
  rateLimit?: RateLimit;
  /** Rejected (malformed, oversized) messages answered per connection, in tokens (rate-limiter.ts). */
  rejectionLimit?: RateLimit;
  /** How long a connection that used up its rejection budget is ignored. */
  muteMs?: number;
  /** Most DISCOVER requests held at once while their channel is pending. */
  maxDiscoveryWaiters?: number;
  logger?: Logger;
  /** Messages kept in the trace ring (main/protocol/trace.ts); default 1000. */
  traceCapacity?: number;
  /** Called with every trace entry (`hubscope broker --trace` logs them). */
  onTrace?: (entry: TraceEntry) => void;
  /** Called once bound, with the real endpoint (e.g. to publish an endpoint file). */
  onListening?: (info: { endpoint: string; bootId: string; serverKey: string | null }) => void;
}

export type BrokerChange = 'channels' | 'clients' | 'schemas';

interface BrokerEventMap {
  change: [kinds: BrokerChange[]];
  closed: [];
}

export type BrokerStatus = ReplyBody<'STATUS'>;

function bindable(endpoint: string): string {
  // ZeroMQ spells "any free port" as `*`; accept the familiar `:0` as well.
  return endpoint.replace(/^(tcp:\/\/.*):0$/, '$1:*');
}

export class Broker extends EventEmitter<BrokerEventMap> {
  readonly bootId = randomUUID();
  readonly startedAt = Date.now();
  readonly heartbeatIntervalMs: number;
  readonly livenessTimeoutMs: number;
  readonly maxMessageBytes: number;
  private boundEndpoint = '';
  private readonly router: Router;
  private readonly logger: Logger;
  /** How clients are authenticated; `security.mode` is what HELLO_OK states. */
  readonly security: BrokerSecurity;
  private readonly rateLimit: RateLimit;
  private readonly rejectionLimit: RateLimit;
  private readonly muteMs: number;
  private readonly sessions = new Map<string, Session>();
  private readonly guards = new Map<string, ConnectionGuard>();
  /**
   * Last time the receive loop found nothing left to read: every message that arrived
   * before it has been handled. Liveness is judged against this clock, so a heartbeat
   * that arrived but still waits behind a backlog never counts as missing.
   */
  private drainedAt = Date.now();
  /** True while the receive loop waits with nothing left to read. */
  private waiting = false;
  private readonly counters: BrokerCounters = { requests: 0, errors: 0, dropped: 0 };
  /** Per-connection and broker-wide message metrics (METRICS, Prometheus). */
  readonly metrics = new BrokerMetrics();
  /** The most recent messages received and sent (metadata only). */
  readonly trace: TraceRing;
  private readonly traceSubscriptions: TraceSubscriptions;
  private readonly schemas = new SchemaRegistry();
  private readonly channels: ChannelRegistry;
  private readonly waiters: DiscoveryWaiters;
  private readonly handlers: Handlers;
  /** Requests read but not yet handled, served critical first (capability "qos"). */
  private readonly queue: RequestQueue;
  private readonly stateWriter: StateFileWriter | undefined;
  private readonly liveness: Liveness;
  private sweeper: NodeJS.Timeout | undefined;
  private pendingChanges = new Set<BrokerChange>();
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(private readonly options: BrokerOptions = {}) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (!Number.isInteger(this.heartbeatIntervalMs) || this.heartbeatIntervalMs < 10) {
      throw new RangeError(`heartbeat interval must be an integer of at least 10 ms, got ${this.heartbeatIntervalMs}`);
    }
    this.livenessTimeoutMs = this.heartbeatIntervalMs * LIVENESS_INTERVALS;
    this.liveness = {
      staleAfterMs: this.heartbeatIntervalMs * STALE_AFTER_INTERVALS,
      removeAfterMs: this.livenessTimeoutMs,
    };
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    this.rejectionLimit = options.rejectionLimit ?? DEFAULT_REJECTION_LIMIT;
    this.muteMs = options.muteMs ?? DEFAULT_MUTE_MS;
    this.waiters = new DiscoveryWaiters(options.maxDiscoveryWaiters ?? 10_000);
    this.security = new BrokerSecurity(options, this.logger);
    this.trace = new TraceRing(options.traceCapacity);
    if (options.onTrace) this.trace.follow(options.onTrace);
    this.traceSubscriptions = new TraceSubscriptions(
      this.trace,
      (to, body) => this.notify(to, 'TRACE_EVENT', body),
      (s) => this.sessions.get(s.key) === s,
    );
    // ZeroMQ itself drops a peer sending a frame far over the limit (abuse) as soon as
    // it reads the frame's size; anything up to OVERSIZE_FACTOR x the limit is read and
    // answered with TOO_LARGE. The receive high-water mark caps what ZeroMQ buffers per
    // connection (then it stops reading that socket: TCP pushes back on the sender).
    // sendTimeout 0: every send completes synchronously (a ROUTER never blocks; it drops
    // messages to a peer whose queue is full), so sends never overlap (EBUSY).
    // linger 0: shutdown gives the last notifications SHUTDOWN_GRACE_MS in JavaScript
    // instead (see shutdown()). A ROUTER still lingering when the process exits is torn
    // down by zeromq's exit clean-up in the middle of its termination, and libzmq aborts
    // the process (`_out_pipes.empty ()`, routing_socket_base_t's destructor): seen in CI
    // at a test worker's exit after its broker closed with thousands of replies queued
    // to peers that had gone. The desktop app quits the same way.
    this.router = new Router({
      maxMessageSize: this.maxMessageBytes * OVERSIZE_FACTOR,
      linger: 0,
      sendTimeout: 0,
      receiveHighWaterMark: receiveHighWaterMark(this.maxMessageBytes),
      sendHighWaterMark: SEND_HIGH_WATER_MARK,
      ...this.security.socketOptions(),
    });
    this.channels = new ChannelRegistry(
      (to, type, body) => this.notify(to, type, body),
      () => this.markChanged('channels'),
      (ch) => this.waiters.resolve(ch.name, this.channels.info(ch)),
      (name) =>
        this.waiters.reject(
          name,
          new BrokerError('NOT_FOUND', `channel ${JSON.stringify(name)} was removed while waiting`, { channel: name }),
        ),
    );
    if (options.stateFile) this.stateWriter = new StateFileWriter(options.stateFile, this.schemas, this.logger);
    const core: BrokerCore = {
      channels: this.channels,
      schemas: this.schemas,
      waiters: this.waiters,
      sessions: this.sessions,
      counters: this.counters,
      metrics: this.metrics,
      trace: this.trace,
      traceSubscriptions: this.traceSubscriptions,
      bootId: this.bootId,
      startedAt: this.startedAt,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      livenessTimeoutMs: this.livenessTimeoutMs,
      maxMessageBytes: this.maxMessageBytes,
      security: this.security,
      endpoint: () => this.boundEndpoint,
      schemasChanged: () => {
        void this.stateWriter?.save();
        this.markChanged('schemas');
      },
      clientsChanged: () => this.markChanged('clients'),
    };
    this.handlers = createHandlers(core);
    this.queue = new RequestQueue(this.channels, (r) => this.dispatch(r.type, r.body, r.ctx, r.correlationId));
  }

  /**
   * Tests and benchmarks: hold requests in the queue instead of handling them (to build
   * a backlog deterministically); `resumeHandling` serves it in priority order.
   */
  pauseHandling(): void {
    this.queue.paused = true;
  }

  resumeHandling(): void {
    this.queue.paused = false;
    this.queue.serve();
  }

  /** Requests read and waiting to be handled. */
  get queuedRequests(): number {
    return this.queue.size;
  }

  /** The endpoint clients connect to (the real port when bound to port 0). */
  get endpoint(): string {
    return this.boundEndpoint;
  }

  /** Loads the state file, binds, starts serving. Use startBroker(). */
  async start(): Promise<void> {
    if (this.options.stateFile) {
      const n = await loadStateFile(this.options.stateFile, this.schemas, this.logger);
      if (n > 0) this.logger.info('schemas restored from the state file', { path: this.options.stateFile, schemas: n });
    }
    const requested = this.options.endpoint ?? DEFAULT_BROKER_ENDPOINT;
    try {
      // The allow-list is loaded and the ZAP handler answers before the first handshake.
      await this.security.start((allowed) => this.revokeKeys(allowed));
    } catch (err) {
      this.router.close();
      this.security.close();
      throw new Error(`broker cannot start: ${(err as Error).message}`);
    }
    try {
      await this.router.bind(bindable(requested));
    } catch (err) {
      this.router.close();
      this.security.close();
      throw new Error(`broker cannot bind ${requested}: ${(err as Error).message}`);
    }
    if (this.security.keyFileCreated) {
      this.logger.info('broker key pair created', {
        path: this.security.keyFileCreated,
        key: this.security.serverKeyFingerprint,
      });
    }
    this.boundEndpoint = this.router.lastEndpoint ?? requested;
    this.sweeper = setInterval(() => this.sweep(), Math.max(5, Math.floor(this.heartbeatIntervalMs / 4)));
    void this.receiveLoop();
    this.logger.info('broker listening', {
      endpoint: this.boundEndpoint,
      bootId: this.bootId,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      stateFile: this.options.stateFile ?? null,
      security: this.security.mode,
      serverKey: this.security.serverKeyFingerprint ?? null,
    });
    if (this.security.mode === 'open') {
      this.logger.warn(
        'open broker: no authentication, anyone who reaches the endpoint may register or destroy channels',
        {
          endpoint: this.boundEndpoint,
        },
      );
    }
    this.options.onListening?.({ endpoint: this.boundEndpoint, bootId: this.bootId, serverKey: this.serverKey });
  }

  /** The broker's CURVE public key (Z85), or null for an open broker. */
  get serverKey(): string | null {
    return this.security.keyPair?.publicKey ?? null;
  }

  /**
   * The allow-list changed: every session of a key no longer allowed is forgotten
   * with its registrations (their other sides are told, as on BYE). The connection's
   * next message gets HELLO_REQUIRED, and HELLO (or a new connection) is refused.
   */
  private revokeKeys(allowed: (key: string) => boolean): void {
    for (const s of [...this.sessions.values()]) {
      if (!s.client || allowed(s.client.key)) continue;
      this.channels.dropSession(s);
      this.channels.releaseOwnership(s.client.key);
      this.sessions.delete(s.key);
      this.markChanged('clients');
      this.logger.warn('client key removed from the allow-list: its session is dropped', {
        key: s.client.fingerprint,
        client: s.name,
        host: s.host,
        pid: s.pid,
      });
    }
  }

  /** Same content as a STATUS reply. */
  status(): BrokerStatus {
    return this.handlers.STATUS({}, { identity: Buffer.alloc(0), session: undefined, now: Date.now() }) as BrokerStatus;
  }

  /** Same content as a METRICS reply. */
  metricsSnapshot(): ReplyBody<'METRICS'> {
    const { metrics, sessions, counters, startedAt, channels, schemas } = this;
    return metricsReply({ metrics, sessions, counters, startedAt, channels, schemas }, Date.now());
  }

  /** Calls `listener` (coalesced, at most once per event-loop turn) when channels, clients or schemas change. */
  subscribe(listener: (kinds: BrokerChange[]) => void): () => void {
    this.on('change', listener);
    return () => this.off('change', listener);
  }

  /** Graceful shutdown: tells every client (BROKER_SHUTDOWN), saves state, unbinds. */
  close(reason = 'broker shutting down'): Promise<void> {
    if (!this.closed) this.closed = this.shutdown(reason);
    return this.closed;
  }

  private async shutdown(reason: string): Promise<void> {
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.waiters.rejectAll(new BrokerError('SHUTTING_DOWN', reason));
    for (const s of this.sessions.values()) this.notify(s, 'BROKER_SHUTDOWN', { reason });
    await this.stateWriter?.save();
    // Give ZeroMQ's I/O thread a moment to put the notifications on the wire; what a
    // peer has not taken by then is dropped at close (linger 0: see the constructor).
    await new Promise((r) => setTimeout(r, this.sessions.size > 0 ? SHUTDOWN_GRACE_MS : 0));
    // close() alone releases the port later, on ZeroMQ's I/O thread; unbinding first means
    // the endpoint is free when close() resolves, so a broker can be restarted on it at once.
    await this.router.unbind(this.boundEndpoint).catch(() => undefined);
    this.router.close();
    this.security.close();
    this.logger.info('broker stopped', { endpoint: this.boundEndpoint, reason });
    this.emit('closed');
  }

  private async receiveLoop(): Promise<void> {
    try {
      let burst = 0;
      while (!this.router.closed) {
        // Asked only here, with no receive pending: reading ZMQ_EVENTS while one is
        // pending could swallow the wake-up ZeroMQ gives the pending receive.
        const readable = this.router.readable;
        // Read ahead while ZeroMQ has more (request-queue.ts); serve a slice, critical
        // first, when nothing more is ready or one is due (a critical request waits, the
        // read-ahead is full), then read again.
        if (this.queue.ready && (!readable || this.queue.due)) {
          try {
            burst += this.queue.serve(SERVE_SLICE);
          } catch (err) {
            // Never reached by design (handlers answer their own failures); a bug here must not stop the broker.
            this.logger.error('unexpected failure handling a request', {
              problem: (err as Error).stack ?? String(err),
            });
          }
        } else {
          if (!readable && this.queue.size === 0) {
            this.drainedAt = Date.now();
            this.waiting = true;
          }
          const frames = await this.router.receive();
          this.waiting = false;
          burst++;
          try {
            this.onMessage(frames, Date.now());
          } catch (err) {
            // Never reached by design; a bug here must not stop the broker.
            this.logger.error('unexpected failure handling a message', {
              problem: (err as Error).stack ?? String(err),
            });
          }
        }
        // A backlog is drained in microtasks; yield now and then so that timers (liveness
        // sweeps, and the app's own work when embedded) still run during a flood.
        if (burst >= YIELD_EVERY) {
          burst = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } catch (err) {
      if (!this.closing) this.logger.error('broker receive loop ended', { problem: (err as Error).message });
    }
  }

  private onMessage(frames: Buffer[], now: number): void {
    const identity = frames[0];
    if (!identity || identity.length === 0) return;
    const key = identity.toString('latin1');
    let guard = this.guards.get(key);
    if (!guard) {
      guard = new ConnectionGuard(this.rateLimit, this.rejectionLimit, this.muteMs, now);
      this.guards.set(key, guard);
    }
    // Cheapest first: a muted or over-rate connection costs one map lookup per message.
    if (guard.muted(now)) {
      this.counters.dropped++;
      return;
    }
    if (!guard.messages.take(now)) {
      this.counters.dropped++;
      if (!guard.messages.warned) {
        guard.messages.warned = true;
        const corr = echoableCorrelationId(frames[3]);
        this.sendError(
          identity,
          corr,
          'RATE_LIMITED',
          `more than ${this.rateLimit.perSecond} messages per second from this connection; dropping messages`,
          { retryAfterMs: guard.messages.retryAfterMs() },
        );
      }
      return;
    }
    const decoded = decodeFrames(frames.slice(1), this.maxMessageBytes, true);
    if (!decoded.ok) {
      this.reject(guard, frames, decoded.problem.correlationId, decoded.problem.code, decoded.problem.message, now);
      return;
    }
    const { type, correlationId, body } = decoded.message;
    this.observeReceived(frames, type, correlationId, body, now);
    if (!isRequestType(type)) {
      this.reject(
        guard,
        frames,
        correlationId,
        'UNKNOWN_TYPE',
        `unknown message type ${JSON.stringify(type)}; request types are ${REQUEST_TYPES.join(', ')}`,
        now,
      );
      return;
    }
    const rejection = requestRejection(type, body);
    if (rejection) {
      this.reject(guard, frames, correlationId, rejection.code, rejection.message, now);
      return;
    }
    const session = this.sessions.get(key);
    if (!session && type !== 'HELLO') {
      this.reject(
        guard,
        frames,
        correlationId,
        'HELLO_REQUIRED',
        `the broker (boot ${this.bootId}) does not know this connection; send HELLO before ${type}`,
        now,
      );
      return;
    }
    if (this.closing) {
      this.sendError(identity, correlationId, 'SHUTTING_DOWN', 'the broker is shutting down');
      return;
    }
    if (session) session.lastSeenAt = now;
    this.counters.requests++;
    let bytes = 0;
    for (let i = 1; i < frames.length; i++) bytes += frames[i]!.length;
    this.queue.push({ type, body, ctx: { identity, session, now }, correlationId, bytes });
  }

  /**
   * A message that could not be taken as a request: answered with ERROR while the
   * connection is within its rejection budget; when that runs out, told once that it
   * is ignored, and then ignored (muted) for a while.
   */
  private reject(
    guard: ConnectionGuard,
    frames: Buffer[],
    correlationId: string,
    code: BrokerErrorCode,
    message: string,
    now: number,
  ): void {
    const identity = frames[0]!;
    let bytes = 0;
    for (let i = 1; i < frames.length; i++) bytes += frames[i]!.length;
    if (guard.reject(now, bytes) === 'answer') {
      this.sendError(identity, correlationId, code, message);
      return;
    }
    this.counters.dropped++;
    this.logger.warn('ignoring a connection that keeps sending malformed messages', {
      connection: identity.toString('hex'),
      client: this.sessions.get(identity.toString('latin1'))?.name ?? null,
      muteMs: guard.muteMs,
      last: code,
    });
    this.sendError(
      identity,
      correlationId,
      'RATE_LIMITED',
      `too many malformed or oversized messages from this connection (last: ${code}: ${message}); ` +
        `its messages are ignored for ${guard.muteMs} ms`,
      { retryAfterMs: guard.muteMs },
    );
  }

  private dispatch(type: RequestType, body: unknown, ctx: RequestContext, correlationId: string): void {
    let result: unknown;
    try {
      result = (this.handlers[type] as (b: unknown, c: RequestContext) => unknown)(body, ctx);
    } catch (err) {
      this.replyFailure(ctx.identity, correlationId, type, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (reply) => this.send(ctx.identity, replyTypeOf(type), correlationId, reply),
        (err: unknown) => this.replyFailure(ctx.identity, correlationId, type, err),
      );
    } else {
      this.send(ctx.identity, replyTypeOf(type), correlationId, result);
    }
  }

  private replyFailure(identity: Buffer, correlationId: string, type: RequestType, err: unknown): void {
    if (err instanceof BrokerError) {
      this.sendError(identity, correlationId, err.code, err.message, err.details);
      return;
    }
    this.logger.error('internal error handling a request', { type, problem: (err as Error)?.stack ?? String(err) });
    this.sendError(
      identity,
      correlationId,
      'INTERNAL',
      `the broker failed handling ${type}: ${(err as Error)?.message ?? String(err)}`,
    );
  }

  private sendError(
    identity: Buffer,
    correlationId: string,
    code: BrokerErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ): void {
    this.counters.errors++;
    const body = details
      ? { code, message, action: BROKER_ERROR_CODES[code].action, details }
      : { code, message, action: BROKER_ERROR_CODES[code].action };
    this.send(identity, ERROR_TYPE, correlationId, body);
  }

  private notify<T extends NotificationType>(to: Session, type: T, body: NotificationBody<T>): void {
    if (this.sessions.get(to.key) !== to) return; // that connection is gone
    this.send(to.identity, type, '', body);
  }

  private send(identity: Buffer, type: string, correlationId: string, body: unknown): void {
    // A message to a vanished peer (or one whose queue is full) is dropped by ZeroMQ.
    const fail = (err: unknown) => {
      this.counters.dropped++;
      if (!this.closing) this.logger.debug('send failed', { type, problem: (err as Error).message });
    };
    const json = JSON.stringify(body);
    this.observeSent(identity, type, correlationId, body, json);
    try {
      this.router.send([identity, FRAME_TAG, type, correlationId, json]).catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  /** Counts a decoded message in the metrics and records it in the trace. */
  private observeReceived(frames: Buffer[], type: string, correlationId: string, body: unknown, now: number): void {
    const connection = frames[0]!.toString('hex');
    let bytes = 0;
    for (let i = 1; i < frames.length; i++) bytes += frames[i]!.length;
    if (isRequestType(type)) this.metrics.received(connection, type, correlationId, bytes, now);
    this.trace.push({
      at: now,
      direction: 'in',
      connection,
      ...this.clientOf(frames[0]!),
      type,
      correlationId,
      ...optional('channel', channelOf(body)),
      bytes,
    });
  }

  /** Counts a reply, ERROR or notification and records it in the trace, with the latency of what it answers. */
  private observeSent(identity: Buffer, type: string, correlationId: string, body: unknown, json: string): void {
    const now = Date.now();
    const connection = identity.toString('hex');
    const bytes = FRAME_TAG.length + type.length + Buffer.byteLength(correlationId) + Buffer.byteLength(json);
    const errorCode = type === ERROR_TYPE ? String((body as { code?: unknown }).code) : undefined;
    const answered = this.metrics.sent(connection, type, correlationId, bytes, errorCode, now);
    // A traced TRACE_EVENT would cause another one, without end.
    if (type === 'TRACE_EVENT') return;
    this.trace.push({
      at: now,
      direction: 'out',
      connection,
      ...this.clientOf(identity),
      type,
      correlationId,
      ...optional('channel', channelOf(body)),
      bytes,
      ...(answered ?? {}),
      ...optional('errorCode', errorCode),
    });
  }

  private clientOf(identity: Buffer): { client?: string } {
    const s = this.sessions.get(identity.toString('latin1'));
    return s ? { client: s.name } : {};
  }

  private sweep(): void {
    const now = Date.now();
    if (this.waiting) this.drainedAt = now;
    // Judged by what has been read: while a backlog waits, nothing in it counts as silence.
    const heardUntil = Math.min(now, this.drainedAt);
    try {
      this.channels.sweep(heardUntil, this.liveness);
      for (const s of [...this.sessions.values()]) {
        if (heardUntil - s.lastSeenAt <= this.livenessTimeoutMs + this.heartbeatIntervalMs) continue;
        this.channels.dropSession(s);
        this.sessions.delete(s.key);
        this.markChanged('clients');
        this.logger.info('client session expired', { client: s.name, host: s.host, pid: s.pid });
      }
      this.metrics.prune((connection) => this.sessions.has(Buffer.from(connection, 'hex').toString('latin1')));
      for (const [key, guard] of this.guards) {
        if (now - guard.lastUsedAt > GUARD_IDLE_MS && !guard.muted(now) && !this.sessions.has(key)) {
          this.guards.delete(key);
        }
      }
    } catch (err) {
      this.logger.error('liveness sweep failed', { problem: (err as Error).stack ?? String(err) });
    }
  }

  private markChanged(kind: BrokerChange): void {
    if (this.pendingChanges.size === 0) {
      setImmediate(() => {
        const kinds = [...this.pendingChanges];
        this.pendingChanges.clear();
        this.emit('change', kinds);
      });
    }
    this.pendingChanges.add(kind);
  }
}

/** `{[key]: value}`, or nothing when value is undefined (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

/** Starts a broker (state file loaded, socket bound) and resolves once it serves. */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const broker = new Broker(options);
  await broker.start();
  return broker;
}
