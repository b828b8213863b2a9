// PylabhubMonitor: HubScope's view of one pylabhub hub (docs/pylabhub.md). A monitor
// only: it sends the hub's read-only queries (CHANNEL_LIST_REQ, METRICS_REQ, DISC_REQ,
// SCHEMA_REQ) on one DEALER, registers nothing and sends no heartbeat. The one
// state-changing exchange, CONSUMER_REG_REQ / CONSUMER_DEREG_REQ, goes out only when
// the user asks to attach to a channel (attachAsConsumer), on a second DEALER whose
// routing id is the consumer uid; while attached, that DEALER sends the consumer's
// HEARTBEAT_NOTIFY (the hub removes a silent consumer after its liveness timeouts)
// and hears the hub's pushes (CHANNEL_CLOSING_NOTIFY ends the attachment). Where the
// hub's replies differ from the spec, the hub wins: the difference is noted once in
// status.differences and the rest is used.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { keyFingerprint, type CurveKeyPair } from '../keys/index.js';
import { ALLOW_LIST_RESTART_NOTE, allowListCommand } from './allow-list-command.js';
import { PlhHubClient, PlhRequestError, type PlhReply } from './hub-client.js';
import { readHubPublicKey, readOwnKeyPair } from './key-files.js';
import {
  HUBSCOPE_ABI_FINGERPRINT,
  PLH_REPLIES,
  arrayField,
  asObject,
  objectField,
  plhBodyProblems,
  strField,
  uintField,
  type JsonObject,
  type PlhMsgType,
} from './messages.js';

export interface PylabhubHubOptions {
  endpoint: string; // e.g. tcp://127.0.0.1:5570
  hubKeyFile: string; // hub.pubkey: 40-char Z85, line 1 taken
  keyFile: string; // HubScope key file (main/keys readKeyFile format)
  routingId?: string; // default: `hubscope-monitor-<8 hex of own key fingerprint>-<pid>` unique
  pollMs?: number; // default 1000 (hub metrics change every 500 ms)
  requestTimeoutMs?: number; // default 2000
}
export interface PylabhubRole {
  uid: string;
  name: string | null;
  pid: number | null;
}
export interface PylabhubChannel {
  name: string;
  transport: 'shm' | 'zmq' | null;
  observable: string | null; // 'registering' | 'live' | 'stalled' | 'absent' | other (hub wins)
  producer: PylabhubRole | null; // first producer
  producerUids: string[];
  consumers: PylabhubRole[]; // from METRICS shm_blocks / metrics.consumers
  consumerCount: number | null;
  schemaId: string | null;
  schemaHash: string | null; // 128 hex from DISC_ACK / SCHEMA_ACK
  topology: string | null;
  slotsPerSec: number | null; // delta of role.out_slots_written between two metrics
  metricsCollectedAt: string | null;
  /** 'named' when the hub reads a named /dev/shm segment called like the channel
   *  (shm_metrics filled), 'memfd' when shm_metrics is null, null for zmq/unknown. */
  shmKind: 'named' | 'memfd' | null;
}
export type PylabhubHubState = 'connecting' | 'reachable' | 'silent' | 'unreachable';
export interface PylabhubHubStatus {
  endpoint: string;
  hubKeyFingerprint: string; // keyFingerprint(hub public key)
  ownPublicKey: string; // HubScope's public key (for the allow-list command)
  ownKeyFingerprint: string;
  routingId: string;
  state: PylabhubHubState;
  rttMs: number | null; // last CHANNEL_LIST_REQ round trip
  lastReplyAt: number | null; // Date.now() of last valid reply
  /** Human sentence a user can act on, or null when reachable. */
  problem: string | null;
  /** The exact plh_hub command the admin must run when silent, else null. */
  allowListCommand: string | null;
  roles: string[]; // uids seen (producers, consumers)
  /** Places where the hub disagreed with the spec (logged once each, work goes on). */
  differences: string[];
}
/** One channel HubScope attached to as a consumer: live, or how it ended. */
export interface PylabhubAttachmentStatus {
  channel: string;
  consumerUid: string;
  state: 'attached' | 'ended';
  /** The cadence of HEARTBEAT_NOTIFY: the ACK's heartbeat_interval_ms, at least 100. */
  heartbeatIntervalMs: number;
  heartbeatsSent: number;
  lastHeartbeatAt: number | null;
  /** The last thing that went wrong with the heartbeats (not sent; the hub sent ERROR), or null. */
  problem: string | null;
  /** Why the attachment ended (the hub closed the channel), null while attached. */
  endedReason: string | null;
  endedAt: number | null;
}
export interface PylabhubSnapshot {
  status: PylabhubHubStatus;
  channels: PylabhubChannel[];
  /** Attachments now, and the last one that ended per channel (until attached again). */
  attachments: PylabhubAttachmentStatus[];
}
/** Where a memfd channel can be attached as a consumer (H2's hand-over needs these). */
export interface PylabhubAttachTarget {
  channel: string;
  producerUid: string;
  producerPublicKey: string;
  endpoint: string /* unix://path */;
}

const ENDPOINT_RE = /^(tcp:\/\/[^\s/]+:\d{1,5}|ipc:\/\/\S+)$/;
const UID_COMPONENT = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Differences kept (each once); beyond that they are counted in the last entry only. */
const MAX_DIFFERENCES = 50;
const DETACH_TIMEOUT_MS = 1000;
/** The spec's default heartbeat_interval_ms, used when the ACK names none. */
const DEFAULT_HEARTBEAT_MS = 500;
/** A floor on the ACK's interval: the hub checks liveness every ≤ 100 ms, faster helps nothing. */
const MIN_HEARTBEAT_MS = 100;

let monitorsInProcess = 0;

/** A uid CONSUMER_REG_REQ accepts: ≥ 3 components, first `cons` or `proc` (the hub's grammar). */
function consumerUidProblem(uid: string): string | undefined {
  const parts = uid.split('.');
  if (uid.length > 256 || parts.length < 3 || !parts.every((p) => UID_COMPONENT.test(p))) {
    return `"${uid}" is not a role uid (at least three dot-separated parts, each a letter followed by letters, digits, _ or -)`;
  }
  if (parts[0] !== 'cons' && parts[0] !== 'proc')
    return `"${uid}" must start with cons. (or proc.) to register as a consumer`;
  return undefined;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, no zone) → ms since epoch with the µs as fraction, or null. */
export function parseCollectedAt(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '0'] = m;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(whole) ? null : whole + Number(`0.${frac}`) * 1000;
}

interface ChannelCache {
  producerUid: string | null;
  transport: 'shm' | 'zmq' | null;
  schemaHash: string | null;
  consumerCount: number | null;
  topology: string | null;
  /** DISC_ACK answered: no need to ask again until the producer changes. */
  discovered: boolean;
  schemaAsked: boolean;
}

interface RateState {
  producerUid: string;
  collectedAt: string;
  atMs: number;
  count: number;
  rate: number | null;
}

interface Attached {
  client: PlhHubClient;
  uid: string;
  status: PylabhubAttachmentStatus;
  /** 'send' problems clear on the next heartbeat that goes out; the hub's ERRORs stay. */
  problemKind: 'send' | 'hub' | null;
  timer: NodeJS.Timeout | undefined;
  /** A heartbeat is waiting for zeromq: the next tick skips instead of queueing behind it. */
  beating: boolean;
}

/**
 * The consumer's HEARTBEAT_NOTIFY body. The pid: the spec's HEARTBEAT_NOTIFY row names
 * `producer_pid` ("own pid"; the hub logs a heartbeat whose value is 0) for every
 * sender, while the consumer's own REG/DEREG bodies call it `consumer_pid`. The
 * heartbeat row is the one describing this message, so `producer_pid` carries the own
 * pid; `consumer_pid` goes along with the same value because the hub ignores unknown
 * body keys (§2), which covers a hub that reads the consumer's name for it.
 */
function heartbeatBody(channel: string, uid: string): JsonObject {
  return {
    channel_name: channel,
    role_uid: uid,
    role_type: 'consumer',
    producer_pid: process.pid,
    consumer_pid: process.pid,
  };
}

export class PylabhubMonitor {
  private readonly endpoint: string;
  private readonly hubKey: string;
  private readonly ownKeys: CurveKeyPair;
  private readonly routingId: string;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly client: PlhHubClient;
  private readonly listeners = new Set<(s: PylabhubSnapshot) => void>();
  private readonly differences: string[] = [];
  private readonly differenceSet = new Set<string>();
  private readonly cache = new Map<string, ChannelCache>();
  private readonly rates = new Map<string, RateState>();
  private readonly attached = new Map<string, Attached>();
  private readonly ended = new Map<string, PylabhubAttachmentStatus>();
  private readonly endListeners = new Set<(a: PylabhubAttachmentStatus) => void>();
  private state: PylabhubHubState = 'connecting';
  private problem: string | null = null;
  private rttMs: number | null = null;
  private lastReplyAt: number | null = null;
  private channels: PylabhubChannel[] = [];
  private lastEmitted = '';
  private polling: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(options: PylabhubHubOptions) {
    if (!ENDPOINT_RE.test(options.endpoint)) {
      throw new Error(`pylabhub hub endpoint must be tcp://host:port or ipc://path; got "${options.endpoint}"`);
    }
    this.endpoint = options.endpoint;
    this.hubKey = readHubPublicKey(options.hubKeyFile);
    this.ownKeys = readOwnKeyPair(options.keyFile);
    this.pollMs = Math.max(100, options.pollMs ?? 1000);
    this.timeoutMs = Math.max(50, options.requestTimeoutMs ?? 2000);
    monitorsInProcess++;
    // Unique per process and per monitor: a second connection reusing a connected id gets no replies.
    const fp8 = keyFingerprint(this.ownKeys.publicKey).replace(/-/g, '').slice(0, 8);
    this.routingId =
      options.routingId ??
      `hubscope-monitor-${fp8}-${process.pid}${monitorsInProcess > 1 ? `-${monitorsInProcess}` : ''}`;
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(this.routingId)) {
      throw new Error(
        `routing id "${this.routingId}" is not 1..128 characters of [A-Za-z0-9._-] (the hub's admission rule)`,
      );
    }
    this.client = new PlhHubClient({
      endpoint: this.endpoint,
      serverKey: this.hubKey,
      ownKeys: this.ownKeys,
      routingId: this.routingId,
      sendTimeoutMs: this.timeoutMs,
      log: (line) => this.noteDifference(line),
    });
    try {
      this.client.connect();
    } catch (err) {
      void this.client.close();
      throw new Error(`cannot connect to ${this.endpoint}: ${(err as Error).message}`);
    }
  }

  /** Begins polling every pollMs; never throws. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const loop = () => {
      if (this.closed) return;
      void this.refresh().finally(() => {
        if (!this.closed) this.timer = setTimeout(loop, this.pollMs);
      });
    };
    loop();
  }

  /**
   * One full poll (list, metrics, discovery of new channels) and the snapshot after it.
   * Polls never overlap: a call during a poll waits for it and then runs its own.
   */
  refresh(): Promise<PylabhubSnapshot> {
    const run = this.polling.then(() => (this.closed ? undefined : this.pollOnce()));
    this.polling = run.catch(() => undefined);
    return run.then(
      () => this.snapshot(),
      (err: unknown) => {
        this.noteDifference(`poll failed: ${(err as Error).message}`);
        return this.snapshot();
      },
    );
  }

  snapshot(): PylabhubSnapshot {
    const roles = new Set<string>();
    for (const c of this.channels) {
      for (const u of c.producerUids) roles.add(u);
      for (const r of c.consumers) roles.add(r.uid);
    }
    return {
      status: {
        endpoint: this.endpoint,
        hubKeyFingerprint: keyFingerprint(this.hubKey),
        ownPublicKey: this.ownKeys.publicKey,
        ownKeyFingerprint: keyFingerprint(this.ownKeys.publicKey),
        routingId: this.routingId,
        state: this.state,
        rttMs: this.rttMs,
        lastReplyAt: this.lastReplyAt,
        problem: this.problem,
        allowListCommand: this.state === 'silent' ? allowListCommand(this.ownKeys.publicKey) : null,
        roles: [...roles].sort(),
        differences: [...this.differences],
      },
      channels: this.channels.map((c) => ({
        ...c,
        producer: c.producer ? { ...c.producer } : null,
        producerUids: [...c.producerUids],
        consumers: c.consumers.map((r) => ({ ...r })),
      })),
      attachments: [...[...this.attached.values()].map((a) => a.status), ...this.ended.values()]
        .map((a) => ({ ...a }))
        .sort((a, b) => a.channel.localeCompare(b.channel)),
    };
  }

  onChange(listener: (s: PylabhubSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called when an attachment ends without detach: the hub closed the channel
   * (CHANNEL_CLOSING_NOTIFY). The seat is gone; whoever holds the handed-over
   * DataBlock should let it go.
   */
  onAttachmentEnded(listener: (a: PylabhubAttachmentStatus) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /**
   * Registers `consumerUid` (with HubScope's key) as a consumer of `channel`, only
   * because the user asked: it takes a consumer seat. Refused here, before anything is
   * sent, for a one-to-one channel that has a consumer already (the default topology
   * when the hub does not say), for a channel that is not shm and for a bad uid.
   */
  async attachAsConsumer(channel: string, consumerUid: string): Promise<PylabhubAttachTarget> {
    if (this.closed) throw new Error('the pylabhub monitor is closed');
    const uidProblem = consumerUidProblem(consumerUid);
    if (uidProblem) throw new Error(`cannot attach to ${channel}: ${uidProblem}`);
    const row = this.channels.find((c) => c.name === channel);
    if (!row) throw new Error(`cannot attach to ${channel}: the hub at ${this.endpoint} does not list that channel`);
    if (row.transport !== 'shm') {
      throw new Error(
        `cannot attach to ${channel}: it is a ${row.transport ?? 'transport-unknown'} channel; attaching hands over shared memory (shm channels only)`,
      );
    }
    const topology = row.topology ?? 'one-to-one';
    const count = row.consumerCount ?? row.consumers.length;
    if (topology === 'one-to-one' && count >= 1) {
      throw new Error(
        `cannot attach to ${channel}: it is a one-to-one channel${row.topology === null ? ' (the hub does not say its topology; one-to-one is the default)' : ''} and has ${count} consumer already; the hub admits only one, and HubScope will not take or contend for that seat`,
      );
    }
    if (this.attached.has(channel)) throw new Error(`already attached to ${channel}; detach first`);
    const client = new PlhHubClient({
      endpoint: this.endpoint,
      serverKey: this.hubKey,
      ownKeys: this.ownKeys,
      routingId: consumerUid, // role messages need routing id == role_uid
      sendTimeoutMs: this.timeoutMs,
      log: (line) => this.noteDifference(`attach ${channel}: ${line}`),
      onPush: (msgType, body) => this.onAttachPush(channel, client, msgType, body),
      // The hub answers a HEARTBEAT_NOTIFY only to reject it (and then only with a
      // correlation id): an ERROR nobody waits for is about the heartbeats.
      onStray: (msgType, body) => {
        if (msgType === 'ERROR')
          this.attachProblem(
            channel,
            client,
            'hub',
            `the hub sent ERROR ${this.errorText({ msgType, body, rttMs: 0 })}`,
          );
        else this.noteDifference(`attach ${channel}: ignored ${msgType}: it answers no open request`);
      },
    });
    let reply: PlhReply;
    try {
      reply = await client.request(
        'CONSUMER_REG_REQ',
        {
          channel_name: channel,
          role_uid: consumerUid,
          role_type: 'consumer',
          role_name: 'hubscope',
          data_transport: 'shm',
          zmq_pubkey: this.ownKeys.publicKey,
          abi_fingerprint: HUBSCOPE_ABI_FINGERPRINT,
          consumer_pid: process.pid,
          consumer_hostname: hostname(),
          client_nonce: randomBytes(16).toString('hex'),
          client_wall_ts: Date.now(),
        },
        this.timeoutMs,
      );
    } catch (err) {
      let note = '';
      if (err instanceof PlhRequestError && err.kind === 'timeout') {
        // The request went out; the hub may have registered the consumer and only the
        // ACK was lost. Give the seat back, best effort, so it is not held for nobody.
        note = await this.deregister(client, channel, consumerUid, DETACH_TIMEOUT_MS).then(
          () => '; the registration the hub had made was given back (CONSUMER_DEREG_REQ)',
          (e: unknown) =>
            /NOT_REGISTERED/.test((e as Error).message)
              ? '; the hub holds no registration for it (CONSUMER_DEREG_REQ: NOT_REGISTERED)'
              : '; a CONSUMER_DEREG_REQ was sent in case the hub registered it, unanswered',
        );
      }
      await client.close();
      throw new Error(`cannot attach to ${channel}: ${(err as Error).message}${note}`);
    }
    if (reply.msgType !== 'CONSUMER_REG_ACK') {
      await client.close();
      throw new Error(`the hub refused to attach HubScope to ${channel}: ${this.errorText(reply)}`);
    }
    if (this.closed) {
      // close() ran while the ACK was on its way: it gave back only the seats it knew.
      await this.deregister(client, channel, consumerUid, DETACH_TIMEOUT_MS).catch(() => undefined);
      await client.close();
      throw new Error(`cannot attach to ${channel}: the pylabhub monitor closed meanwhile; the seat was given back`);
    }
    this.checkReply('CONSUMER_REG_REQ', reply);
    const first = asObject(arrayField(reply.body, 'producers')?.[0]);
    const producerUid = strField(first, 'role_uid');
    const producerPublicKey = strField(first, 'pubkey_z85');
    const endpoint = strField(first, 'endpoint');
    const intervalMs = this.heartbeatInterval(reply.body);
    const a: Attached = {
      client,
      uid: consumerUid,
      status: {
        channel,
        consumerUid,
        state: 'attached',
        heartbeatIntervalMs: intervalMs,
        heartbeatsSent: 0,
        lastHeartbeatAt: null,
        problem: null,
        endedReason: null,
        endedAt: null,
      },
      problemKind: null,
      timer: undefined,
      beating: false,
    };
    this.ended.delete(channel);
    this.attached.set(channel, a);
    // The first heartbeat at once (the hub tells the producer the consumer is live on
    // it), then at the hub's cadence until detach, close or the channel's end.
    this.beat(channel, a);
    a.timer = setInterval(() => this.beat(channel, a), intervalMs);
    this.emit();
    if (!producerUid || !producerPublicKey || !endpoint) {
      await this.detach(channel).catch(() => undefined);
      throw new Error(`the hub registered HubScope on ${channel} but named no producer endpoint; detached again`);
    }
    return { channel, producerUid, producerPublicKey, endpoint };
  }

  /** Gives the consumer seat taken by attachAsConsumer back (CONSUMER_DEREG_REQ). */
  async detach(channel: string): Promise<void> {
    const a = this.attached.get(channel);
    if (!a) throw new Error(`not attached to ${channel}`);
    this.attached.delete(channel);
    clearInterval(a.timer); // no heartbeat after the DEREG: it would be rejected, and says nothing
    this.emit();
    try {
      await this.deregister(a.client, channel, a.uid, Math.min(this.timeoutMs, DETACH_TIMEOUT_MS * 5));
    } finally {
      await a.client.close();
    }
  }

  private async deregister(client: PlhHubClient, channel: string, uid: string, timeoutMs: number): Promise<void> {
    const reply = await client.request(
      'CONSUMER_DEREG_REQ',
      {
        channel_name: channel,
        role_uid: uid,
        consumer_pid: process.pid, // the same value as in CONSUMER_REG_REQ
        client_nonce: randomBytes(16).toString('hex'),
        client_wall_ts: Date.now(),
      },
      timeoutMs,
    );
    if (reply.msgType !== 'CONSUMER_DEREG_ACK') {
      throw new Error(`the hub refused to detach HubScope from ${channel}: ${this.errorText(reply)}`);
    }
  }

  // ---------------------------------------------------------------- attachment liveness

  /** The ACK's heartbeat_interval_ms, floored at MIN_HEARTBEAT_MS; the default when it names none. */
  private heartbeatInterval(body: JsonObject): number {
    const ms = uintField(objectField(body, 'heartbeat'), 'heartbeat_interval_ms');
    if (ms === null || ms === 0) {
      this.noteDifference(
        `CONSUMER_REG_ACK names no heartbeat.heartbeat_interval_ms; heartbeats every ${DEFAULT_HEARTBEAT_MS} ms`,
      );
      return DEFAULT_HEARTBEAT_MS;
    }
    return Math.max(MIN_HEARTBEAT_MS, ms);
  }

  private beat(channel: string, a: Attached): void {
    if (a.beating || this.attached.get(channel) !== a) return;
    a.beating = true;
    a.client
      .notify('HEARTBEAT_NOTIFY', heartbeatBody(channel, a.uid))
      .then(
        () => {
          a.status.heartbeatsSent++;
          a.status.lastHeartbeatAt = Date.now();
          if (a.problemKind === 'send') {
            a.problemKind = null;
            a.status.problem = null;
            this.emit();
          }
        },
        (err: unknown) => {
          if (this.attached.get(channel) !== a) return; // detached or closed meanwhile
          this.attachProblem(
            channel,
            a.client,
            'send',
            `a heartbeat was not sent (${(err as Error).message}); the hub drops a consumer whose heartbeats stop`,
          );
        },
      )
      .finally(() => {
        a.beating = false;
      });
  }

  private attachProblem(channel: string, client: PlhHubClient, kind: 'send' | 'hub', text: string): void {
    const a = this.attached.get(channel);
    if (a?.client !== client) return;
    a.problemKind = kind;
    a.status.problem = text.slice(0, 400);
    this.emit();
  }

  private onAttachPush(channel: string, client: PlhHubClient, msgType: string, body: JsonObject): void {
    for (const p of plhBodyProblems(msgType, body)) this.noteDifference(p);
    if (msgType !== 'CHANNEL_CLOSING_NOTIFY') return; // broadcasts and the like: nothing to do
    const named = strField(body, 'channel_name');
    if (named !== null && named !== channel) {
      this.noteDifference(`CHANNEL_CLOSING_NOTIFY for ${named.slice(0, 64)} on the connection attached to ${channel}`);
      return;
    }
    const a = this.attached.get(channel);
    if (a?.client !== client) return;
    // The hub closed the channel (producer gone, admin): the seat is gone with it, and
    // there is nothing to deregister.
    const reason = strField(body, 'reason') ?? 'no reason given';
    this.attached.delete(channel);
    clearInterval(a.timer);
    a.status.state = 'ended';
    a.status.endedReason = `the hub closed ${channel} (${reason.slice(0, 64)})`;
    a.status.endedAt = Date.now();
    this.ended.set(channel, a.status);
    void client.close();
    this.emit();
    for (const l of [...this.endListeners]) {
      try {
        l({ ...a.status });
      } catch {
        // a listener's failure is its own
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.listeners.clear();
    this.endListeners.clear();
    // Seats the user took are given back (best effort) so that others may use them.
    await Promise.all([...this.attached.keys()].map((ch) => this.detach(ch).catch(() => undefined)));
    // Closing the connection first ends a poll waiting for a reply at once.
    await this.client.close();
    await this.polling;
  }

  // ---------------------------------------------------------------- polling

  private async pollOnce(): Promise<void> {
    let list: PlhReply;
    try {
      list = await this.client.request('CHANNEL_LIST_REQ', {}, this.timeoutMs);
    } catch (err) {
      if (this.closed) return;
      this.noAnswer(err);
      this.emit();
      return;
    }
    this.rttMs = Math.round(list.rttMs * 100) / 100;
    this.gotReply();
    if (list.msgType !== 'CHANNEL_LIST_ACK') {
      this.noteDifference(`CHANNEL_LIST_REQ answered with ${list.msgType}: ${this.errorText(list)}`);
      this.emit();
      return;
    }
    this.checkReply('CHANNEL_LIST_REQ', list);
    const entries = this.readList(list.body);

    let metrics: JsonObject | null = null;
    try {
      const m = await this.client.request('METRICS_REQ', {}, this.timeoutMs);
      this.gotReply();
      if (m.msgType === 'METRICS_ACK') {
        this.checkReply('METRICS_REQ', m);
        metrics = m.body;
      } else this.noteDifference(`METRICS_REQ answered with ${m.msgType}: ${this.errorText(m)}`);
    } catch (err) {
      this.noteDifference(`METRICS_REQ: ${(err as Error).message}`);
    }

    for (const e of entries) await this.discover(e.name, e.producerUid);
    for (const name of [...this.cache.keys()]) if (!entries.some((e) => e.name === name)) this.cache.delete(name);
    for (const name of [...this.rates.keys()]) if (!entries.some((e) => e.name === name)) this.rates.delete(name);

    this.channels = entries.map((e) => this.buildRow(e, metrics));
    this.emit();
  }

  private gotReply(): void {
    this.state = 'reachable';
    this.problem = null;
    this.lastReplyAt = Date.now();
  }

  /** A request got no reply: decide between silent and unreachable from what the socket saw. */
  private noAnswer(err: unknown): void {
    const why = err instanceof PlhRequestError ? err.message : String(err);
    const seen = this.client.observation;
    const fp = keyFingerprint(this.ownKeys.publicKey);
    this.rttMs = null;
    // No connection now and none made since the last reply: nothing accepts connections
    // (never did, or the hub went away). A connection that answers nothing is silence.
    // "Unreachable" needs evidence (a refused attempt, or the connection that answered
    // dropped): the socket's events arrive asynchronously, and on a loaded machine a
    // request can time out before the event of a connection that was made.
    if (!seen.tcpConnected && seen.connectsSinceReply === 0 && !seen.everReplied && seen.retriesSinceConnect === 0) {
      this.state = 'connecting';
      this.problem = `no answer from the pylabhub hub at ${this.endpoint} yet, and no connection attempt has been refused or made so far (${why}); still trying`;
      return;
    }
    if (!seen.tcpConnected && seen.connectsSinceReply === 0) {
      this.state = 'unreachable';
      this.problem = seen.everReplied
        ? `the pylabhub hub at ${this.endpoint} is gone: the connection closed and ${why} (last reply ${this.lastReplyAt ? new Date(this.lastReplyAt).toISOString() : 'never'}); is the hub still running?`
        : `the pylabhub hub at ${this.endpoint} is unreachable: nothing accepts TCP connections there (${why}); check the endpoint (the hub.json network.broker_endpoint) and that the hub runs`;
      return;
    }
    this.state = 'silent';
    const observed = seen.authRefused
      ? "The hub's authentication refused this key during the handshake."
      : seen.everHandshake
        ? 'The CURVE handshake completed, so the keys were accepted, but no valid reply came (is this the broker port, not the admin port?).'
        : seen.handshakeFailures > 0
          ? 'The CURVE handshake never completed.'
          : 'The TCP connection is up but the handshake has not completed.';
    this.problem =
      `the pylabhub hub at ${this.endpoint} is silent: it accepts connections but ${seen.everReplied ? 'stopped answering' : 'has answered nothing'} (${why}). ` +
      `The likely cause is that HubScope's key (fingerprint ${fp}) is not on the hub's allow-list; ` +
      `or the hub key file does not hold this hub's key (fingerprint ${keyFingerprint(this.hubKey)}): the hub is silent for both. ${observed} ` +
      `Ask the hub's admin to run: ${allowListCommand(this.ownKeys.publicKey)} ${ALLOW_LIST_RESTART_NOTE}`;
  }

  private readList(body: JsonObject): Array<{ name: string; producerUid: string | null; entry: JsonObject }> {
    const channels = arrayField(body, 'channels');
    if (!channels) {
      this.noteDifference('CHANNEL_LIST_ACK has no channels array; no channel listed');
      return [];
    }
    const out: Array<{ name: string; producerUid: string | null; entry: JsonObject }> = [];
    const names = new Set<string>();
    for (const item of channels) {
      const entry = asObject(item);
      const name = strField(entry, 'name');
      if (!entry || !name || names.has(name)) {
        this.noteDifference('CHANNEL_LIST_ACK lists an entry without a (unique) name string; skipped');
        continue;
      }
      names.add(name);
      const uids = (arrayField(entry, 'producer_uids') ?? []).filter((u): u is string => typeof u === 'string');
      out.push({ name, producerUid: strField(entry, 'producer_uid') ?? uids[0] ?? null, entry });
    }
    return out;
  }

  /** DISC_REQ + SCHEMA_REQ for a channel not discovered yet, or whose producer changed. */
  private async discover(name: string, producerUid: string | null): Promise<void> {
    let c = this.cache.get(name);
    if (c && c.producerUid !== producerUid) {
      this.cache.delete(name);
      c = undefined;
    }
    if (!c) {
      c = {
        producerUid,
        transport: null,
        schemaHash: null,
        consumerCount: null,
        topology: null,
        discovered: false,
        schemaAsked: false,
      };
      this.cache.set(name, c);
    }
    if (!c.discovered) {
      try {
        const r = await this.client.request('DISC_REQ', { channel_name: name }, this.timeoutMs);
        this.gotReply();
        if (r.msgType === 'DISC_ACK') {
          this.checkReply('DISC_REQ', r);
          c.discovered = true;
          c.transport = this.transportOf(strField(r.body, 'data_transport'), name);
          c.schemaHash = this.hashOf(r.body, 'DISC_ACK');
          c.consumerCount = uintField(r.body, 'consumer_count');
          c.topology = strField(r.body, 'channel_topology');
        } else if (r.msgType !== 'DISC_PENDING') {
          // e.g. ERROR CHANNEL_NOT_FOUND when the channel went away between list and query.
          this.noteDifference(`DISC_REQ ${name} answered with ${r.msgType}: ${this.errorText(r)}`);
        }
      } catch (err) {
        this.noteDifference(`DISC_REQ ${name}: ${(err as Error).message}`);
      }
    }
    if (c.discovered && !c.schemaAsked) {
      try {
        const r = await this.client.request('SCHEMA_REQ', { channel_name: name }, this.timeoutMs);
        this.gotReply();
        c.schemaAsked = true;
        if (r.msgType === 'SCHEMA_ACK') {
          this.checkReply('SCHEMA_REQ', r);
          c.schemaHash ??= this.hashOf(r.body, 'SCHEMA_ACK');
        }
        // ERROR (e.g. SCHEMA_UNKNOWN) for an anonymous channel: nothing to add.
      } catch (err) {
        this.noteDifference(`SCHEMA_REQ ${name}: ${(err as Error).message}`);
      }
    }
  }

  private transportOf(text: string | null, channel: string): 'shm' | 'zmq' | null {
    if (text === 'shm' || text === 'zmq' || text === null) return text;
    this.noteDifference(`channel ${channel}: data_transport "${text.slice(0, 32)}" is neither shm nor zmq`);
    return null;
  }

  private hashOf(body: JsonObject, what: string): string | null {
    const h = strField(body, 'schema_hash');
    if (h === null) return null;
    if (/^[0-9a-f]{128}$/.test(h)) return h;
    if (/^[0-9a-fA-F]+$/.test(h)) {
      this.noteDifference(`${what} schema_hash has ${h.length} hex digits, not 128; used as given`);
      return h.toLowerCase();
    }
    return null;
  }

  private buildRow(
    e: { name: string; producerUid: string | null; entry: JsonObject },
    metrics: JsonObject | null,
  ): PylabhubChannel {
    const c = this.cache.get(e.name);
    const uids = (arrayField(e.entry, 'producer_uids') ?? []).filter((u): u is string => typeof u === 'string');
    if (e.producerUid && !uids.includes(e.producerUid)) uids.unshift(e.producerUid);
    const observable = strField(e.entry, 'observable');
    const block = this.shmBlockOf(metrics, e.name);
    const channelMetrics = objectField(objectField(metrics, 'channels'), e.name);
    const producerMetrics = e.producerUid ? objectField(objectField(channelMetrics, 'producers'), e.producerUid) : null;
    const blockProducer = objectField(block, 'producer');

    let producer: PylabhubRole | null = null;
    if (e.producerUid) {
      const sameBlockProducer = strField(blockProducer, 'uid') === e.producerUid;
      producer = {
        uid: e.producerUid,
        name: sameBlockProducer ? strField(blockProducer, 'name') : null,
        pid:
          uintField(e.entry, 'producer_pid') ??
          uintField(producerMetrics, 'pid') ??
          (sameBlockProducer ? uintField(blockProducer, 'pid') : null),
      };
    }

    const consumers = new Map<string, PylabhubRole>();
    for (const item of arrayField(block, 'consumers') ?? []) {
      const o = asObject(item);
      const uid = strField(o, 'uid');
      if (uid) consumers.set(uid, { uid, name: strField(o, 'name'), pid: uintField(o, 'pid') });
    }
    for (const uid of Object.keys(objectField(channelMetrics, 'consumers') ?? {})) {
      if (!consumers.has(uid)) consumers.set(uid, { uid, name: null, pid: null });
    }

    let transport = c?.transport ?? null;
    if (transport === null && block) transport = 'shm';
    let shmKind: PylabhubChannel['shmKind'] = null;
    if (block && 'shm_metrics' in block) shmKind = block.shm_metrics === null ? 'memfd' : 'named';

    const collectedAt = strField(producerMetrics, '_collected_at');
    const written = uintField(objectField(producerMetrics, 'role'), 'out_slots_written');
    const rate = this.rateOf(e.name, e.producerUid, collectedAt, written, observable);

    return {
      name: e.name,
      transport,
      observable,
      producer,
      producerUids: uids,
      consumers: [...consumers.values()].sort((a, b) => a.uid.localeCompare(b.uid)),
      consumerCount: uintField(e.entry, 'consumer_count') ?? c?.consumerCount ?? null,
      schemaId: strField(e.entry, 'schema_id') || null, // "" = anonymous
      schemaHash: c?.schemaHash ?? null,
      topology: strField(e.entry, 'channel_topology') ?? c?.topology ?? null,
      slotsPerSec: rate,
      metricsCollectedAt: collectedAt,
      shmKind,
    };
  }

  private shmBlockOf(metrics: JsonObject | null, channel: string): JsonObject | null {
    const blocks = arrayField(objectField(metrics, 'shm_blocks'), 'blocks') ?? [];
    for (const b of blocks) {
      const o = asObject(b);
      if (strField(o, 'channel') === channel) return o;
    }
    return null;
  }

  /**
   * Slots per second from two metrics of the same producer with different
   * `_collected_at` (the hub computes no rates; metrics change only on a heartbeat).
   * Null until two samples exist, after a counter reset, and while the channel is not live.
   */
  private rateOf(
    channel: string,
    producerUid: string | null,
    collectedAt: string | null,
    count: number | null,
    observable: string | null,
  ): number | null {
    const atMs = collectedAt === null ? null : parseCollectedAt(collectedAt);
    if (producerUid === null || collectedAt === null || atMs === null || count === null) {
      if (collectedAt !== null && atMs === null) {
        this.noteDifference(`metrics _collected_at "${collectedAt.slice(0, 40)}" is not YYYY-MM-DD HH:MM:SS.ffffff`);
      }
      this.rates.delete(channel);
      return null;
    }
    const prev = this.rates.get(channel);
    if (!prev || prev.producerUid !== producerUid) {
      this.rates.set(channel, { producerUid, collectedAt, atMs, count, rate: null });
      return null;
    }
    if (prev.collectedAt !== collectedAt) {
      const dt = (atMs - prev.atMs) / 1000;
      prev.rate = dt > 0 && count >= prev.count ? (count - prev.count) / dt : null;
      prev.collectedAt = collectedAt;
      prev.atMs = atMs;
      prev.count = count;
    }
    return observable === null || observable === 'live' ? prev.rate : null;
  }

  private checkReply(request: PlhMsgType, reply: PlhReply): void {
    const expected = PLH_REPLIES[request] ?? [];
    if (!expected.includes(reply.msgType as PlhMsgType)) {
      this.noteDifference(`${request} answered with ${reply.msgType}, expected ${expected.join(' or ')}`);
      return;
    }
    for (const p of plhBodyProblems(reply.msgType, reply.body)) this.noteDifference(p);
  }

  private errorText(reply: PlhReply): string {
    const code = strField(reply.body, 'error_code');
    const message = strField(reply.body, 'message');
    const reason = strField(reply.body, 'reason');
    const parts = [code ?? reply.msgType, message, reason ? `reason ${reason}` : null].filter(Boolean);
    return parts.join(': ').slice(0, 300);
  }

  private noteDifference(text: string): void {
    if (this.differenceSet.has(text)) return;
    this.differenceSet.add(text);
    if (this.differences.length < MAX_DIFFERENCES) this.differences.push(text);
  }

  private emit(): void {
    if (this.listeners.size === 0) return;
    const snap = this.snapshot();
    // lastReplyAt moves on every poll and the round trip by fractions: compared in whole ms.
    const rtt = snap.status.rttMs === null ? null : Math.round(snap.status.rttMs);
    // So do the heartbeat counters: a snapshot per heartbeat would tell listeners nothing.
    const key = JSON.stringify({
      ...snap,
      status: { ...snap.status, rttMs: rtt, lastReplyAt: null },
      attachments: snap.attachments.map((a) => ({ ...a, heartbeatsSent: 0, lastHeartbeatAt: null })),
    });
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    for (const l of [...this.listeners]) {
      try {
        l(snap);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
