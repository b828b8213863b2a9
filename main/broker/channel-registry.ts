// Channels and their producer/consumer registrations, with the state machine of
// docs/protocol.md ("Channel states"): pending → active ⇄ stale → (producer gone)
// pending, active → closing (producer closed it) → removed/pending. Knows nothing
// about sockets: it tells the broker whom to notify through `Notify`.
// On an authenticated broker a channel belongs to the client key that registered its
// producer (or created it), and a consumer registration to the key that made it:
// no other key may take, end or impersonate them (docs/security.md).
import type {
  ChannelInfoT,
  ChannelStateT,
  ConsumerInfoT,
  DataBlockConfigT,
  GroupShareT,
  NotificationBody,
  NotificationType,
  QosClassT,
} from '../protocol/messages.js';
import { BrokerError } from './broker-error.js';
import { ConsumerGroups } from './consumer-groups.js';
import type { ClientKey, Session } from './session.js';

export interface ChannelSchemaView {
  id: string;
  version: number;
  fingerprint: string;
  flexzoneFingerprint?: string;
}

export interface ProducerRegistration {
  channel: string;
  /** producerUid + host + pid: the identity that owns the channel. */
  ownerKey: string;
  producerUid: string;
  producerName: string;
  host: string;
  pid: number;
  shmName: string;
  schema: ChannelSchemaView | null;
  config: DataBlockConfigT;
  route: Session;
  registeredAt: number;
  lastHeartbeatAt: number;
  stale: boolean;
  /** Capability "qos": the channel's class and the liveness it implies (the broker's default otherwise). */
  qos?: QosClassT;
  liveness?: Liveness;
}

export interface ConsumerRegistration {
  channel: string;
  consumerId: string;
  consumerName?: string;
  host: string;
  pid: number;
  expectedFingerprint?: string;
  /** Capability "groups": the consumer group it is a member of. */
  group?: string;
  route: Session;
  registeredAt: number;
  lastHeartbeatAt: number;
  stale: boolean;
}

export interface Channel {
  name: string;
  explicit: boolean;
  description?: string;
  createdAt: number;
  producer?: ProducerRegistration;
  consumers: Map<string, ConsumerRegistration>;
  /** Set when the producer closed the channel while consumers remained. */
  closingSince?: number;
  /** The client key the channel belongs to while it exists (authenticated brokers only). */
  owner?: ClientKey;
}

export type Notify = <T extends NotificationType>(to: Session, type: T, body: NotificationBody<T>) => void;

export interface ProducerRegisterInput {
  channel: string;
  shmName: string;
  schema: ChannelSchemaView | null;
  config: DataBlockConfigT;
  host: string;
  pid: number;
  producerName: string;
  producerUid: string;
  description?: string;
  qos?: QosClassT;
  liveness?: Liveness;
}

export interface ConsumerRegisterInput {
  channel: string;
  consumerId: string;
  consumerName?: string;
  expectedFingerprint?: string;
  host: string;
  pid: number;
  group?: string;
}

export interface ChannelFilter {
  states?: ChannelStateT[];
  prefix?: string;
  producerHost?: string;
  limit?: number;
}

export interface Liveness {
  /** No heartbeat for this long: stale. */
  staleAfterMs: number;
  /** No heartbeat for this long: removed (the liveness timeout). */
  removeAfterMs: number;
}

export function stateOf(ch: Channel): ChannelStateT {
  if (ch.producer) return ch.producer.stale ? 'stale' : 'active';
  return ch.closingSince !== undefined ? 'closing' : 'pending';
}

function consumerInfo(c: ConsumerRegistration): ConsumerInfoT {
  const info: ConsumerInfoT = {
    consumerId: c.consumerId,
    host: c.host,
    pid: c.pid,
    registeredAt: c.registeredAt,
    lastHeartbeatAt: c.lastHeartbeatAt,
    stale: c.stale,
  };
  if (c.consumerName !== undefined) info.consumerName = c.consumerName;
  if (c.expectedFingerprint !== undefined) info.expectedFingerprint = c.expectedFingerprint;
  return info;
}

/**
 * CHANNEL_LIST.prefix matches whole dot-separated segments: "lab.cam" selects
 * "lab.cam" and "lab.cam.frames" but not "lab.camera". A trailing dot is ignored,
 * and an empty or absent prefix selects everything.
 */
export function hierarchyMatcher(prefix: string | undefined): (name: string) => boolean {
  const root = prefix?.replace(/\.+$/, '') ?? '';
  if (root === '') return () => true;
  const below = root + '.';
  return (name) => name === root || name.startsWith(below);
}

function sameKey(a: ClientKey | undefined, b: ClientKey | undefined): boolean {
  return a?.key === b?.key;
}

function keyName(k: ClientKey | undefined): string {
  return k ? `key ${k.fingerprint}` : 'an unauthenticated connection';
}

/** CHANNEL_OWNED for a request from a key that is not the channel's. */
function ownedByAnotherKey(ch: Channel, by: ClientKey | undefined, what: string): BrokerError {
  return new BrokerError(
    'CHANNEL_OWNED',
    `channel ${JSON.stringify(ch.name)} belongs to ${keyName(ch.owner)}; ${keyName(by)} may not ${what} it`,
    { channel: ch.name, ownerKey: ch.owner?.fingerprint ?? null, key: by?.fingerprint ?? null },
  );
}

export class ChannelRegistry {
  readonly channels = new Map<string, Channel>();
  readonly groups = new ConsumerGroups();

  constructor(
    private readonly notify: Notify,
    /** Called after anything visible changed (the broker coalesces these for the UI). */
    private readonly changed: () => void,
    /** Called when a channel gets a producer (parked DISCOVERs resolve). */
    private readonly activated: (ch: Channel) => void,
    /** Called when a channel disappears (parked DISCOVERs fail). */
    private readonly removed: (name: string) => void,
  ) {}

  info(ch: Channel): ChannelInfoT {
    const info: ChannelInfoT = {
      name: ch.name,
      state: stateOf(ch),
      explicit: ch.explicit,
      createdAt: ch.createdAt,
      schema: ch.producer?.schema ?? null,
      consumerCount: ch.consumers.size,
    };
    if (ch.description !== undefined) info.description = ch.description;
    const groups = this.groups.info(ch.name);
    if (groups) info.groups = groups;
    const p = ch.producer;
    if (p) {
      if (p.qos !== undefined) info.qos = p.qos;
      info.shmName = p.shmName;
      info.config = p.config;
      info.producer = {
        producerName: p.producerName,
        producerUid: p.producerUid,
        host: p.host,
        pid: p.pid,
        registeredAt: p.registeredAt,
        lastHeartbeatAt: p.lastHeartbeatAt,
      };
    }
    return info;
  }

  require(name: string): Channel {
    const ch = this.channels.get(name);
    if (!ch) throw new BrokerError('NOT_FOUND', `channel ${JSON.stringify(name)} does not exist`, { channel: name });
    return ch;
  }

  private create(name: string, explicit: boolean, now: number, description?: string): Channel {
    const ch: Channel = { name, explicit, createdAt: now, consumers: new Map() };
    if (description !== undefined) ch.description = description;
    this.channels.set(name, ch);
    return ch;
  }

  createExplicit(
    name: string,
    route: Session,
    now: number,
    description?: string,
  ): { channel: Channel; created: boolean } {
    const existing = this.channels.get(name);
    if (existing?.owner && !sameKey(existing.owner, route.client))
      throw ownedByAnotherKey(existing, route.client, 'change');
    if (existing) {
      // Like a first producer, an explicit creation claims a channel no key owns yet.
      if (route.client) existing.owner ??= route.client;
      existing.explicit = true;
      if (description !== undefined) existing.description = description;
      this.changed();
      return { channel: existing, created: false };
    }
    const channel = this.create(name, true, now, description);
    if (route.client) channel.owner = route.client;
    this.changed();
    return { channel, created: true };
  }

  registerProducer(
    input: ProducerRegisterInput,
    route: Session,
    now: number,
  ): { channel: Channel; created: boolean; reregistered: boolean } {
    const ownerKey = `${input.producerUid}\u0000${input.host}\u0000${input.pid}`;
    let ch = this.channels.get(input.channel);
    const created = !ch;
    const current = ch?.producer;
    // The key first: another key may not take the channel, nor pose as its producer.
    if (ch?.owner && !sameKey(ch.owner, route.client))
      throw ownedByAnotherKey(ch, route.client, 'register a producer on');
    if (current && current.ownerKey !== ownerKey) {
      // Even a stale owner keeps the channel until the liveness timeout removes it:
      // a busy producer that is late with heartbeats must not lose its channel.
      throw new BrokerError(
        'CHANNEL_OWNED',
        `channel ${JSON.stringify(input.channel)} is owned by producer ${JSON.stringify(current.producerName)} ` +
          `(uid ${current.producerUid}, pid ${current.pid} on ${current.host}); one producer per channel` +
          (current.stale ? '; the owner is stale and is removed if it stays silent for the liveness timeout' : ''),
        {
          channel: input.channel,
          owner: {
            producerName: current.producerName,
            producerUid: current.producerUid,
            host: current.host,
            pid: current.pid,
            stale: current.stale,
          },
        },
      );
    }
    if (!ch) ch = this.create(input.channel, false, now);
    if (route.client) ch.owner ??= route.client;
    const reregistered = current !== undefined && current.ownerKey === ownerKey;
    const fingerprintChanged =
      !reregistered || (current?.schema?.fingerprint ?? null) !== (input.schema?.fingerprint ?? null);
    const reg: ProducerRegistration = {
      channel: input.channel,
      ownerKey,
      producerUid: input.producerUid,
      producerName: input.producerName,
      host: input.host,
      pid: input.pid,
      shmName: input.shmName,
      schema: input.schema,
      config: input.config,
      route,
      registeredAt: reregistered ? current.registeredAt : now,
      lastHeartbeatAt: now,
      stale: false,
    };
    if (input.qos !== undefined) reg.qos = input.qos;
    if (input.liveness !== undefined) reg.liveness = input.liveness;
    if (reregistered) current.route.producers.delete(current);
    ch.producer = reg;
    route.producers.add(reg);
    if (input.description !== undefined) ch.description = input.description;
    delete ch.closingSince;
    // A re-registering producer was told CONSUMER_JOINED for its consumers, so it hears
    // CONSUMER_LEFT for those it loses; a new producer never heard of them.
    if (fingerprintChanged && reg.schema) this.dropMismatchedConsumers(ch, reg.schema.fingerprint, reregistered);
    if (!reregistered) {
      const info = this.info(ch);
      for (const c of ch.consumers.values()) {
        this.notify(c.route, 'CHANNEL_ACTIVE', { channel: ch.name, info });
        this.notify(route, 'CONSUMER_JOINED', { channel: ch.name, consumer: consumerInfo(c) });
      }
    }
    this.changed();
    this.activated(ch);
    return { channel: ch, created, reregistered };
  }

  private dropMismatchedConsumers(ch: Channel, fingerprint: string, tellProducer: boolean): void {
    for (const c of [...ch.consumers.values()]) {
      if (c.expectedFingerprint === undefined || c.expectedFingerprint === fingerprint) continue;
      this.detachConsumer(ch, c);
      if (tellProducer && ch.producer) {
        this.notify(ch.producer.route, 'CONSUMER_LEFT', {
          channel: ch.name,
          consumerId: c.consumerId,
          reason: 'schema-mismatch',
        });
      }
      this.notify(c.route, 'REGISTRATION_DROPPED', {
        channel: ch.name,
        role: 'consumer',
        consumerId: c.consumerId,
        reason: 'schema-mismatch',
        message: `the producer of ${ch.name} publishes schema fingerprint ${fingerprint}, consumer ${c.consumerId} expects ${c.expectedFingerprint}`,
      });
    }
  }

  deregisterProducer(name: string, producerUid: string, route: Session): void {
    const ch = this.require(name);
    if (ch.owner && !sameKey(ch.owner, route.client))
      throw ownedByAnotherKey(ch, route.client, 'deregister the producer of');
    const p = ch.producer;
    if (!p)
      throw new BrokerError('NOT_FOUND', `channel ${JSON.stringify(name)} has no producer registered`, {
        channel: name,
      });
    if (p.producerUid !== producerUid) {
      throw new BrokerError(
        'CHANNEL_OWNED',
        `channel ${JSON.stringify(name)} is owned by producer uid ${p.producerUid}, not ${producerUid}`,
        {
          channel: name,
          owner: { producerName: p.producerName, producerUid: p.producerUid, host: p.host, pid: p.pid },
        },
      );
    }
    this.removeProducer(ch, 'closed', Date.now());
  }

  private detachProducer(ch: Channel, p: ProducerRegistration): void {
    p.route.producers.delete(p);
    if (ch.producer === p) delete ch.producer;
  }

  /** `keepGroup`: the same consumer registers again in the same group (no rebalance). */
  private detachConsumer(ch: Channel, c: ConsumerRegistration, keepGroup = false): void {
    c.route.consumers.delete(c);
    if (ch.consumers.get(c.consumerId) === c) ch.consumers.delete(c.consumerId);
    if (c.group !== undefined && !keepGroup) this.tellShares(ch, this.groups.leave(ch.name, c.group, c.consumerId));
  }

  /** GROUP_REBALANCED to every member of a group that rebalanced. */
  private tellShares(ch: Channel, shares: GroupShareT[]): void {
    for (const share of shares) {
      const member = ch.consumers.get(share.consumerId);
      if (member) this.notify(member.route, 'GROUP_REBALANCED', share);
    }
    if (shares.length > 0) this.changed();
  }

  /** The QoS class of a channel (its producer's; normal without one). */
  qosOf(name: string): QosClassT | undefined {
    return this.channels.get(name)?.producer?.qos;
  }

  /**
   * Producer leaves. `closed`: it ended the channel (consumers get CHANNEL_CLOSING);
   * `timeout`/`disconnected`: it vanished (consumers get PRODUCER_GONE and keep waiting).
   */
  private removeProducer(ch: Channel, why: 'closed' | 'timeout' | 'disconnected', now: number): void {
    const p = ch.producer;
    if (!p) return;
    this.detachProducer(ch, p);
    if (why === 'closed') {
      for (const c of ch.consumers.values())
        this.notify(c.route, 'CHANNEL_CLOSING', { channel: ch.name, reason: 'producer-closed' });
      if (ch.consumers.size > 0) ch.closingSince = now;
    } else {
      for (const c of ch.consumers.values()) this.notify(c.route, 'PRODUCER_GONE', { channel: ch.name, reason: why });
      if (why === 'timeout') {
        this.notify(p.route, 'REGISTRATION_DROPPED', {
          channel: ch.name,
          role: 'producer',
          reason: 'timeout',
          message: `no heartbeat from the producer of ${ch.name} for the liveness timeout; register again`,
        });
      }
    }
    this.removeIfUnused(ch);
    this.changed();
  }

  /** Implicit channels without producer and consumers disappear; explicit ones return to pending. */
  private removeIfUnused(ch: Channel): void {
    if (ch.producer || ch.consumers.size > 0) return;
    delete ch.closingSince;
    if (ch.explicit) return;
    this.channels.delete(ch.name);
    this.removed(ch.name);
  }

  registerConsumer(
    input: ConsumerRegisterInput,
    route: Session,
    now: number,
  ): { channel: Channel; reregistered: boolean } {
    let ch = this.channels.get(input.channel);
    const existing = ch?.consumers.get(input.consumerId);
    if (existing && !sameKey(existing.route.client, route.client)) {
      throw new BrokerError(
        'CONSUMER_ID_TAKEN',
        `consumer id ${JSON.stringify(input.consumerId)} on channel ${JSON.stringify(input.channel)} belongs to ${keyName(existing.route.client)}; ${keyName(route.client)} may not register it`,
        {
          channel: input.channel,
          consumerId: input.consumerId,
          ownerKey: existing.route.client?.fingerprint ?? null,
          key: route.client?.fingerprint ?? null,
        },
      );
    }
    const sameProcess = existing !== undefined && existing.host === input.host && existing.pid === input.pid;
    if (existing && !sameProcess) {
      throw new BrokerError(
        'CONSUMER_ID_TAKEN',
        `consumer id ${JSON.stringify(input.consumerId)} on channel ${JSON.stringify(input.channel)} is registered by pid ${existing.pid} on ${existing.host}`,
        { channel: input.channel, consumerId: input.consumerId, host: existing.host, pid: existing.pid },
      );
    }
    const actual = ch?.producer?.schema?.fingerprint;
    if (input.expectedFingerprint !== undefined && actual !== undefined && actual !== input.expectedFingerprint) {
      throw new BrokerError(
        'SCHEMA_MISMATCH',
        `channel ${JSON.stringify(input.channel)} is published with schema fingerprint ${actual} ` +
          `(${ch!.producer!.schema!.id} v${ch!.producer!.schema!.version}); the consumer expects ${input.expectedFingerprint}`,
        {
          channel: input.channel,
          expected: input.expectedFingerprint,
          actual,
          schemaId: ch!.producer!.schema!.id,
          schemaVersion: ch!.producer!.schema!.version,
        },
      );
    }
    if (!ch) ch = this.create(input.channel, false, now);
    if (existing) this.detachConsumer(ch, existing, sameProcess && existing.group === input.group);
    const reg: ConsumerRegistration = {
      channel: input.channel,
      consumerId: input.consumerId,
      host: input.host,
      pid: input.pid,
      route,
      registeredAt: sameProcess ? existing.registeredAt : now,
      lastHeartbeatAt: now,
      stale: false,
    };
    if (input.consumerName !== undefined) reg.consumerName = input.consumerName;
    if (input.expectedFingerprint !== undefined) reg.expectedFingerprint = input.expectedFingerprint;
    if (input.group !== undefined) reg.group = input.group;
    ch.consumers.set(reg.consumerId, reg);
    route.consumers.add(reg);
    if (input.group !== undefined) this.tellShares(ch, this.groups.join(ch.name, input.group, reg.consumerId));
    if (!sameProcess && ch.producer)
      this.notify(ch.producer.route, 'CONSUMER_JOINED', { channel: ch.name, consumer: consumerInfo(reg) });
    this.changed();
    return { channel: ch, reregistered: sameProcess };
  }

  deregisterConsumer(name: string, consumerId: string, route: Session): void {
    const ch = this.require(name);
    const c = ch.consumers.get(consumerId);
    if (!c)
      throw new BrokerError(
        'NOT_FOUND',
        `consumer ${JSON.stringify(consumerId)} is not registered on channel ${JSON.stringify(name)}`,
        { channel: name, consumerId },
      );
    if (!sameKey(c.route.client, route.client)) {
      throw new BrokerError(
        'CONSUMER_ID_TAKEN',
        `consumer ${JSON.stringify(consumerId)} on channel ${JSON.stringify(name)} belongs to ${keyName(c.route.client)}; ${keyName(route.client)} may not deregister it`,
        {
          channel: name,
          consumerId,
          ownerKey: c.route.client?.fingerprint ?? null,
          key: route.client?.fingerprint ?? null,
        },
      );
    }
    this.removeConsumer(ch, c, 'deregistered');
  }

  private removeConsumer(
    ch: Channel,
    c: ConsumerRegistration,
    reason: 'deregistered' | 'timeout' | 'disconnected',
  ): void {
    this.detachConsumer(ch, c);
    if (ch.producer)
      this.notify(ch.producer.route, 'CONSUMER_LEFT', { channel: ch.name, consumerId: c.consumerId, reason });
    if (reason === 'timeout') {
      this.notify(c.route, 'REGISTRATION_DROPPED', {
        channel: ch.name,
        role: 'consumer',
        consumerId: c.consumerId,
        reason: 'timeout',
        message: `no heartbeat from consumer ${c.consumerId} of ${ch.name} for the liveness timeout; register again`,
      });
    }
    this.removeIfUnused(ch);
    this.changed();
  }

  consumers(name: string): ConsumerInfoT[] {
    return [...this.require(name).consumers.values()].map(consumerInfo);
  }

  /**
   * Removes a channel and everything on it; returns how many registrations were told.
   * Each owner gets CHANNEL_CLOSING (the channel is going) and then REGISTRATION_DROPPED
   * (its registration is already gone: nothing to deregister, do not re-register).
   */
  destroy(name: string, route: Session): number {
    const ch = this.require(name);
    if (ch.owner && !sameKey(ch.owner, route.client)) throw ownedByAnotherKey(ch, route.client, 'destroy');
    // A channel no key owns yet (only consumers wait on it) ends only by a key all of them share.
    if (!ch.owner) {
      for (const c of ch.consumers.values()) {
        if (!sameKey(c.route.client, route.client)) {
          throw new BrokerError(
            'CHANNEL_OWNED',
            `channel ${JSON.stringify(name)} has no owner yet and consumer ${JSON.stringify(c.consumerId)} of ${keyName(c.route.client)} waits on it; ${keyName(route.client)} may not destroy it`,
            { channel: name, ownerKey: c.route.client?.fingerprint ?? null, key: route.client?.fingerprint ?? null },
          );
        }
      }
    }
    // Every member is dropped below: no rebalance notifications on the way out.
    this.groups.dropChannel(name);
    let notified = 0;
    const message = `channel ${name} was destroyed (CHANNEL_DESTROY); its registrations are removed`;
    const p = ch.producer;
    if (p) {
      this.detachProducer(ch, p);
      this.notify(p.route, 'CHANNEL_CLOSING', { channel: name, reason: 'destroyed' });
      this.notify(p.route, 'REGISTRATION_DROPPED', { channel: name, role: 'producer', reason: 'destroyed', message });
      notified++;
    }
    for (const c of [...ch.consumers.values()]) {
      this.detachConsumer(ch, c);
      this.notify(c.route, 'CHANNEL_CLOSING', { channel: name, reason: 'destroyed' });
      this.notify(c.route, 'REGISTRATION_DROPPED', {
        channel: name,
        role: 'consumer',
        consumerId: c.consumerId,
        reason: 'destroyed',
        message,
      });
      notified++;
    }
    this.channels.delete(name);
    this.removed(name);
    this.changed();
    return notified;
  }

  /** Refreshes the listed registrations of `route`; returns those it does not hold. */
  heartbeat(
    route: Session,
    producers: readonly string[],
    consumers: ReadonlyArray<{ channel: string; consumerId: string }>,
    now: number,
  ): { unknownProducers: string[]; unknownConsumers: Array<{ channel: string; consumerId: string }> } {
    const unknownProducers: string[] = [];
    const unknownConsumers: Array<{ channel: string; consumerId: string }> = [];
    let revived = false;
    for (const name of producers) {
      const p = this.channels.get(name)?.producer;
      if (!p || p.route !== route) {
        unknownProducers.push(name);
        continue;
      }
      p.lastHeartbeatAt = now;
      if (p.stale) {
        p.stale = false;
        revived = true;
      }
    }
    for (const entry of consumers) {
      const c = this.channels.get(entry.channel)?.consumers.get(entry.consumerId);
      if (!c || c.route !== route) {
        unknownConsumers.push({ channel: entry.channel, consumerId: entry.consumerId });
        continue;
      }
      c.lastHeartbeatAt = now;
      if (c.stale) {
        c.stale = false;
        revived = true;
      }
    }
    if (revived) this.changed();
    return { unknownProducers, unknownConsumers };
  }

  /** Marks silent registrations stale, removes those past the liveness timeout, finishes closing channels. */
  sweep(now: number, liveness: Liveness): void {
    for (const ch of [...this.channels.values()]) {
      const p = ch.producer;
      if (p) {
        const silent = now - p.lastHeartbeatAt;
        const own = p.liveness ?? liveness;
        if (silent > own.removeAfterMs) this.removeProducer(ch, 'timeout', now);
        else if (silent > own.staleAfterMs && !p.stale) {
          p.stale = true;
          this.changed();
        }
      }
      for (const c of [...ch.consumers.values()]) {
        const silent = now - c.lastHeartbeatAt;
        if (silent > liveness.removeAfterMs) this.removeConsumer(ch, c, 'timeout');
        else if (silent > liveness.staleAfterMs && !c.stale) {
          c.stale = true;
          this.changed();
        }
      }
      // Consumers were told to leave; after the liveness timeout the channel closes without them.
      // Those still registered (even if heartbeating) are dropped and told why.
      if (
        ch.closingSince !== undefined &&
        !ch.producer &&
        now - ch.closingSince > liveness.removeAfterMs &&
        this.channels.has(ch.name)
      ) {
        for (const c of [...ch.consumers.values()]) {
          this.detachConsumer(ch, c);
          this.notify(c.route, 'REGISTRATION_DROPPED', {
            channel: ch.name,
            role: 'consumer',
            consumerId: c.consumerId,
            reason: 'channel-closed',
            message: `the producer closed ${ch.name} and consumer ${c.consumerId} did not deregister within the liveness timeout`,
          });
        }
        this.removeIfUnused(ch);
        this.changed();
      }
    }
  }

  /**
   * A key was removed from the allow-list: the channels it owned that are left (explicit
   * ones, or ones its producer left with consumers waiting) belong to no key any more,
   * so that a replacement producer of another key can take them over.
   */
  releaseOwnership(key: string): void {
    for (const ch of this.channels.values()) {
      if (ch.owner?.key === key && !ch.producer) delete ch.owner;
    }
  }

  /** Removes everything registered through a connection that said BYE. */
  dropSession(route: Session): number {
    let removed = 0;
    for (const p of [...route.producers]) {
      const ch = this.channels.get(p.channel);
      if (ch?.producer === p) this.removeProducer(ch, 'disconnected', Date.now());
      else route.producers.delete(p);
      removed++;
    }
    for (const c of [...route.consumers]) {
      const ch = this.channels.get(c.channel);
      if (ch && ch.consumers.get(c.consumerId) === c) this.removeConsumer(ch, c, 'disconnected');
      else route.consumers.delete(c);
      removed++;
    }
    return removed;
  }

  list(filter: ChannelFilter): { channels: ChannelInfoT[]; total: number } {
    const out: ChannelInfoT[] = [];
    let total = 0;
    const limit = filter.limit ?? Infinity;
    const names = [...this.channels.keys()].sort();
    const under = hierarchyMatcher(filter.prefix);
    for (const name of names) {
      const ch = this.channels.get(name)!;
      if (!under(name)) continue;
      if (filter.states && !filter.states.includes(stateOf(ch))) continue;
      if (filter.producerHost !== undefined && ch.producer?.host !== filter.producerHost) continue;
      total++;
      if (out.length < limit) out.push(this.info(ch));
    }
    return { channels: out, total };
  }

  countByState(): Record<ChannelStateT, number> & { total: number } {
    const counts = { total: 0, pending: 0, active: 0, stale: 0, closing: 0 };
    for (const ch of this.channels.values()) {
      counts.total++;
      counts[stateOf(ch)]++;
    }
    return counts;
  }
}
