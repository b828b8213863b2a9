// One DEALER connection to a pylabhub hub's broker plane (docs/pylabhub.md): CURVE
// with the hub's public key as server key, a fixed routing id (an input of every
// envelope_hash), requests matched to replies by correlation id. The hub answers
// nothing at all to a client it does not accept (unlisted key, wrong server key), so
// the socket monitor's events are kept to tell why a request timed out: no TCP
// connection ever ('unreachable') or a connection that never answers ('silent').
import { randomBytes } from 'node:crypto';
import { Dealer, type Context } from 'zeromq';
import type { CurveKeyPair } from '../keys/index.js';
import { decodeDealerFrames, encodePlhFrames } from './frames.js';
import type { JsonObject } from './messages.js';

export interface PlhHubClientOptions {
  endpoint: string;
  /** The hub's public key (Z85): the CURVE server key. */
  serverKey: string;
  ownKeys: CurveKeyPair;
  routingId: string;
  /** A line for the caller's log: dropped frames, late replies, pushes without onPush. */
  log?: (line: string) => void;
  /** Pushes (empty correlation id); without it they are logged and ignored. */
  onPush?: (msgType: string, body: JsonObject) => void;
  /**
   * A message with a correlation id that answers no open request (late, or an ERROR for
   * a message whose reply nobody waits for); without it it is logged and ignored.
   */
  onStray?: (msgType: string, body: JsonObject) => void;
  /** A zeromq context (tests isolate sockets); the default one otherwise. */
  context?: Context;
  /** How long a send may wait for a connection to queue on (default 2000 ms). */
  sendTimeoutMs?: number;
}

export interface PlhReply {
  msgType: string;
  body: JsonObject;
  rttMs: number;
}

/** What the socket monitor saw on this connection. */
export interface PlhLinkObservation {
  /** A TCP connection is up now. */
  tcpConnected: boolean;
  /** A TCP connection was made at least once. */
  everTcp: boolean;
  /** Connection attempts that failed before a TCP connection (refused, no route). */
  connectRetries: number;
  /** Failed connection attempts since the last TCP connection (or since the start): evidence that nothing accepts. */
  retriesSinceConnect: number;
  /** The ZMTP/CURVE handshake completed at least once. */
  everHandshake: boolean;
  /** The hub's ZAP handler refused this client's key at least once. */
  authRefused: boolean;
  /** Other handshake failures or disconnects right after connecting (e.g. a wrong server key). */
  handshakeFailures: number;
  /** A valid reply arrived at least once. */
  everReplied: boolean;
  /** TCP connections made since the last valid reply (all of them when none came yet). */
  connectsSinceReply: number;
}

export class PlhRequestError extends Error {
  override name = 'PlhRequestError';
  constructor(
    readonly kind: 'timeout' | 'closed' | 'send',
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(reply: PlhReply): void;
  reject(err: PlhRequestError): void;
  timer: NodeJS.Timeout;
  sentAt: number;
  msgType: string;
}

/** 32 lower-case hex digits, as upstream clients make them. */
export function newCorrelationId(): string {
  return randomBytes(16).toString('hex');
}

export class PlhHubClient {
  readonly routingId: string;
  private readonly socket: Dealer;
  private readonly pending = new Map<string, Pending>();
  private readonly log: (line: string) => void;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;
  private connected = false;
  private readonly seen: PlhLinkObservation = {
    tcpConnected: false,
    everTcp: false,
    connectRetries: 0,
    retriesSinceConnect: 0,
    everHandshake: false,
    authRefused: false,
    handshakeFailures: 0,
    everReplied: false,
    connectsSinceReply: 0,
  };

  constructor(private readonly options: PlhHubClientOptions) {
    this.routingId = options.routingId;
    this.log = options.log ?? (() => undefined);
    this.socket = new Dealer({
      ...(options.context ? { context: options.context } : {}),
      routingId: options.routingId,
      linger: 0,
      curveServerKey: options.serverKey,
      curvePublicKey: options.ownKeys.publicKey,
      curveSecretKey: options.ownKeys.secretKey,
      // A hub that refuses the handshake leaves no pipe to queue on: a send waits this
      // long and then fails like a timeout, so sends never pile up without bound.
      sendHighWaterMark: 256,
      sendTimeout: options.sendTimeoutMs ?? 2000,
    });
    this.watchEvents();
  }

  /** Connects (once). Throws on an endpoint zeromq cannot parse. */
  connect(): void {
    if (this.connected || this.closed) return;
    this.socket.connect(this.options.endpoint);
    this.connected = true;
    void this.readLoop();
  }

  get observation(): PlhLinkObservation {
    return { ...this.seen };
  }

  /** Sends `msgType` with `body` and resolves with the reply carrying the same correlation id. */
  request(msgType: string, body: JsonObject, timeoutMs: number): Promise<PlhReply> {
    if (this.closed) return Promise.reject(new PlhRequestError('closed', 'the connection is closed'));
    this.connect();
    const correlationId = newCorrelationId();
    const frames = encodePlhFrames(this.routingId, { msgType, correlationId, body });
    return new Promise<PlhReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new PlhRequestError('timeout', `no reply to ${msgType} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer, sentAt: performance.now(), msgType });
      // zeromq v6 allows one send at a time: sends are chained.
      this.sending = this.sending.then(async () => {
        if (!this.pending.has(correlationId)) return;
        try {
          await this.socket.send(frames);
        } catch (err) {
          const p = this.pending.get(correlationId);
          if (!p) return;
          clearTimeout(p.timer);
          this.pending.delete(correlationId);
          p.reject(new PlhRequestError('send', `no connection took ${msgType} (${(err as Error).message})`));
        }
      });
    });
  }

  /**
   * Sends a `*_NOTIFY` (empty correlation id; the hub answers none). Resolves once
   * zeromq took the frames, rejects when no connection took them within the send timeout.
   */
  notify(msgType: string, body: JsonObject): Promise<void> {
    if (this.closed) return Promise.reject(new PlhRequestError('closed', 'the connection is closed'));
    this.connect();
    const frames = encodePlhFrames(this.routingId, { msgType, correlationId: '', body });
    const sent = this.sending.then(async () => {
      if (this.closed) throw new PlhRequestError('closed', `the connection closed before ${msgType} was sent`);
      try {
        await this.socket.send(frames);
      } catch (err) {
        throw new PlhRequestError('send', `no connection took ${msgType} (${(err as Error).message})`);
      }
    });
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new PlhRequestError('closed', `the connection closed before ${p.msgType} was answered`));
      this.pending.delete(id);
    }
    // Closing first ends a send still waiting for a connection.
    this.socket.close();
    await this.sending.catch(() => undefined);
  }

  private watchEvents(): void {
    const events = this.socket.events;
    events.on('connect', () => {
      this.seen.tcpConnected = true;
      this.seen.everTcp = true;
      this.seen.connectsSinceReply++;
      this.seen.retriesSinceConnect = 0;
    });
    events.on('connect:retry', () => {
      if (!this.seen.everTcp) this.seen.connectRetries++;
      this.seen.retriesSinceConnect++;
    });
    events.on('disconnect', () => {
      if (this.seen.tcpConnected && !this.seen.everHandshake) this.seen.handshakeFailures++;
      this.seen.tcpConnected = false;
    });
    events.on('handshake', () => {
      this.seen.everHandshake = true;
    });
    events.on('handshake:error:auth', () => {
      this.seen.authRefused = true;
    });
    events.on('handshake:error:protocol', () => {
      this.seen.handshakeFailures++;
    });
    events.on('handshake:error:other', () => {
      this.seen.handshakeFailures++;
    });
  }

  private async readLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        try {
          this.onFrames(frames);
        } catch (err) {
          this.log(`failed handling a message from the hub: ${(err as Error).message}`);
        }
      }
    } catch {
      // socket closed
    }
  }

  private onFrames(frames: Buffer[]): void {
    const decoded = decodeDealerFrames(frames, this.routingId);
    if (!decoded.ok) {
      // The hub would drop it; so does HubScope, saying why.
      this.log(`dropped a message from the hub: ${decoded.detail}`);
      return;
    }
    const { msgType, correlationId, body } = decoded.message;
    this.seen.everReplied = true;
    this.seen.connectsSinceReply = 0;
    if (correlationId === '') {
      if (this.options.onPush) this.options.onPush(msgType, body);
      else this.log(`ignored push ${msgType} (the hub pushes only to registered roles)`);
      return;
    }
    if (typeof body.correlation_id === 'string' && body.correlation_id !== correlationId) {
      this.log(`${msgType}: body correlation_id differs from frame 3 (frame 3 used)`);
    }
    const p = this.pending.get(correlationId);
    if (!p) {
      if (this.options.onStray) this.options.onStray(msgType, body);
      else this.log(`ignored ${msgType}: it answers no open request (late or unknown correlation id)`);
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(correlationId);
    p.resolve({ msgType, body, rttMs: performance.now() - p.sentAt });
  }
}
