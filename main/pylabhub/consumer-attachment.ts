// The one state-changing exchange HubScope has with a pylabhub hub, made only when the
// user asks to attach to a channel: CONSUMER_REG_REQ on a second DEALER whose routing
// id is the consumer uid (role messages need routing id == role_uid), HEARTBEAT_NOTIFY
// at the ACK's cadence while attached (the hub removes a silent consumer after its
// liveness timeouts), the hub's pushes on that DEALER (CHANNEL_CLOSING_NOTIFY ends the
// attachment) and CONSUMER_DEREG_REQ on detach, or after a lost ACK so that a seat the
// hub did register is not held for nobody. The monitor owns one of these.
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
      .map((a) => ({ ...a }))
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
        {
          channel_name: channel,
          role_uid: consumerUid,
          role_type: 'consumer',
          role_name: 'hubscope',
          data_transport: 'shm',
          zmq_pubkey: ctx.ownKeys.publicKey,
          abi_fingerprint: HUBSCOPE_ABI_FINGERPRINT,
          consumer_pid: process.pid,
          consumer_hostname: hostname(),
          client_nonce: randomBytes(16).toString('hex'),
          client_wall_ts: Date.now(),
        },
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
      await this.deregister(a.client, channel, a.uid, Math.min(this.ctx.timeoutMs, DETACH_TIMEOUT_MS * 5));
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
    this.attached.delete(channel);
    clearInterval(a.timer);
    a.status.state = 'ended';
    a.status.endedReason = `the hub closed ${channel} (${reason.slice(0, 64)})`;
    a.status.endedAt = Date.now();
    this.ended.set(channel, a.status);
    void client.close();
    this.ctx.changed();
    for (const l of [...this.endListeners]) {
      try {
        l({ ...a.status });
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
