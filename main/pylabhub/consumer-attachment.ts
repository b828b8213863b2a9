// The one state-changing exchange HubScope has with a pylabhub hub, made only when the
// user asks to attach to a channel: CONSUMER_REG_REQ on a second DEALER whose routing
// id is the consumer uid (role messages need routing id == role_uid), HEARTBEAT_NOTIFY
// at the ACK's cadence while attached (the hub removes a silent consumer after its
// liveness timeouts), the hub's pushes on that DEALER (CHANNEL_CLOSING_NOTIFY ends the
// attachment) and CONSUMER_DEREG_REQ on detach, or after a lost ACK so that a seat the
// hub did register is not held for nobody. The monitor owns one of these, and tells it
// what each answered poll says about the consumers (observe): a hub that no longer
// lists HubScope's uid in two answers asked after the registration has forgotten it
// (a restart, a missed heartbeat timeout, an admin); the attachment says so and tries
// one CONSUMER_REG_REQ again, which either re-admits it or ends it with the refusal.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CurveKeyPair } from '../keys/index.js';
import { PlhHubClient, PlhRequestError, type PlhReply } from './hub-client.js';
import { replyErrorText, type HubDifferences } from './hub-replies.js';
import {
  HUBSCOPE_ABI_FINGERPRINT,
  arrayField,
  asObject,
  objectField,
  plhBodyProblems,
  strField,
  uintField,
  type JsonObject,
} from './messages.js';
import type { PylabhubAttachTarget, PylabhubAttachmentStatus, PylabhubChannel } from './monitor-types.js';

const UID_COMPONENT = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const DETACH_TIMEOUT_MS = 1000;
/** The spec's default heartbeat_interval_ms, used when the ACK names none. */
const DEFAULT_HEARTBEAT_MS = 500;
/** A floor on the ACK's interval: the hub checks liveness every ≤ 100 ms, faster helps nothing. */
const MIN_HEARTBEAT_MS = 100;
/** Answered polls in a row, asked after the registration, that must miss HubScope's uid. */
const FORGOTTEN_AFTER = 2;
/** Notes kept in an attachment's history (the oldest go first). */
const MAX_HISTORY = 20;

/** The hub's refusals of a re-registration, in words (the code follows them). */
const REFUSAL_WORDS: Record<string, string> = {
  ONE_TO_ONE_CARDINALITY_VIOLATED: 'another consumer has taken the seat (the channel is one-to-one)',
  FAN_IN_IS_SINGLE_CONSUMER: 'another consumer has taken the seat (a fan-in channel has one consumer)',
  CHANNEL_NOT_FOUND: 'the hub no longer has the channel',
  CHANNEL_NOT_READY: 'the channel has no live producer',
  UNKNOWN_ROLE: "HubScope's uid is no longer in the hub's allow-list (known_roles)",
  PUBKEY_MISMATCH: "the hub's allow-list names another key for HubScope's uid",
};

/** What the attachments need from the monitor that owns them. */
export interface AttachmentContext {
  endpoint: string;
  hubKey: string;
  ownKeys: CurveKeyPair;
  timeoutMs: number;
  differences: HubDifferences;
  /** The monitor closed: no new attachment. */
  isClosed: () => boolean;
  /** The channel's row from the last poll, for the checks made before anything is sent. */
  channel: (name: string) => PylabhubChannel | undefined;
  /** An attachment's status changed: the monitor emits a snapshot. */
  changed: () => void;
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
  /** The producer the first ACK named: the handed-over DataBlock is its. */
  producer: { uid: string | null; publicKey: string | null; endpoint: string | null };
  /** performance.now() when the (last) CONSUMER_REG_ACK arrived: polls asked before it say nothing. */
  registeredAt: number;
  /** Answered polls in a row, asked after registeredAt, that did not list the uid. */
  misses: number;
  /** Date.now() of the first of those polls. */
  firstMissAt: number | null;
}

/** HH:MM:SS, local time. */
function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** The first producer a CONSUMER_REG_ACK names. */
function producerOf(body: JsonObject): Attached['producer'] {
  const first = asObject(arrayField(body, 'producers')?.[0]);
  return {
    uid: strField(first, 'role_uid'),
    publicKey: strField(first, 'pubkey_z85'),
    endpoint: strField(first, 'endpoint'),
  };
}

/** A refused re-registration in words, with the hub's code and message. */
function refusalText(reply: PlhReply): string {
  const code = strField(reply.body, 'error_code');
  const words = code ? REFUSAL_WORDS[code] : undefined;
  return words ? `${words} (${replyErrorText(reply)})` : replyErrorText(reply);
}

/** CONSUMER_REG_REQ's body, the same for the first registration and the one after the hub forgot it. */
function registrationBody(channel: string, uid: string, publicKey: string): JsonObject {
  return {
    channel_name: channel,
    role_uid: uid,
    role_type: 'consumer',
    role_name: 'hubscope',
    data_transport: 'shm',
    zmq_pubkey: publicKey,
    abi_fingerprint: HUBSCOPE_ABI_FINGERPRINT,
    consumer_pid: process.pid,
    consumer_hostname: hostname(),
    client_nonce: randomBytes(16).toString('hex'),
    client_wall_ts: Date.now(),
  };
}

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

export class ConsumerAttachments {
  private readonly attached = new Map<string, Attached>();
  private readonly ended = new Map<string, PylabhubAttachmentStatus>();
  private readonly endListeners = new Set<(a: PylabhubAttachmentStatus) => void>();

  constructor(private readonly ctx: AttachmentContext) {}

  /** Attachments now, and the last one that ended per channel (until attached again): copies, by channel. */
  statuses(): PylabhubAttachmentStatus[] {
    return [...[...this.attached.values()].map((a) => a.status), ...this.ended.values()]
      .map((a) => ({ ...a, history: [...a.history] }))
      .sort((a, b) => a.channel.localeCompare(b.channel));
  }

  /** See PylabhubMonitor.onAttachmentEnded. */
  onEnded(listener: (a: PylabhubAttachmentStatus) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** See PylabhubMonitor.attachAsConsumer. */
  async attach(channel: string, consumerUid: string): Promise<PylabhubAttachTarget> {
    const { ctx } = this;
    if (ctx.isClosed()) throw new Error('the pylabhub monitor is closed');
    const uidProblem = consumerUidProblem(consumerUid);
    if (uidProblem) throw new Error(`cannot attach to ${channel}: ${uidProblem}`);
    const row = ctx.channel(channel);
    if (!row) throw new Error(`cannot attach to ${channel}: the hub at ${ctx.endpoint} does not list that channel`);
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
      endpoint: ctx.endpoint,
      serverKey: ctx.hubKey,
      ownKeys: ctx.ownKeys,
      routingId: consumerUid, // role messages need routing id == role_uid
      sendTimeoutMs: ctx.timeoutMs,
      log: (line) => ctx.differences.note(`attach ${channel}: ${line}`),
      onPush: (msgType, body) => this.onPush(channel, client, msgType, body),
      // The hub answers a HEARTBEAT_NOTIFY only to reject it (and then only with a
      // correlation id): an ERROR nobody waits for is about the heartbeats.
      onStray: (msgType, body) => {
        if (msgType === 'ERROR')
          this.problem(channel, client, 'hub', `the hub sent ERROR ${replyErrorText({ msgType, body, rttMs: 0 })}`);
        else ctx.differences.note(`attach ${channel}: ignored ${msgType}: it answers no open request`);
      },
    });
    let reply: PlhReply;
    try {
      reply = await client.request(
        'CONSUMER_REG_REQ',
        registrationBody(channel, consumerUid, ctx.ownKeys.publicKey),
        ctx.timeoutMs,
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
      throw new Error(`the hub refused to attach HubScope to ${channel}: ${replyErrorText(reply)}`);
    }
    if (ctx.isClosed()) {
      // close() ran while the ACK was on its way: it gave back only the seats it knew.
      await this.deregister(client, channel, consumerUid, DETACH_TIMEOUT_MS).catch(() => undefined);
      await client.close();
      throw new Error(`cannot attach to ${channel}: the pylabhub monitor closed meanwhile; the seat was given back`);
    }
    ctx.differences.checkReply('CONSUMER_REG_REQ', reply);
    const producer = producerOf(reply.body);
    const { uid: producerUid, publicKey: producerPublicKey, endpoint } = producer;
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
        forgotten: null,
        forgottenSince: null,
        history: [],
        endedReason: null,
        endedAt: null,
      },
      problemKind: null,
      timer: undefined,
      beating: false,
      producer,
      registeredAt: performance.now(),
      misses: 0,
      firstMissAt: null,
    };
    this.ended.delete(channel);
    this.attached.set(channel, a);
    // The first heartbeat at once (the hub tells the producer the consumer is live on
    // it), then at the hub's cadence until detach, close or the channel's end.
    this.beat(channel, a);
    a.timer = setInterval(() => this.beat(channel, a), intervalMs);
    ctx.changed();
    if (!producerUid || !producerPublicKey || !endpoint) {
      await this.detach(channel).catch(() => undefined);
      throw new Error(`the hub registered HubScope on ${channel} but named no producer endpoint; detached again`);
    }
    return { channel, producerUid, producerPublicKey, endpoint };
  }

  /** See PylabhubMonitor.detach. */
  async detach(channel: string): Promise<void> {
    const a = this.attached.get(channel);
    if (!a) throw new Error(`not attached to ${channel}`);
    this.attached.delete(channel);
    clearInterval(a.timer); // no heartbeat after the DEREG: it would be rejected, and says nothing
    this.ctx.changed();
    try {
      await this.deregister(a.client, channel, a.uid, Math.min(this.ctx.timeoutMs, DETACH_TIMEOUT_MS * 5)).catch(
        (err: unknown) => {
          // A hub that forgot the consumer holds no seat to give back: detached all the same.
          if (a.status.state === 'forgotten' && /NOT_REGISTERED/.test((err as Error).message)) return;
          throw err;
        },
      );
    } finally {
      await a.client.close();
    }
  }

  /**
   * The monitor is closing: no end is reported any more, and the seats the user took
   * are given back (best effort) so that others may use them.
   */
  async close(): Promise<void> {
    this.endListeners.clear();
    await Promise.all([...this.attached.keys()].map((ch) => this.detach(ch).catch(() => undefined)));
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
      throw new Error(`the hub refused to detach HubScope from ${channel}: ${replyErrorText(reply)}`);
    }
  }

  // ---------------------------------------------------------------- the hub forgetting the consumer

  /**
   * One answered poll. `askedAt`: performance.now() when its first request went out;
   * `lists(channel, uid)`: whether the answer lists `uid` among the channel's consumers
   * (null when it says nothing about them). An attachment whose uid is missing from
   * FORGOTTEN_AFTER answers in a row, all asked after its CONSUMER_REG_ACK, is
   * forgotten, and its one re-registration starts. A poll the hub did not answer is
   * never passed here: silence is not evidence.
   */
  observe(askedAt: number, lists: (channel: string, uid: string) => boolean | null): void {
    for (const [channel, a] of this.attached) {
      if (a.status.state !== 'attached' || askedAt <= a.registeredAt) continue;
      const listed = lists(channel, a.uid);
      if (listed === null) continue;
      if (listed) {
        a.misses = 0;
        a.firstMissAt = null;
        continue;
      }
      a.misses++;
      a.firstMissAt ??= Date.now();
      if (a.misses >= FORGOTTEN_AFTER) {
        // Its own failures end the attachment with why; nothing escapes into the poll loop.
        this.reregister(channel, a).catch((err: unknown) =>
          this.end(channel, a, `the hub forgot HubScope as a consumer of ${channel}: ${(err as Error).message}`),
        );
      }
    }
  }

  /**
   * The hub forgot the consumer: say so, then one CONSUMER_REG_REQ on the same
   * connection (routing id == uid), with the same body as the first. Re-admitted with
   * the same producer: attached again, with a note in the history. Refused, not
   * answered, or re-admitted with another producer (whose block is not the one handed
   * over): the attachment ends with why, as when the hub closes the channel, so the app
   * lets the DataBlock go.
   */
  private async reregister(channel: string, a: Attached): Promise<void> {
    const since = a.firstMissAt ?? Date.now();
    a.status.state = 'forgotten';
    a.status.forgottenSince = since;
    a.status.forgotten = `the hub no longer lists HubScope as a consumer of ${channel} (since ${clock(since)}); it may give the seat to another consumer`;
    this.ctx.changed();
    const forgot = `the hub forgot HubScope as a consumer of ${channel} (not listed since ${clock(since)})`;
    const current = () => this.attached.get(channel) === a && !this.ctx.isClosed();
    let reply: PlhReply;
    try {
      reply = await a.client.request(
        'CONSUMER_REG_REQ',
        registrationBody(channel, a.uid, this.ctx.ownKeys.publicKey),
        this.ctx.timeoutMs,
      );
    } catch (err) {
      if (!current()) return; // detached or closed meanwhile
      let note = '';
      if (err instanceof PlhRequestError && err.kind === 'timeout') {
        // As after a first CONSUMER_REG_REQ whose ACK was lost: a seat held for nobody helps nobody.
        note = await this.deregister(a.client, channel, a.uid, DETACH_TIMEOUT_MS).then(
          () => '; the registration the hub had made was given back',
          () => '',
        );
      }
      this.end(channel, a, `${forgot}, and its re-registration failed: ${(err as Error).message}${note}`);
      return;
    }
    if (!current()) return; // a detach's CONSUMER_DEREG_REQ follows this one on the same connection
    if (reply.msgType !== 'CONSUMER_REG_ACK') {
      this.end(channel, a, `${forgot}, and refused to register it again: ${refusalText(reply)}`);
      return;
    }
    this.ctx.differences.checkReply('CONSUMER_REG_REQ', reply);
    const p = producerOf(reply.body);
    if (p.uid !== a.producer.uid || p.publicKey !== a.producer.publicKey || p.endpoint !== a.producer.endpoint) {
      await this.deregister(a.client, channel, a.uid, DETACH_TIMEOUT_MS).catch(() => undefined);
      if (!current()) return;
      this.end(
        channel,
        a,
        `${forgot}; registered again, it names another producer (${p.uid ?? 'none'}) than the one that handed over the DataBlock (${a.producer.uid ?? 'none'}), so the seat was given back`,
      );
      return;
    }
    a.registeredAt = performance.now();
    a.misses = 0;
    a.firstMissAt = null;
    a.status.state = 'attached';
    a.status.forgotten = null;
    a.status.forgottenSince = null;
    a.status.history.push(
      `${clock(Date.now())} re-registered after the hub forgot it (not listed as a consumer since ${clock(since)})`,
    );
    if (a.status.history.length > MAX_HISTORY) a.status.history.splice(0, a.status.history.length - MAX_HISTORY);
    const intervalMs = this.heartbeatInterval(reply.body);
    if (intervalMs !== a.status.heartbeatIntervalMs) {
      clearInterval(a.timer);
      a.status.heartbeatIntervalMs = intervalMs;
      a.timer = setInterval(() => this.beat(channel, a), intervalMs);
    }
    this.beat(channel, a); // at once, as after the first registration
    this.ctx.changed();
  }

  /** The attachment ends without detach: heartbeats stop, the end is reported (the app lets the block go). */
  private end(channel: string, a: Attached, reason: string): void {
    if (this.attached.get(channel) !== a) return;
    this.attached.delete(channel);
    clearInterval(a.timer);
    a.status.state = 'ended';
    a.status.forgotten = null;
    a.status.forgottenSince = null;
    a.status.endedReason = reason.slice(0, 500);
    a.status.endedAt = Date.now();
    this.ended.set(channel, a.status);
    void a.client.close();
    this.ctx.changed();
    for (const l of [...this.endListeners]) {
      try {
        l({ ...a.status, history: [...a.status.history] });
      } catch {
        // a listener's failure is its own
      }
    }
  }

  // ---------------------------------------------------------------- attachment liveness

  /** The ACK's heartbeat_interval_ms, floored at MIN_HEARTBEAT_MS; the default when it names none. */
  private heartbeatInterval(body: JsonObject): number {
    const ms = uintField(objectField(body, 'heartbeat'), 'heartbeat_interval_ms');
    if (ms === null || ms === 0) {
      this.ctx.differences.note(
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
            this.ctx.changed();
          }
        },
        (err: unknown) => {
          if (this.attached.get(channel) !== a) return; // detached or closed meanwhile
          this.problem(
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

  private problem(channel: string, client: PlhHubClient, kind: 'send' | 'hub', text: string): void {
    const a = this.attached.get(channel);
    if (a?.client !== client) return;
    a.problemKind = kind;
    a.status.problem = text.slice(0, 400);
    this.ctx.changed();
  }

  private onPush(channel: string, client: PlhHubClient, msgType: string, body: JsonObject): void {
    const { differences } = this.ctx;
    for (const p of plhBodyProblems(msgType, body)) differences.note(p);
    if (msgType !== 'CHANNEL_CLOSING_NOTIFY') return; // broadcasts and the like: nothing to do
    const named = strField(body, 'channel_name');
    if (named !== null && named !== channel) {
      differences.note(`CHANNEL_CLOSING_NOTIFY for ${named.slice(0, 64)} on the connection attached to ${channel}`);
      return;
    }
    const a = this.attached.get(channel);
    if (a?.client !== client) return;
    // The hub closed the channel (producer gone, admin): the seat is gone with it, and
    // there is nothing to deregister.
    const reason = strField(body, 'reason') ?? 'no reason given';
    this.end(channel, a, `the hub closed ${channel} (${reason.slice(0, 64)})`);
  }
}
