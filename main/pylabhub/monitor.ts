// PylabhubMonitor: HubScope's view of one pylabhub hub (docs/pylabhub.md). A monitor
// only: it sends the hub's read-only queries (CHANNEL_LIST_REQ, METRICS_REQ, DISC_REQ,
// SCHEMA_REQ) on one DEALER, registers nothing and sends no heartbeat. The one
// state-changing exchange, attaching as a consumer, goes out only when the user asks
// (attachAsConsumer), on a second DEALER (consumer-attachment.ts). Where the hub's
// replies differ from the spec, the hub wins: the difference is noted once in
// status.differences and the rest is used (hub-replies.ts). This file owns the poll,
// the DISC/SCHEMA cache, the snapshot and its listeners; the rows are built in
// channel-rows.ts, the rates in slot-rates.ts, and why the hub does not answer is
// decided in reachability.ts.
import { keyFingerprint, type CurveKeyPair } from '../keys/index.js';
import { allowListCommand } from './allow-list-command.js';
import {
  buildChannelRow,
  hashOf,
  readChannelList,
  transportOf,
  type ChannelCache,
  type ListedChannel,
} from './channel-rows.js';
import { ConsumerAttachments } from './consumer-attachment.js';
import { PlhHubClient, type PlhReply } from './hub-client.js';
import { HubDifferences, replyErrorText } from './hub-replies.js';
import { readHubPublicKey, readOwnKeyPair } from './key-files.js';
import { arrayField, asObject, objectField, strField, uintField, type JsonObject } from './messages.js';
import type {
  PylabhubAttachTarget,
  PylabhubAttachmentStatus,
  PylabhubChannel,
  PylabhubHubOptions,
  PylabhubHubState,
  PylabhubSnapshot,
} from './monitor-types.js';
import { judgeNoAnswer } from './reachability.js';
import { SlotRates } from './slot-rates.js';

// The public surface stays here: callers import everything from './monitor.js'.
export type {
  PylabhubAttachTarget,
  PylabhubAttachmentStatus,
  PylabhubChannel,
  PylabhubHubOptions,
  PylabhubHubState,
  PylabhubHubStatus,
  PylabhubRole,
  PylabhubSnapshot,
} from './monitor-types.js';
export { parseCollectedAt } from './slot-rates.js';

/**
 * Whether an answered poll lists `uid` as a consumer of `channel`: false when the
 * channel list does not name the channel (the hub holds no consumer of it) or counts 0
 * consumers; else the METRICS_ACK's shm block of the channel, which names its consumers
 * (true also when the channel's metrics name the uid); null when neither says (no
 * metrics answer, or no block for the channel).
 */
function listsConsumer(
  entries: ListedChannel[],
  metrics: JsonObject | null,
  channel: string,
  uid: string,
): boolean | null {
  const entry = entries.find((e) => e.name === channel);
  if (!entry) return false;
  const metricsConsumers = objectField(objectField(objectField(metrics, 'channels'), channel), 'consumers');
  if (metricsConsumers && uid in metricsConsumers) return true;
  for (const b of arrayField(objectField(metrics, 'shm_blocks'), 'blocks') ?? []) {
    const block = asObject(b);
    if (strField(block, 'channel') !== channel) continue;
    const consumers = arrayField(block, 'consumers');
    if (consumers) return consumers.some((c) => strField(asObject(c), 'uid') === uid);
  }
  return uintField(entry.entry, 'consumer_count') === 0 ? false : null;
}

const ENDPOINT_RE = /^(tcp:\/\/[^\s/]+:\d{1,5}|ipc:\/\/\S+)$/;

let monitorsInProcess = 0;

export class PylabhubMonitor {
  private readonly endpoint: string;
  private readonly hubKey: string;
  private readonly ownKeys: CurveKeyPair;
  private readonly routingId: string;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly client: PlhHubClient;
  private readonly listeners = new Set<(s: PylabhubSnapshot) => void>();
  private readonly differences = new HubDifferences();
  private readonly cache = new Map<string, ChannelCache>();
  private readonly rates = new SlotRates((text) => this.noteDifference(text));
  private readonly attachments: ConsumerAttachments;
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
    this.attachments = new ConsumerAttachments({
      endpoint: this.endpoint,
      hubKey: this.hubKey,
      ownKeys: this.ownKeys,
      timeoutMs: this.timeoutMs,
      differences: this.differences,
      isClosed: () => this.closed,
      channel: (name) => this.channels.find((c) => c.name === name),
      changed: () => this.emit(),
    });
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
        differences: this.differences.all(),
      },
      channels: this.channels.map((c) => ({
        ...c,
        producer: c.producer ? { ...c.producer } : null,
        producerUids: [...c.producerUids],
        consumers: c.consumers.map((r) => ({ ...r })),
      })),
      attachments: this.attachments.statuses(),
    };
  }

  onChange(listener: (s: PylabhubSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called when an attachment ends without detach: the hub closed the channel
   * (CHANNEL_CLOSING_NOTIFY), or it forgot the consumer and its one re-registration
   * was refused or failed. The seat is gone; whoever holds the handed-over DataBlock
   * should let it go.
   */
  onAttachmentEnded(listener: (a: PylabhubAttachmentStatus) => void): () => void {
    return this.attachments.onEnded(listener);
  }

  /**
   * Registers `consumerUid` (with HubScope's key) as a consumer of `channel`, only
   * because the user asked: it takes a consumer seat. Refused here, before anything is
   * sent, for a one-to-one channel that has a consumer already (the default topology
   * when the hub does not say), for a channel that is not shm and for a bad uid.
   */
  attachAsConsumer(channel: string, consumerUid: string): Promise<PylabhubAttachTarget> {
    return this.attachments.attach(channel, consumerUid);
  }

  /** Gives the consumer seat taken by attachAsConsumer back (CONSUMER_DEREG_REQ). */
  detach(channel: string): Promise<void> {
    return this.attachments.detach(channel);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.listeners.clear();
    // Seats the user took are given back (best effort) so that others may use them.
    await this.attachments.close();
    // Closing the connection first ends a poll waiting for a reply at once.
    await this.client.close();
    await this.polling;
  }

  // ---------------------------------------------------------------- polling

  private async pollOnce(): Promise<void> {
    let list: PlhReply;
    // Before the first request: an attachment registered later learns nothing from this poll.
    const askedAt = performance.now();
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
      this.noteDifference(`CHANNEL_LIST_REQ answered with ${list.msgType}: ${replyErrorText(list)}`);
      this.emit();
      return;
    }
    this.differences.checkReply('CHANNEL_LIST_REQ', list);
    const entries = readChannelList(list.body, (text) => this.noteDifference(text));

    let metrics: JsonObject | null = null;
    try {
      const m = await this.client.request('METRICS_REQ', {}, this.timeoutMs);
      this.gotReply();
      if (m.msgType === 'METRICS_ACK') {
        this.differences.checkReply('METRICS_REQ', m);
        metrics = m.body;
      } else this.noteDifference(`METRICS_REQ answered with ${m.msgType}: ${replyErrorText(m)}`);
    } catch (err) {
      this.noteDifference(`METRICS_REQ: ${(err as Error).message}`);
    }

    for (const e of entries) await this.discover(e.name, e.producerUid);
    const listed = (name: string) => entries.some((e) => e.name === name);
    for (const name of [...this.cache.keys()]) if (!listed(name)) this.cache.delete(name);
    this.rates.forgetOthers(listed);

    this.channels = entries.map((e) => buildChannelRow(e, metrics, this.cache.get(e.name), this.rates));
    // The hub answered: what it says about the attached consumers (consumer-attachment.ts).
    this.attachments.observe(askedAt, (channel, uid) => listsConsumer(entries, metrics, channel, uid));
    this.emit();
  }

  private gotReply(): void {
    this.state = 'reachable';
    this.problem = null;
    this.lastReplyAt = Date.now();
  }

  /** A request got no reply: decide between silent and unreachable from what the socket saw. */
  private noAnswer(err: unknown): void {
    this.rttMs = null;
    const verdict = judgeNoAnswer(err, this.client.observation, {
      endpoint: this.endpoint,
      ownPublicKey: this.ownKeys.publicKey,
      hubKey: this.hubKey,
      lastReplyAt: this.lastReplyAt,
    });
    this.state = verdict.state;
    this.problem = verdict.problem;
  }

  /** DISC_REQ + SCHEMA_REQ for a channel not discovered yet, or whose producer changed. */
  private async discover(name: string, producerUid: string | null): Promise<void> {
    const note = (text: string) => this.noteDifference(text);
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
          this.differences.checkReply('DISC_REQ', r);
          c.discovered = true;
          c.transport = transportOf(strField(r.body, 'data_transport'), name, note);
          c.schemaHash = hashOf(r.body, 'DISC_ACK', note);
          c.consumerCount = uintField(r.body, 'consumer_count');
          c.topology = strField(r.body, 'channel_topology');
        } else if (r.msgType !== 'DISC_PENDING') {
          // e.g. ERROR CHANNEL_NOT_FOUND when the channel went away between list and query.
          this.noteDifference(`DISC_REQ ${name} answered with ${r.msgType}: ${replyErrorText(r)}`);
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
          this.differences.checkReply('SCHEMA_REQ', r);
          c.schemaHash ??= hashOf(r.body, 'SCHEMA_ACK', note);
        }
        // ERROR (e.g. SCHEMA_UNKNOWN) for an anonymous channel: nothing to add.
      } catch (err) {
        this.noteDifference(`SCHEMA_REQ ${name}: ${(err as Error).message}`);
      }
    }
  }

  private noteDifference(text: string): void {
    this.differences.note(text);
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
