// Handles returned by MessageHub.registerProducer / registerConsumer. The hub keeps
// them to heartbeat and to register them again after a reconnect or broker restart;
// notifications about their channel arrive as events on them.
import { EventEmitter } from 'node:events';
import type { ChannelInfoT, ConsumerInfoT, GroupShareT, NotificationBody, RequestBody } from '../protocol/messages.js';
import { ownsRecord } from '../protocol/group-share.js';
import { HubError } from './hub-error.js';

/** What a handle needs from its hub (kept narrow to avoid a circular dependency). */
export interface HandleOwner {
  request<T extends 'PRODUCER_DEREGISTER' | 'CONSUMER_DEREGISTER' | 'CONSUMER_LIST' | 'GROUP_ACK'>(
    type: T,
    body: RequestBody<T>,
  ): Promise<unknown>;
  forget(handle: ProducerHandle | ConsumerHandle): void;
}

export interface DroppedEvent {
  /** Why the broker (or a failed re-registration) removed it. */
  reason: string;
  message: string;
}

interface ProducerEvents {
  'consumer-joined': [NotificationBody<'CONSUMER_JOINED'>];
  'consumer-left': [NotificationBody<'CONSUMER_LEFT'>];
  'channel-closing': [NotificationBody<'CHANNEL_CLOSING'>];
  /** Registered again (reconnect, broker restart or after a timeout); `info` is updated. */
  reregistered: [ChannelInfoT];
  /** No longer registered; the handle is closed. */
  dropped: [DroppedEvent];
}

interface ConsumerEvents {
  'channel-active': [NotificationBody<'CHANNEL_ACTIVE'>];
  'producer-gone': [NotificationBody<'PRODUCER_GONE'>];
  'channel-closing': [NotificationBody<'CHANNEL_CLOSING'>];
  /** Its consumer group rebalanced: `share` is the new one (record ids id mod size == index). */
  'group-rebalanced': [GroupShareT];
  reregistered: [ChannelInfoT];
  dropped: [DroppedEvent];
}

async function deregister(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    // Already gone (broker restarted, channel destroyed) or no broker: nothing left to undo.
    if (
      err instanceof HubError &&
      ['NOT_FOUND', 'UNAVAILABLE', 'CLOSED', 'TIMEOUT', 'HELLO_REQUIRED'].includes(err.code)
    )
      return;
    throw err;
  }
}

export class ProducerHandle extends EventEmitter<ProducerEvents> {
  readonly kind = 'producer';
  closed = false;

  constructor(
    private readonly owner: HandleOwner,
    /** The exact request sent again on re-registration. */
    readonly registration: RequestBody<'PRODUCER_REGISTER'>,
    public info: ChannelInfoT,
  ) {
    super();
  }

  get channel(): string {
    return this.registration.channel;
  }

  /** The consumers of this channel, as the broker knows them. */
  async consumers(): Promise<ConsumerInfoT[]> {
    const reply = (await this.owner.request('CONSUMER_LIST', { channel: this.channel })) as {
      consumers: ConsumerInfoT[];
    };
    return reply.consumers;
  }

  /** Deregisters (consumers get CHANNEL_CLOSING). Safe to call twice or without a broker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.owner.forget(this);
    await deregister(() =>
      this.owner.request('PRODUCER_DEREGISTER', { channel: this.channel, producerUid: this.registration.producerUid }),
    );
  }

  /** Called by the hub when the broker dropped it for good. */
  markDropped(event: DroppedEvent): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.forget(this);
    this.emit('dropped', event);
  }
}

export class ConsumerHandle extends EventEmitter<ConsumerEvents> {
  readonly kind = 'consumer';
  closed = false;

  constructor(
    private readonly owner: HandleOwner,
    readonly registration: RequestBody<'CONSUMER_REGISTER'>,
    public info: ChannelInfoT,
  ) {
    super();
  }

  get channel(): string {
    return this.registration.channel;
  }

  get consumerId(): string {
    return this.registration.consumerId;
  }

  /** Consumer groups: this member's share of the group (undefined when not in a group). */
  share: GroupShareT | undefined;

  /** Whether this member owns record `id` in its current share (always true outside a group). */
  owns(id: number | bigint): boolean {
    return this.share === undefined || ownsRecord(this.share, id);
  }

  /** Called by the hub on GROUP_REBALANCED for this member. */
  rebalanced(share: GroupShareT): void {
    this.share = share;
    this.emit('group-rebalanced', share);
  }

  /**
   * Confirms the generation this member acts on (and its progress). An older generation
   * is refused with STALE_GENERATION; its details carry the current share.
   */
  async ack(lastRecordId?: number): Promise<GroupShareT> {
    const share = this.share;
    if (!share) throw new HubError('BAD_REQUEST', `consumer ${this.consumerId} is not a member of a consumer group`);
    const reply = (await this.owner.request('GROUP_ACK', {
      channel: this.channel,
      group: share.group,
      consumerId: this.consumerId,
      generation: share.generation,
      ...(lastRecordId !== undefined ? { lastRecordId } : {}),
    })) as GroupShareT;
    return reply;
  }

  /** Deregisters (the producer gets CONSUMER_LEFT). Safe to call twice or without a broker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.owner.forget(this);
    await deregister(() =>
      this.owner.request('CONSUMER_DEREGISTER', { channel: this.channel, consumerId: this.consumerId }),
    );
  }

  markDropped(event: DroppedEvent): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.forget(this);
    this.emit('dropped', event);
  }
}
