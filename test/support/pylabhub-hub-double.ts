// A test double of a pylabhub hub's broker socket (plh_hub at Qing-LAB/pylabhub
// 665ab175, broker_proto 7.0), written from the protocol as documented in
// docs/pylabhub.md, not from HubScope's own pylabhub code (it imports only the
// BLAKE2b and Z85 helpers): a ROUTER with CURVE server and a ZAP allow-list,
// 5-frame and envelope_hash checks in both directions (failures dropped silently),
// and the messages a monitor uses. Producers are registered by the test
// (addChannel, heartbeat) instead of over the wire.
//
// Silence where the real hub is silent: a key that is not allow-listed (ZAP 400), the
// NULL mechanism, a wrong server key (the CURVE handshake cannot complete), any framing
// or envelope_hash failure, a rejected message with an empty correlation id, and
// SHM_BLOCK_QUERY_REQ (the hub builds that reply without a correlation id and fails to
// send it).
//
// Assumptions on points the protocol description marks as read from code only [CODE],
// or leaves open (each is what this double does; a real hub may differ):
// - ZAP: the handler answers 400 for an unlisted key or another mechanism (libzmq then
//   fails the handshake: the client receives nothing). The ZAP domain is
//   `broker.ctrl.<hub_uid>`. Federation peers are not modelled (allow-list = known_roles).
// - Upstream role DEALERs' ZMTP heartbeats and send timeouts are not needed and not checked.
// - Only the monitor messages are implemented: CHANNEL_LIST, METRICS, DISC, SCHEMA,
//   ROLE_PRESENCE, CONSUMER_REG/DEREG, HEARTBEAT_NOTIFY (consumers), SHM_BLOCK_QUERY.
//   Everything else a real hub handles (REG_REQ, ZMQ data plane, bands, federation,
//   CONSUMER_ATTACH_REQ_SHM, admin plane) gets ERROR UNKNOWN_MSG_TYPE here.
// - CHANNEL_LIST entry of an anonymous channel: `schema_id` is "" (the worked example
//   only shows a named channel).
// - METRICS_REQ naming an unknown channel, DISC_REQ and SCHEMA_REQ for an unknown
//   channel: ERROR CHANNEL_NOT_FOUND. SCHEMA_REQ for a channel without a schema: ERROR
//   SCHEMA_UNKNOWN.
// - DISC_REQ while the producer is Pending (stalled): DISC_PENDING reason
//   `heartbeat_stalled` (the reason CONSUMER_REG_REQ gives in that state).
// - ROLE_PRESENCE_REQ with a uid that fails the grammar: ERROR INVALID_REQUEST.
// - shm_blocks consumer `name`: the consumer's role_name, else the uid's middle part.
// - A consumer's presence starts at CONSUMER_REG_REQ and goes Pending/removed by the same
//   timeouts as a producer's (Pending after interval × ready_miss without a heartbeat,
//   removed after interval × pending_miss more; a heartbeat in Pending makes it Connected
//   again), checked every min(100 ms, interval) and on each message. Pushes to producers
//   (registered by the test, without a socket) are recorded in `pushes`; pushes to
//   consumers that registered over the wire (CHANNEL_CLOSING_NOTIFY) are sent to their
//   routing id and recorded too.
// - CHANNEL_CLOSING_NOTIFY when the producer times out carries reason `pending_timeout`;
//   closeChannel() sends `admin_requested` (ADMIN_CLOSE_CHANNEL_REQ) unless told otherwise.
// - A HEARTBEAT_NOTIFY whose `producer_pid` is absent or 0 is accepted and noted in
//   `logged` (the hub logs it); `consumer_pid` in a heartbeat is ignored like any unknown key.
// - CONSUMER_REG_REQ citation rules: no citation is accepted; a citation naming a schema
//   id other than the channel's, or citing blds/packing without an id on a named channel,
//   is SCHEMA_ID_MISMATCH; a cited hash (128 or the first 64 hex) that differs is
//   SCHEMA_CITATION_REJECTED. `consumer_queue_type`, when given, must equal the transport
//   (TRANSPORT_MISMATCH).
// - Gate order of CONSUMER_REG_REQ: body types, id (routing id == role_uid), uid grammar
//   and tag, known_roles key, replay pair, then the channel rules.
// - The order of gates for CONSUMER_DEREG_REQ: body types, id, replay, NOT_REGISTERED
//   when no (uid, consumer_pid) entry matches (absent pid = 0).
// - forgetConsumer() drops a consumer's registration with no push to anyone, as a hub
//   that restarted and lost its registrations would (the channel and producer stay, as
//   if the producer had registered again at once); the consumer's later heartbeats are
//   rejected (NOT_A_ROLE_OF_CHANNEL, silent: no correlation id) and it may register
//   again. takeSeat() registers another consumer without a socket (the test
//   heartbeats it). pause() holds every message unread and stops the liveness checks,
//   as a stopped hub process would; resume() handles the held messages in order before
//   the next liveness check (held heartbeats count).
import { randomBytes } from 'node:crypto';
import { Context, Router, curveKeyPair } from 'zeromq';
import { blake2b256, toHex } from '../../main/datablock/blake2b.js';
import { z85Encode } from '../../main/keys/z85.js';

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
const ADMISSION = /^[A-Za-z0-9._-]{1,128}$/;
const COMPONENT = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ZERO_HASH = '0'.repeat(64);
const REPLAY_SKEW_MS = 30_000;
const NONCE_WINDOW_MS = 60_000;

type Json = Record<string, unknown>;

export interface KnownRole {
  name: string;
  uid: string;
  role: string;
  pubkey_z85: string;
}

export interface DoubleChannel {
  name: string;
  producerUid: string;
  producerName?: string;
  producerPid: number;
  producerPubkey?: string;
  transport: 'shm' | 'zmq';
  /** shm: the capability socket (`unix://…`); zmq: the node endpoint. */
  endpoint?: string;
  topology?: 'one-to-one' | 'fan-out' | 'fan-in';
  schemaId?: string;
  schemaBlds?: string;
  schemaPacking?: string;
  flexzoneBlds?: string;
  flexzonePacking?: string;
  metadata?: Json;
  /** Header counters of a named segment called like the channel; null (memfd) by default. */
  shmMetrics?: Json | null;
}

export interface HubDoubleOptions {
  hubUid?: string;
  knownRoles?: KnownRole[];
  heartbeatIntervalMs?: number;
  readyMissHeartbeats?: number;
  pendingMissHeartbeats?: number;
}

export interface HubDoubleHostility {
  /** Replies of these types go out with a wrong envelope_hash. */
  badHashFor: Set<string>;
  /** Replies of these types go out with marker "X" instead of "C". */
  badMarkerFor: Set<string>;
  /** Rewrites a reply body before it is hashed and sent. */
  mutate?: (msgType: string, body: Json) => Json;
}

interface Presence {
  uid: string;
  /** The routing id it registered from over the wire (pushes go there); none for test-registered producers. */
  identity?: string;
  heartbeats: number;
  pid: number;
  name: string;
  hostname?: string;
  pubkey?: string;
  lastSeen: number;
  firstHeartbeatSeen: boolean;
  metrics: Json | null;
  collectedAt: string | null;
}

interface Channel {
  spec: DoubleChannel;
  producer: Presence;
  consumers: Map<string, Presence>;
  version: number;
}

export interface ReceivedMessage {
  identity: string;
  msgType: string;
  correlationId: string;
  body: Json;
}

/** Wire-form zone hash: BLAKE2b-256(blds + "|pack:" + packing), hex. */
export function zoneHash(blds: string, packing: string): string {
  return toHex(blake2b256(new TextEncoder().encode(`${blds}|pack:${packing}`)));
}

/** The hub's 128-hex schema_hash: slot zone ‖ flexzone zone, 32 zero bytes for an absent zone. */
export function hubSchemaHash(
  c: Pick<DoubleChannel, 'schemaBlds' | 'schemaPacking' | 'flexzoneBlds' | 'flexzonePacking'>,
): string {
  const slot = c.schemaBlds ? zoneHash(c.schemaBlds, c.schemaPacking ?? 'aligned') : ZERO_HASH;
  const flex = c.flexzoneBlds ? zoneHash(c.flexzoneBlds, c.flexzonePacking ?? 'aligned') : ZERO_HASH;
  return slot + flex;
}

function hashOf(identity: Buffer, msgType: string, correlationId: string): string {
  return toHex(blake2b256(Buffer.concat([identity, Buffer.from(msgType), Buffer.from(correlationId)])));
}

/** `YYYY-MM-DD HH:MM:SS.ffffff`, UTC, no zone. */
export function collectedAtText(at: Date): string {
  const iso = at.toISOString(); // 2026-12-01T22:29:05.749Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function uidGrammar(uid: string): boolean {
  const parts = uid.split('.');
  return (
    uid.length <= 256 &&
    parts.length >= 3 &&
    parts.every((p) => COMPONENT.test(p)) &&
    ['prod', 'cons', 'proc'].includes(parts[0]!)
  );
}

class Reject extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Json = {},
  ) {
    super(message);
  }
}

export class PylabhubHubDouble {
  readonly hubUid: string;
  readonly publicKey: string;
  readonly endpoint: string;
  readonly hostile: HubDoubleHostility = { badHashFor: new Set(), badMarkerFor: new Set() };
  /** Every message that passed framing and envelope checks, in order. */
  readonly received: ReceivedMessage[] = [];
  /** Framing failures, dropped silently. */
  readonly dropped: string[] = [];
  /** Pushes the hub would send to producers (which the test registered without a socket). */
  readonly pushes: Array<{ to: string; msgType: string; body: Json }> = [];
  /** What the hub would write to its log (e.g. a heartbeat with producer_pid 0). */
  readonly logged: string[] = [];
  private readonly knownRoles = new Map<string, KnownRole>();
  private readonly channels = new Map<string, Channel>();
  private readonly nonces = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly readyMs: number;
  private readonly pendingMs: number;
  private sending: Promise<unknown> = Promise.resolve();
  private closed = false;
  private reaper: NodeJS.Timeout | undefined;
  /** While paused: the messages that came, unread. */
  private held: Buffer[][] | null = null;

  private constructor(
    private readonly context: Context,
    private readonly zap: Router,
    private readonly router: Router,
    keys: { publicKey: string },
    endpoint: string,
    options: HubDoubleOptions,
  ) {
    this.hubUid = options.hubUid ?? 'hub.double.uid00000001';
    this.publicKey = keys.publicKey;
    this.endpoint = endpoint;
    this.intervalMs = options.heartbeatIntervalMs ?? 500;
    this.readyMs = this.intervalMs * (options.readyMissHeartbeats ?? 10);
    this.pendingMs = this.intervalMs * (options.pendingMissHeartbeats ?? 10);
    for (const r of options.knownRoles ?? []) this.knownRoles.set(r.uid, r);
    // The hub checks liveness every broker poll (≤ 100 ms), not only when a message comes.
    this.reaper = setInterval(() => this.reap(), Math.min(100, this.intervalMs));
    this.reaper.unref();
  }

  /** Binds a fresh double on tcp://127.0.0.1 with a random port, in its own zeromq context. */
  static async start(options: HubDoubleOptions = {}): Promise<PylabhubHubDouble> {
    const context = new Context();
    const keys = curveKeyPair();
    const hubUid = options.hubUid ?? 'hub.double.uid00000001';
    const zap = new Router({ context, linger: 0 });
    await zap.bind(ZAP_ENDPOINT);
    const router = new Router({
      context,
      linger: 0,
      curveServer: true,
      curvePublicKey: keys.publicKey,
      curveSecretKey: keys.secretKey,
      zapDomain: `broker.ctrl.${hubUid}`,
    });
    await router.bind('tcp://127.0.0.1:*');
    const double = new PylabhubHubDouble(context, zap, router, keys, router.lastEndpoint!, { ...options, hubUid });
    void double.serveZap();
    void double.serveBroker();
    return double;
  }

  /** `plh_hub --add-known-role` (the real hub needs a restart; the double reads it at once). */
  addKnownRole(role: KnownRole): void {
    this.knownRoles.set(role.uid, role);
  }

  revokeKnownRole(uid: string): void {
    this.knownRoles.delete(uid);
  }

  /** A producer that has registered (REG_REQ accepted) but not sent its first heartbeat yet. */
  addChannel(spec: DoubleChannel): void {
    const now = Date.now();
    this.channels.set(spec.name, {
      spec: { ...spec },
      producer: {
        uid: spec.producerUid,
        pid: spec.producerPid,
        name: spec.producerName ?? spec.producerUid.split('.')[1] ?? '',
        lastSeen: now,
        heartbeats: 0,
        firstHeartbeatSeen: false,
        metrics: null,
        collectedAt: null,
        ...(spec.producerPubkey ? { pubkey: spec.producerPubkey } : {}),
      },
      consumers: new Map(),
      version: 0,
    });
  }

  removeChannel(name: string): void {
    this.channels.delete(name);
  }

  /**
   * The hub closes a channel (ADMIN_CLOSE_CHANNEL_REQ, the producer's DEREG_REQ):
   * CHANNEL_CLOSING_NOTIFY to its producer (recorded) and consumers (sent), then it is gone.
   */
  closeChannel(name: string, reason = 'admin_requested'): void {
    const c = this.channels.get(name);
    if (!c) throw new Error(`double: no channel ${name}`);
    this.closing(c, reason);
    this.channels.delete(name);
  }

  /** A consumer's presence: Connected (Ready), Pending, or undefined when the hub holds none. */
  consumerState(channel: string, uid: string): 'Connected' | 'Pending' | undefined {
    const p = this.channels.get(channel)?.consumers.get(uid);
    if (!p) return undefined;
    return Date.now() - p.lastSeen > this.readyMs ? 'Pending' : 'Connected';
  }

  /** HEARTBEAT_NOTIFYs the hub accepted from a role of a channel (0 when it holds none). */
  heartbeatsOf(channel: string, uid: string): number {
    const c = this.channels.get(channel);
    const p = c?.producer.uid === uid ? c.producer : c?.consumers.get(uid);
    return p?.heartbeats ?? 0;
  }

  /** Sends any message to a connected peer (tests of a client's handling of strays and pushes). */
  sendTo(identity: string, msgType: string, correlationId: string, body: Json): void {
    this.reply(Buffer.from(identity), msgType, correlationId, body);
  }

  /** HEARTBEAT_NOTIFY of the producer or a registered consumer, with optional metrics. */
  heartbeat(channel: string, roleUid: string, metrics?: Json, at: Date = new Date()): void {
    const c = this.channels.get(channel);
    if (!c) throw new Error(`double: no channel ${channel}`);
    const p = c.producer.uid === roleUid ? c.producer : c.consumers.get(roleUid);
    if (!p) throw new Error(`double: ${roleUid} is not a role of ${channel}`);
    p.lastSeen = Date.now();
    p.heartbeats++;
    if (!p.firstHeartbeatSeen && p !== c.producer) {
      c.version++;
      this.pushes.push({
        to: c.producer.uid,
        msgType: 'CHANNEL_AUTH_CHANGED_NOTIFY',
        body: this.authChanged(c, p, 'live'),
      });
    }
    p.firstHeartbeatSeen = true;
    if (metrics) {
      p.metrics = metrics;
      p.collectedAt = collectedAtText(at);
    }
  }

  /**
   * The hub forgets a consumer (a restart that lost its registrations, an admin): its
   * entry goes, with no push to anyone. Returns whether it held one.
   */
  forgetConsumer(channel: string, uid: string): boolean {
    const c = this.channels.get(channel);
    if (!c?.consumers.delete(uid)) return false;
    c.version++;
    return true;
  }

  /**
   * Another consumer takes a seat on the channel (registered by the test, without a
   * socket; keep it alive with heartbeat()). The channel's topology rules apply as for
   * CONSUMER_REG_REQ: a one-to-one or fan-in channel that has a consumer throws.
   */
  takeSeat(channel: string, uid: string, pid = 4343): void {
    const c = this.channels.get(channel);
    if (!c) throw new Error(`double: no channel ${channel}`);
    const topology = c.spec.topology ?? 'one-to-one';
    if (topology !== 'fan-out' && [...c.consumers.keys()].some((u) => u !== uid))
      throw new Error(`double: ${channel} is ${topology} and has a consumer`);
    c.consumers.set(uid, {
      uid,
      pid,
      name: uid.split('.')[1] ?? '',
      lastSeen: Date.now(),
      heartbeats: 0,
      firstHeartbeatSeen: false,
      metrics: null,
      collectedAt: null,
    });
    c.version++;
  }

  /** The hub process stops: messages are held unread, nothing is answered, no role times out. */
  pause(): void {
    this.held ??= [];
  }

  /** Messages held unread while paused (of one msg_type, if given). */
  heldCount(msgType?: string): number {
    return (this.held ?? []).filter((f) => msgType === undefined || f[2]?.toString('latin1') === msgType).length;
  }

  /** The hub process goes on: the held messages are handled in the order they came. */
  resume(): void {
    // Before any liveness check (reap skips while `held` is set): the heartbeats held count.
    for (const frames of (this.held ?? []).splice(0)) this.handleFrames(frames);
    this.held = null;
  }

  /** Consumers the hub holds for a channel (uid list). */
  consumersOf(channel: string): string[] {
    return [...(this.channels.get(channel)?.consumers.keys() ?? [])];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reaper);
    await this.sending.catch(() => undefined);
    this.router.close();
    this.zap.close();
    void this.context;
  }

  // ---------------------------------------------------------------- sockets

  private async serveZap(): Promise<void> {
    try {
      for await (const frames of this.zap) {
        const [peer, delimiter, version, requestId, , , , mechanism, credentials] = frames;
        const reply = (status: string, text: string) => [
          peer!,
          delimiter!,
          '1.0',
          requestId ?? '',
          status,
          text,
          '',
          '',
        ];
        let answer: (string | Buffer)[];
        if (version?.toString() !== '1.0') answer = reply('500', 'version');
        else if (mechanism?.toString() !== 'CURVE' || credentials?.length !== 32) answer = reply('400', 'CURVE only');
        else {
          const key = z85Encode(credentials);
          const listed = [...this.knownRoles.values()].some((r) => r.pubkey_z85 === key);
          answer = listed ? reply('200', 'OK') : reply('400', 'not in known_roles');
        }
        await this.zap.send(answer).catch(() => undefined);
      }
    } catch {
      // closed
    }
  }

  private async serveBroker(): Promise<void> {
    try {
      for await (const frames of this.router) {
        if (this.held) this.held.push(frames);
        else this.handleFrames(frames);
      }
    } catch {
      // closed
    }
  }

  private handleFrames(frames: Buffer[]): void {
    try {
      this.onFrames(frames);
    } catch (err) {
      this.dropped.push(`handler failed: ${(err as Error).message}`);
    }
  }

  private onFrames(frames: Buffer[]): void {
    if (frames.length !== 5) return void this.dropped.push(`${frames.length} frames`);
    const [identity, marker, typeFrame, corrFrame, bodyFrame] = frames as [Buffer, Buffer, Buffer, Buffer, Buffer];
    if (!ADMISSION.test(identity.toString('latin1'))) return void this.dropped.push('routing id fails admission');
    if (marker.length !== 1 || marker[0] !== 0x43) return void this.dropped.push('marker');
    const msgType = typeFrame.toString('latin1');
    if (typeFrame.length < 1 || typeFrame.length > 64 || !/^[\x20-\x7e]+$/.test(msgType)) {
      return void this.dropped.push('msg_type');
    }
    const correlationId = corrFrame.toString('latin1');
    if (corrFrame.length > 64 || (correlationId === '' && !msgType.endsWith('_NOTIFY'))) {
      return void this.dropped.push('correlation_id');
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bodyFrame));
    } catch {
      return void this.dropped.push('body not UTF-8 JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return void this.dropped.push('body not an object');
    const b = body as Json;
    if (b.envelope_hash !== hashOf(identity, msgType, correlationId)) {
      // ENVELOPE_TAMPERED is logged only.
      return void this.dropped.push(`envelope_hash of ${msgType}`);
    }
    const id = identity.toString('latin1');
    this.received.push({ identity: id, msgType, correlationId, body: b });
    this.reap();
    let reply: { msgType: string; body: Json } | null;
    try {
      reply = this.handle(id, msgType, b);
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      reply = {
        msgType: 'ERROR',
        body: { status: 'error', error_code: err.code, message: err.message, ...err.extra },
      };
    }
    // No reply for rejected messages without a correlation id.
    if (reply && correlationId !== '') this.reply(identity, reply.msgType, correlationId, reply.body);
  }

  private reply(identity: Buffer, msgType: string, correlationId: string, body: Json): void {
    // A push (empty correlation id) has no correlation_id in its body.
    let out: Json = correlationId === '' ? { ...body } : { ...body, correlation_id: correlationId };
    if (this.hostile.mutate) out = this.hostile.mutate(msgType, out);
    out.envelope_hash = this.hostile.badHashFor.has(msgType)
      ? hashOf(Buffer.from('someone-else'), msgType, correlationId)
      : hashOf(identity, msgType, correlationId);
    const marker = this.hostile.badMarkerFor.has(msgType) ? 'X' : 'C';
    const frames = [identity, marker, msgType, correlationId, JSON.stringify(out)];
    this.sending = this.sending.then(() => this.router.send(frames)).catch(() => undefined);
  }

  // ---------------------------------------------------------------- handlers

  private handle(id: string, msgType: string, body: Json): { msgType: string; body: Json } | null {
    switch (msgType) {
      case 'CHANNEL_LIST_REQ':
        return {
          msgType: 'CHANNEL_LIST_ACK',
          body: { status: 'success', channels: [...this.channels.values()].map((c) => this.listEntry(c)) },
        };
      case 'METRICS_REQ':
        return { msgType: 'METRICS_ACK', body: this.metrics(body) };
      case 'DISC_REQ':
        return this.disc(body);
      case 'SCHEMA_REQ':
        return { msgType: 'SCHEMA_ACK', body: this.schema(body) };
      case 'ROLE_PRESENCE_REQ':
        return { msgType: 'ROLE_PRESENCE_ACK', body: this.presence(body) };
      case 'SHM_BLOCK_QUERY_REQ':
        return null; // never answered
      case 'CONSUMER_REG_REQ':
        return { msgType: 'CONSUMER_REG_ACK', body: this.consumerReg(id, body) };
      case 'CONSUMER_DEREG_REQ':
        return { msgType: 'CONSUMER_DEREG_ACK', body: this.consumerDereg(id, body) };
      case 'HEARTBEAT_NOTIFY':
        this.heartbeatNotify(id, body);
        return null;
      default:
        throw new Reject('UNKNOWN_MSG_TYPE', `unknown msg_type ${msgType}`);
    }
  }

  private observable(c: Channel): string {
    if (!c.producer.firstHeartbeatSeen) return 'registering';
    return Date.now() - c.producer.lastSeen > this.readyMs ? 'stalled' : 'live';
  }

  private listEntry(c: Channel): Json {
    return {
      name: c.spec.name,
      producer_uids: [c.producer.uid],
      producer_uid: c.producer.uid,
      producer_pid: c.producer.pid,
      schema_id: c.spec.schemaId ?? '',
      consumer_count: c.consumers.size,
      observable: this.observable(c),
    };
  }

  private roleMetrics(c: Channel): Json {
    const producers: Json = {};
    const consumers: Json = {};
    if (c.producer.metrics)
      producers[c.producer.uid] = { ...c.producer.metrics, _collected_at: c.producer.collectedAt, pid: c.producer.pid };
    for (const p of c.consumers.values()) {
      if (p.metrics) consumers[p.uid] = { ...p.metrics, _collected_at: p.collectedAt };
    }
    return { producers, consumers };
  }

  private shmBlocks(only?: Channel): Json {
    const blocks = [...this.channels.values()]
      .filter((c) => c.spec.transport === 'shm' && (!only || c === only))
      .map((c) => ({
        channel: c.spec.name,
        producer: { pid: c.producer.pid, uid: c.producer.uid, name: c.producer.name },
        consumers: [...c.consumers.values()].map((p) => ({ pid: p.pid, uid: p.uid, name: p.name })),
        shm_metrics: c.spec.shmMetrics ?? null,
      }));
    return { status: 'success', blocks };
  }

  private metrics(body: Json): Json {
    if (body.channel_name !== undefined) {
      if (typeof body.channel_name !== 'string')
        throw new Reject('BODY_SCHEMA_VIOLATION', 'channel_name must be a string', { field: 'channel_name' });
      const c = this.channel(body.channel_name);
      return { status: 'success', channel: c.spec.name, metrics: this.roleMetrics(c), shm_blocks: this.shmBlocks(c) };
    }
    const channels: Json = {};
    for (const c of this.channels.values()) channels[c.spec.name] = this.roleMetrics(c);
    return { status: 'success', channels, shm_blocks: this.shmBlocks() };
  }

  private channel(name: unknown): Channel {
    if (typeof name !== 'string')
      throw new Reject('BODY_SCHEMA_VIOLATION', 'channel_name must be a string', { field: 'channel_name' });
    const c = this.channels.get(name);
    if (!c) throw new Reject('CHANNEL_NOT_FOUND', `channel ${name} not found`);
    return c;
  }

  private disc(body: Json): { msgType: string; body: Json } {
    const c = this.channel(body.channel_name);
    const obs = this.observable(c);
    if (obs !== 'live') {
      const reason = obs === 'registering' ? 'awaiting_first_heartbeat' : 'heartbeat_stalled';
      return { msgType: 'DISC_PENDING', body: { status: 'pending', channel_name: c.spec.name, reason } };
    }
    return {
      msgType: 'DISC_ACK',
      body: {
        status: 'success',
        schema_hash: hubSchemaHash(c.spec),
        flexzone_blds: c.spec.flexzoneBlds ?? '',
        metadata: c.spec.metadata ?? {},
        consumer_count: c.consumers.size,
        zmq_pubkey: c.producer.pubkey ?? '',
        zmq_node_endpoint: c.spec.transport === 'zmq' ? (c.spec.endpoint ?? '') : '',
        data_transport: c.spec.transport,
      },
    };
  }

  private schema(body: Json): Json {
    if (body.channel_name === undefined) {
      const owner = body.owner;
      const schemaId = body.schema_id;
      if (typeof owner !== 'string' || typeof schemaId !== 'string') {
        throw new Reject('BODY_SCHEMA_VIOLATION', 'SCHEMA_REQ needs channel_name, or owner and schema_id');
      }
      const c = [...this.channels.values()].find((x) => x.producer.uid === owner && x.spec.schemaId === schemaId);
      if (!c) throw new Reject('SCHEMA_UNKNOWN', `no schema ${schemaId} of ${owner}`);
      return {
        ...this.schemaBody(c),
        packing: c.spec.schemaPacking ?? 'aligned',
        flexzone_packing: c.spec.flexzonePacking ?? '',
      };
    }
    const c = this.channel(body.channel_name);
    if (!c.spec.schemaId) throw new Reject('SCHEMA_UNKNOWN', `channel ${c.spec.name} has no named schema`);
    return this.schemaBody(c);
  }

  private schemaBody(c: Channel): Json {
    return {
      status: 'success',
      schema_id: c.spec.schemaId,
      schema_owner: c.producer.uid,
      blds: c.spec.schemaBlds ?? '',
      flexzone_blds: c.spec.flexzoneBlds ?? '',
      schema_hash: hubSchemaHash(c.spec),
    };
  }

  private presence(body: Json): Json {
    const uid = body.role_uid;
    if (typeof uid !== 'string')
      throw new Reject('BODY_SCHEMA_VIOLATION', 'role_uid must be a string', { field: 'role_uid' });
    if (!uidGrammar(uid))
      throw new Reject('INVALID_REQUEST', `role_uid ${uid} fails the uid grammar`, { field: 'role_uid' });
    for (const c of this.channels.values()) {
      if (c.producer.uid === uid) return { status: 'success', present: true, channel: c.spec.name, role: 'producer' };
      if (c.consumers.has(uid)) return { status: 'success', present: true, channel: c.spec.name, role: 'consumer' };
    }
    return { status: 'success', present: false };
  }

  /** Gates every role message shares: body types, id, grammar and tag. */
  private roleGates(id: string, body: Json, required: string[], tags: string[]): string {
    for (const f of required) {
      if (typeof body[f] !== 'string' || body[f] === '') {
        throw new Reject('BODY_SCHEMA_VIOLATION', `${f} missing or not a string`, { field: f });
      }
    }
    for (const [k, v] of Object.entries(body)) {
      if (typeof v === 'number' && !isUint(v))
        throw new Reject('BODY_SCHEMA_VIOLATION', `${k} must be unsigned`, { field: k });
    }
    const uid = body.role_uid as string;
    if (id !== uid) throw new Reject('IDENTITY_MISMATCH', `routing id ${id} is not role_uid ${uid}`);
    if (!uidGrammar(uid))
      throw new Reject('INVALID_REQUEST', `role_uid ${uid} fails the uid grammar`, { field: 'role_uid' });
    if (!tags.includes(uid.split('.')[0]!))
      throw new Reject('INVALID_ROLE_TAG', `role_uid ${uid} has a tag not allowed here`);
    return uid;
  }

  private replay(uid: string, body: Json): void {
    const nonce = body.client_nonce;
    const ts = body.client_wall_ts;
    if (typeof nonce !== 'string' || nonce === '')
      throw new Reject('REPLAY_OR_SKEW', 'client_nonce missing', { field: 'client_nonce' });
    if (!isUint(ts) || Math.abs(Date.now() - ts) > REPLAY_SKEW_MS) {
      throw new Reject('REPLAY_OR_SKEW', 'client_wall_ts missing or skewed', { field: 'client_wall_ts' });
    }
    const now = Date.now();
    for (const [k, at] of this.nonces) if (now - at > NONCE_WINDOW_MS) this.nonces.delete(k);
    const key = `${uid}\n${nonce}`;
    if (this.nonces.has(key)) throw new Reject('REPLAY_OR_SKEW', 'client_nonce seen before', { field: 'client_nonce' });
    this.nonces.set(key, now);
  }

  private consumerReg(id: string, body: Json): Json {
    const uid = this.roleGates(
      id,
      body,
      ['channel_name', 'role_uid', 'role_type', 'data_transport', 'zmq_pubkey'],
      ['cons', 'proc'],
    );
    const abi = body.abi_fingerprint;
    if (typeof abi !== 'object' || abi === null || Array.isArray(abi)) {
      throw new Reject('BODY_SCHEMA_VIOLATION', 'abi_fingerprint missing or not an object', {
        field: 'abi_fingerprint',
      });
    }
    const known = this.knownRoles.get(uid);
    if (!known) throw new Reject('UNKNOWN_ROLE', `${uid} is not in known_roles`);
    if (known.pubkey_z85 !== body.zmq_pubkey)
      throw new Reject('PUBKEY_MISMATCH', `zmq_pubkey differs from known_roles[${uid}]`);
    this.replay(uid, body);
    const c = this.channel(body.channel_name);
    const obs = this.observable(c);
    if (obs !== 'live') {
      throw new Reject('CHANNEL_NOT_READY', `channel ${c.spec.name} has no live producer`, {
        reason: obs === 'registering' ? 'awaiting_first_heartbeat' : 'heartbeat_stalled',
      });
    }
    if (body.consumer_queue_type !== undefined && body.consumer_queue_type !== c.spec.transport) {
      throw new Reject('TRANSPORT_MISMATCH', `consumer_queue_type is not ${c.spec.transport}`);
    }
    const citedId = body.expected_schema_id;
    const citesAnonymous =
      citedId === undefined && (body.expected_schema_blds !== undefined || body.expected_schema_packing !== undefined);
    if ((citedId !== undefined && citedId !== c.spec.schemaId) || (citesAnonymous && c.spec.schemaId)) {
      throw new Reject('SCHEMA_ID_MISMATCH', 'cited schema id differs from the channel');
    }
    const citedHash = body.expected_schema_hash;
    if (typeof citedHash === 'string') {
      const full = hubSchemaHash(c.spec);
      if (citedHash !== full && citedHash !== full.slice(0, 64))
        throw new Reject('SCHEMA_CITATION_REJECTED', 'cited schema hash differs');
    }
    const topology = c.spec.topology ?? 'one-to-one';
    const others = [...c.consumers.keys()].filter((u) => u !== uid);
    if (topology === 'one-to-one' && others.length >= 1) {
      throw new Reject('ONE_TO_ONE_CARDINALITY_VIOLATED', `channel ${c.spec.name} is one-to-one and has a consumer`);
    }
    if (topology === 'fan-in' && others.length >= 1) {
      throw new Reject('FAN_IN_IS_SINGLE_CONSUMER', `channel ${c.spec.name} is fan-in and has its consumer`);
    }
    const pid = isUint(body.consumer_pid) ? body.consumer_pid : 0;
    const p: Presence = {
      uid,
      pid,
      name: typeof body.role_name === 'string' ? body.role_name : (uid.split('.')[1] ?? ''),
      pubkey: body.zmq_pubkey as string,
      identity: id,
      lastSeen: Date.now(),
      heartbeats: 0,
      firstHeartbeatSeen: false,
      metrics: null,
      collectedAt: null,
    };
    if (typeof body.consumer_hostname === 'string') p.hostname = body.consumer_hostname;
    c.consumers.set(uid, p); // re-registering the same uid replaces the entry
    c.version++;
    this.pushes.push({
      to: c.producer.uid,
      msgType: 'CHANNEL_AUTH_CHANGED_NOTIFY',
      body: this.authChanged(c, p, 'admitted'),
    });
    return {
      status: 'success',
      channel_name: c.spec.name,
      message: 'Consumer registered successfully',
      data_transport: c.spec.transport,
      heartbeat: {
        heartbeat_interval_ms: this.intervalMs,
        ready_miss_heartbeats: this.readyMs / this.intervalMs,
        pending_miss_heartbeats: this.pendingMs / this.intervalMs,
      },
      broker_abi_fingerprint: { broker_proto_major: 7, broker_proto_minor: 0 },
      known_roles: [...this.knownRoles.values()].map((r) => r.pubkey_z85),
      producers: [
        {
          role_uid: c.producer.uid,
          pubkey_z85: c.producer.pubkey ?? '',
          endpoint: c.spec.endpoint ?? '',
        },
      ],
    };
  }

  private consumerDereg(id: string, body: Json): Json {
    const uid = this.roleGates(id, body, ['channel_name', 'role_uid'], ['cons', 'proc']);
    this.replay(uid, body);
    const c = this.channel(body.channel_name);
    const pid = isUint(body.consumer_pid) ? body.consumer_pid : 0;
    const p = c.consumers.get(uid);
    if (!p || p.pid !== pid) throw new Reject('NOT_REGISTERED', `no consumer ${uid} with pid ${pid} on ${c.spec.name}`);
    c.consumers.delete(uid);
    c.version++;
    this.pushes.push({
      to: c.producer.uid,
      msgType: 'CHANNEL_AUTH_CHANGED_NOTIFY',
      body: this.authChanged(c, p, 'left'),
    });
    return { status: 'success', message: 'Consumer deregistered' };
  }

  private heartbeatNotify(id: string, body: Json): void {
    const uid = this.roleGates(id, body, ['channel_name', 'role_uid', 'role_type'], ['prod', 'cons', 'proc']);
    const c = this.channel(body.channel_name);
    if (c.producer.uid !== uid && !c.consumers.has(uid))
      throw new Reject('NOT_A_ROLE_OF_CHANNEL', `${uid} is not on ${c.spec.name}`);
    if (!isUint(body.producer_pid) || body.producer_pid === 0)
      this.logged.push(`heartbeat of ${uid} with producer_pid 0`);
    const metrics = body.metrics;
    this.heartbeat(
      c.spec.name,
      uid,
      typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics) ? (metrics as Json) : undefined,
    );
  }

  private authChanged(c: Channel, p: Presence, phase: string): Json {
    return { channel_name: c.spec.name, channel_version: c.version, role_uid: p.uid, role_type: 'consumer', phase };
  }

  /** CHANNEL_CLOSING_NOTIFY to the producer (recorded) and to every consumer (sent to its routing id). */
  private closing(c: Channel, reason: string): void {
    const body = { channel_name: c.spec.name, reason };
    this.pushes.push({ to: c.producer.uid, msgType: 'CHANNEL_CLOSING_NOTIFY', body });
    for (const p of c.consumers.values()) {
      this.pushes.push({ to: p.uid, msgType: 'CHANNEL_CLOSING_NOTIFY', body });
      if (p.identity !== undefined && !this.closed)
        this.reply(Buffer.from(p.identity), 'CHANNEL_CLOSING_NOTIFY', '', body);
    }
  }

  /** Pending → removed after ready + pending ms without a heartbeat (on a timer and on each message). */
  private reap(): void {
    if (this.held) return; // a stopped hub checks nothing
    const now = Date.now();
    const limit = this.readyMs + this.pendingMs;
    for (const [name, c] of this.channels) {
      for (const [uid, p] of c.consumers) {
        if (now - p.lastSeen > limit) {
          c.consumers.delete(uid);
          this.pushes.push({
            to: c.producer.uid,
            msgType: 'CONSUMER_DIED_NOTIFY',
            body: { channel_name: name, role_uid: uid, consumer_pid: p.pid, reason: 'heartbeat_timeout' },
          });
        }
      }
      if (now - c.producer.lastSeen > limit) {
        this.closing(c, 'pending_timeout');
        this.channels.delete(name);
      }
    }
  }

  /** A fresh 32-hex nonce (tests that speak CONSUMER_REG_REQ themselves). */
  static nonce(): string {
    return randomBytes(16).toString('hex');
  }
}
