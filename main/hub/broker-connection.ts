// The DEALER connection to one broker: connect and HELLO, teardown, reconnection
// with backoff, heartbeats, and reading what the broker sends. Without a broker
// every request fails fast with UNAVAILABLE instead of queueing.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Dealer } from 'zeromq';
import { helloProof, keyFingerprint } from '../keys/key-pair.js';
import { decodeFrames } from '../protocol/frames.js';
import {
  CAPABILITIES,
  PROTOCOL_VERSIONS,
  type ReplyBody,
  type RequestBody,
  type RequestType,
} from '../protocol/messages.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import {
  forgetOpenBroker,
  rememberOpenBroker,
  resolveSecurity,
  type HubSecurity,
  type ResolvedSecurity,
} from './client-security.js';
import type { ConnectionGeneration } from './connection-generation.js';
import { frameBytes, type ConnectionMetrics } from './connection-metrics.js';
import { Heartbeat, type HeartbeatContent } from './heartbeat.js';
import { HubError, unavailable } from './hub-error.js';
import type { ConnectionState, HubEvents } from './hub-types.js';
import { RequestCorrelator } from './request-correlator.js';

/** Replies larger than this from a broker are refused as a protocol error. */
const MAX_INCOMING_BYTES = 64 * 1024 * 1024;

export interface ConnectionSettings {
  endpoint: string;
  clientName: string;
  connectTimeoutMs: number;
  backoff: BackoffOptions;
  /** Keys, or open; undefined: found by resolveSecurity (client-security.ts). */
  security: HubSecurity | undefined;
  discoveryDir: string | undefined;
}

/** What the connection needs from the rest of the hub. */
export interface ConnectionHooks {
  /** Reports state, connected, disconnected, broker-restarted and warning. */
  events: HubEvents;
  notification(link: ConnectionGeneration, type: string, body: Record<string, unknown>): void;
  heartbeat: HeartbeatContent;
  /** A connection after the first is up: the broker may have forgotten what this process registered. */
  resumed(link: ConnectionGeneration): void;
  /** Counts and traces what goes over the connection (connection-metrics.ts). */
  metrics?: ConnectionMetrics;
}

export class BrokerConnection {
  private connState: ConnectionState = 'idle';
  private socket: Dealer | undefined;
  private attempt: Promise<void> | undefined;
  private hello: ReplyBody<'HELLO'> | undefined;
  private everConnected = false;
  private reconnectAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nextReconnectAt = 0;
  private readonly requests: RequestCorrelator;
  private readonly heartbeat: Heartbeat;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
  ) {
    this.requests = new RequestCorrelator(settings.endpoint, hooks.metrics);
    this.heartbeat = new Heartbeat(hooks.heartbeat);
  }

  get state(): ConnectionState {
    return this.connState;
  }

  /** HELLO_OK of the current (or last) connection. */
  get session(): ReplyBody<'HELLO'> | undefined {
    return this.hello;
  }

  ensureConnected(): Promise<void> {
    switch (this.connState) {
      case 'closed':
        return Promise.reject(new HubError('CLOSED', `MessageHub for ${this.settings.endpoint} is closed`));
      case 'connected':
        return Promise.resolve();
      case 'reconnecting':
        if (!this.attempt) {
          const inMs = Math.max(0, Math.round(this.nextReconnectAt - Date.now()));
          return Promise.reject(
            unavailable(this.settings.endpoint, `connection lost; next reconnection attempt in ${inMs} ms`),
          );
        }
        return this.attempt;
      default:
        return this.attempt ?? this.startAttempt();
    }
  }

  /** Sends a request (connecting first if needed); resolves with the validated reply body. */
  async request(type: RequestType, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.connState !== 'connected') await this.ensureConnected();
    const socket = this.socket;
    if (!socket) throw unavailable(this.settings.endpoint, 'connection lost');
    return await this.send(socket, type, body, timeoutMs);
  }

  /** Closing starts here so that no reconnection begins while the hub says goodbye. */
  /** A registration needs heartbeats at least this often (capability "qos": a critical channel). */
  heartbeatAtMost(intervalMs: number): void {
    this.heartbeat.atMost(intervalMs);
  }

  stopReconnecting(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  close(): void {
    this.setState('closed');
    this.teardown('closed');
  }

  private setState(next: ConnectionState): void {
    const previous = this.connState;
    if (previous === next) return;
    this.connState = next;
    this.hooks.events.emit('state', next, previous);
  }

  private send(socket: Dealer, type: RequestType, body: unknown, timeoutMs: number): Promise<unknown> {
    return this.requests.send(socket, type, body, timeoutMs, this.hello?.maxMessageBytes);
  }

  private linkTo(socket: Dealer): ConnectionGeneration {
    const isCurrent = () => this.socket === socket;
    return {
      send: (type, body, timeoutMs) => this.send(socket, type, body, timeoutMs),
      get current() {
        return isCurrent();
      },
      lost: (reason) => this.connectionLost(socket, reason),
    };
  }

  private async openConnection(): Promise<void> {
    const { endpoint, connectTimeoutMs } = this.settings;
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    let security: ResolvedSecurity;
    try {
      security = await resolveSecurity(endpoint, this.settings.security, this.settings.discoveryDir);
    } catch (err) {
      // No usable keys (unreadable key file, zeromq without CURVE): nothing to connect with.
      if (this.connState !== 'closed') {
        if (this.everConnected) this.scheduleReconnect();
        else this.setState('disconnected');
      }
      throw new HubError('SECURITY_MISMATCH', `MessageHub keys for ${endpoint}: ${(err as Error).message}`, {
        endpoint,
      });
    }
    // With CURVE the routing id is chosen here, because HELLO's key proof covers it.
    const routingId = security.curve ? `hs-${randomBytes(12).toString('hex')}` : undefined;
    // ZeroMQ's own reconnection is off: this class reconnects with a fresh socket (and
    // thus a fresh identity) so that the broker always sees HELLO first.
    // HELLO may be sent before the ZMTP handshake completes, so it may wait up to the
    // connect timeout; afterwards sends never wait (sendTimeout 0: fail fast, never EBUSY).
    const socket = new Dealer({
      reconnectInterval: -1,
      immediate: true,
      sendTimeout: connectTimeoutMs,
      linger: 0,
      sendHighWaterMark: 10_000,
      ...(security.curve
        ? {
            curveServerKey: security.serverKey,
            curvePublicKey: security.clientKeys.publicKey,
            curveSecretKey: security.clientKeys.secretKey,
            routingId,
          }
        : {}),
    });
    this.socket = socket;
    const link = this.linkTo(socket);
    try {
      await this.connectSocket(socket, link, security);
      const previousBoot = this.hello?.bootId;
      const helloBody: RequestBody<'HELLO'> = {
        versions: [...PROTOCOL_VERSIONS],
        client: { name: this.settings.clientName, host: hostname(), pid: process.pid },
        // Consumer groups and QoS (docs/protocol.md "Capabilities"); a broker without them ignores the field.
        capabilities: [...CAPABILITIES],
      };
      if (security.curve) {
        helloBody.auth = {
          publicKey: security.clientKeys.publicKey,
          proof: helloProof(security.clientKeys.secretKey, security.serverKey, Buffer.from(routingId!)),
        };
      }
      const hello = (await this.send(socket, 'HELLO', helloBody, connectTimeoutMs)) as ReplyBody<'HELLO'>;
      if (this.socket !== socket || this.connState === 'closed')
        throw new HubError('CLOSED', `MessageHub for ${endpoint} was closed`);
      socket.sendTimeout = 0;
      this.hello = hello;
      this.everConnected = true;
      this.reconnectAttempts = 0;
      this.setState('connected');
      this.heartbeat.start(link, hello.heartbeatIntervalMs, hello.livenessTimeoutMs);
      const restarted = previousBoot !== undefined && previousBoot !== hello.bootId;
      this.hooks.events.emit('connected', { bootId: hello.bootId, restarted });
      if (restarted) this.hooks.events.emit('broker-restarted', { bootId: hello.bootId, previousBootId: previousBoot });
      if (previousBoot !== undefined) this.hooks.metrics?.reconnected();
      if (previousBoot !== undefined) this.hooks.resumed(link);
    } catch (err) {
      if (this.socket === socket) this.teardown(err instanceof HubError ? err.message : String(err));
      const mismatch = err instanceof HubError && err.code === 'SECURITY_MISMATCH' && this.connState !== 'closed';
      if (mismatch && security.curve && security.guessed) {
        // This user's broker key was only a guess for a local endpoint, and the broker
        // there does not speak CURVE (an open broker): try once without it, and
        // remember, so later connections to this endpoint go open straight away.
        rememberOpenBroker(endpoint);
        this.hooks.events.emit(
          'warning',
          `the MessageHub broker at ${endpoint} does not use CURVE; connecting without it (${security.source} was only a guess)`,
        );
        return await this.openConnection();
      }
      // The broker was restarted with CURVE: the next attempt guesses the key again.
      if (mismatch && !security.curve && security.rememberedOpen) forgetOpenBroker(endpoint);
      if (this.connState !== 'closed') {
        if (this.everConnected) this.scheduleReconnect();
        else this.setState('disconnected');
      }
      if (err instanceof HubError && err.code !== 'TIMEOUT') throw err;
      throw unavailable(endpoint, err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * Connects the DEALER and waits for the ZMTP handshake. The socket monitor tells
   * the failures apart, so none of them is a timeout: nothing listening ('close'), a
   * refused client key (ZAP said no: 'handshake:error:auth'), CURVE on one side only
   * ('handshake:error:protocol'), and a server key the broker has no secret for (it
   * cannot open our HELLO and hangs up: 'handshake:error:other' or a disconnect).
   */
  private connectSocket(socket: Dealer, link: ConnectionGeneration, security: ResolvedSecurity): Promise<void> {
    const { endpoint, connectTimeoutMs } = this.settings;
    return new Promise((resolve, reject) => {
      const events = socket.events;
      let connected = false;
      const done = (err?: Error) => {
        clearTimeout(timer);
        events.off('connect', onConnect);
        events.off('handshake', onHandshake);
        events.off('close', onClose);
        events.off('handshake:error:auth', onAuthError);
        events.off('handshake:error:protocol', onProtocolError);
        events.off('handshake:error:other', onOtherError);
        events.off('disconnect', onEarlyDisconnect);
        if (err) reject(err);
        else resolve();
      };
      const serverFp = security.curve ? keyFingerprint(security.serverKey) : '';
      const onConnect = () => {
        connected = true;
      };
      const onHandshake = () => done();
      const onClose = () => done(unavailable(endpoint, 'nothing accepts connections there'));
      const onAuthError = () =>
        done(
          new HubError(
            'KEY_REFUSED',
            `the MessageHub broker at ${endpoint} refused this client's key ${security.curve ? keyFingerprint(security.clientKeys.publicKey) : ''} (not in its allow-list)`,
            { endpoint },
          ),
        );
      const onProtocolError = () =>
        done(
          new HubError(
            'SECURITY_MISMATCH',
            security.curve
              ? `the MessageHub broker at ${endpoint} does not use CURVE (an open broker?) but this client connected with server key ${serverFp} (from ${security.source})${security.guessed ? '' : '; a server key given explicitly or found in an endpoint file is never dropped for an unencrypted connection'}; connect with { open: true } to use an open broker`
              : `the MessageHub broker at ${endpoint} requires CURVE authentication and this client has no key for it (${security.source}); give its public key (serverKey), e.g. from \`hubscope broker\`'s output`,
            { endpoint },
          ),
        );
      const keyMismatch = () =>
        new HubError(
          'SERVER_KEY_MISMATCH',
          `the CURVE handshake with ${endpoint} failed: the broker there does not hold the secret of server key ${serverFp} (from ${security.source}); another broker answers, or its key changed`,
          { endpoint, serverKey: serverFp },
        );
      const onOtherError = () =>
        done(security.curve ? keyMismatch() : unavailable(endpoint, 'the ZMTP handshake failed'));
      const onEarlyDisconnect = () => {
        if (!connected) return;
        done(security.curve ? keyMismatch() : unavailable(endpoint, 'the connection closed during the handshake'));
      };
      const timer = setTimeout(
        () => done(unavailable(endpoint, `no connection within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      events.on('connect', onConnect);
      events.on('handshake', onHandshake);
      events.on('close', onClose);
      events.on('handshake:error:auth', onAuthError);
      events.on('handshake:error:protocol', onProtocolError);
      events.on('handshake:error:other', onOtherError);
      events.on('disconnect', onEarlyDisconnect);
      events.on('disconnect', () => link.lost('the broker closed the connection'));
      try {
        socket.connect(endpoint);
      } catch (err) {
        done(unavailable(endpoint, `invalid endpoint (${(err as Error).message})`));
        return;
      }
      void this.readLoop(socket, link);
    });
  }

  private async readLoop(socket: Dealer, link: ConnectionGeneration): Promise<void> {
    try {
      for await (const frames of socket) {
        if (!link.current) break;
        try {
          this.onMessage(link, frames);
        } catch (err) {
          this.hooks.events.emit('warning', `failed handling a message from the broker: ${(err as Error).message}`);
        }
      }
    } catch {
      // socket closed
    }
  }

  private onMessage(link: ConnectionGeneration, frames: Buffer[]): void {
    const bytes = frameBytes(frames);
    this.hooks.metrics?.received(bytes);
    const decoded = decodeFrames(frames, MAX_INCOMING_BYTES, false);
    if (!decoded.ok) {
      const err = new HubError('PROTOCOL_ERROR', `malformed message from the broker: ${decoded.problem.message}`);
      if (!this.requests.reject(decoded.problem.correlationId, err)) this.hooks.events.emit('warning', err.message);
      return;
    }
    const { type, correlationId, body } = decoded.message;
    // Only notifications come without a correlation id.
    if (correlationId === '') {
      this.hooks.metrics?.notified(type, body, bytes);
      this.hooks.notification(link, type, body);
    } else if (this.requests.settle(correlationId, type, body, bytes) === 'HELLO_REQUIRED')
      link.lost('the broker no longer knows this connection');
  }

  private teardown(reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    this.heartbeat.stop();
    if (socket) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    this.requests.rejectAll(() =>
      this.connState === 'closed'
        ? new HubError('CLOSED', `MessageHub for ${this.settings.endpoint} was closed`)
        : unavailable(this.settings.endpoint, reason),
    );
  }

  private connectionLost(socket: Dealer, reason: string): void {
    if (socket !== this.socket || this.connState === 'closed') return;
    const wasConnected = this.connState === 'connected';
    this.teardown(reason);
    if (wasConnected) this.hooks.events.emit('disconnected', { reason });
    if (this.everConnected) this.scheduleReconnect();
    else this.setState('disconnected');
  }

  private scheduleReconnect(): void {
    if (this.connState === 'closed' || this.reconnectTimer) return;
    this.setState('reconnecting');
    const delay = backoffDelay(this.reconnectAttempts++, this.settings.backoff);
    this.nextReconnectAt = Date.now() + delay;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.connState === 'closed' || this.attempt) return;
      this.startAttempt().catch(() => undefined); // openConnection schedules the next attempt itself
    }, delay);
  }

  /** One attempt at a time: concurrent callers share it. */
  private startAttempt(): Promise<void> {
    this.attempt = this.openConnection().finally(() => {
      this.attempt = undefined;
    });
    return this.attempt;
  }
}
