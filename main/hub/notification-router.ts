// Delivers the broker's unsolicited messages (empty correlation id) to the
// producer and consumer handles they concern, and to the hub's 'notification' event.
import { ERROR_TYPE, isNotificationType, type NotificationBody, type NotificationType } from '../protocol/messages.js';
import { notificationProblem } from '../protocol/validators.js';
import type { ConnectionGeneration } from './connection-generation.js';
import type { HandleRegistry } from './handle-registry.js';
import type { HubEvents } from './hub-types.js';
import type { Reregistration } from './reregistration.js';

export class NotificationRouter {
  constructor(
    private readonly registry: HandleRegistry,
    private readonly reregistration: Reregistration,
    private readonly events: HubEvents,
  ) {}

  /** Anything malformed or unknown becomes a warning: a broker newer than this client must not break it. */
  route(link: ConnectionGeneration, type: string, body: Record<string, unknown>): void {
    if (type === ERROR_TYPE) {
      this.events.emit('warning', `broker reported an error: ${String(body.code)}: ${String(body.message)}`);
      return;
    }
    if (!isNotificationType(type)) {
      this.events.emit('warning', `unknown notification ${type} from the broker (ignored)`);
      return;
    }
    const problem = notificationProblem(type, body);
    if (problem) {
      this.events.emit('warning', `malformed ${type} notification: ${problem}`);
      return;
    }
    this.deliver(link, type, body);
  }

  private deliver(link: ConnectionGeneration, type: NotificationType, raw: unknown): void {
    this.events.emit('notification', type, raw);
    switch (type) {
      case 'CONSUMER_JOINED': {
        const body = raw as NotificationBody<'CONSUMER_JOINED'>;
        this.registry.producer(body.channel)?.emit('consumer-joined', body);
        break;
      }
      case 'CONSUMER_LEFT': {
        const body = raw as NotificationBody<'CONSUMER_LEFT'>;
        this.registry.producer(body.channel)?.emit('consumer-left', body);
        break;
      }
      case 'CHANNEL_ACTIVE': {
        const body = raw as NotificationBody<'CHANNEL_ACTIVE'>;
        for (const c of this.registry.consumersOf(body.channel)) {
          c.info = body.info;
          c.emit('channel-active', body);
        }
        break;
      }
      case 'PRODUCER_GONE': {
        const body = raw as NotificationBody<'PRODUCER_GONE'>;
        for (const c of this.registry.consumersOf(body.channel)) c.emit('producer-gone', body);
        break;
      }
      case 'CHANNEL_CLOSING': {
        const body = raw as NotificationBody<'CHANNEL_CLOSING'>;
        const producer = this.registry.producer(body.channel);
        const consumers = this.registry.consumersOf(body.channel);
        producer?.emit('channel-closing', body);
        for (const c of consumers) c.emit('channel-closing', body);
        if (body.reason === 'destroyed') {
          // The broker removed every registration on the channel.
          const event = { reason: 'destroyed', message: `channel ${body.channel} was destroyed` };
          producer?.markDropped(event);
          for (const c of consumers) c.markDropped(event);
        }
        break;
      }
      case 'REGISTRATION_DROPPED': {
        const body = raw as NotificationBody<'REGISTRATION_DROPPED'>;
        const handle =
          body.role === 'producer'
            ? this.registry.producer(body.channel)
            : this.registry.consumer(body.channel, body.consumerId ?? '');
        if (!handle) break;
        // A timeout means we were too slow, not gone: register again. Anything else is final.
        if (body.reason === 'timeout' && body.role === 'consumer') void this.reregistration.one(link, handle);
        else handle.markDropped({ reason: body.reason, message: body.message });
        break;
      }
      case 'GROUP_REBALANCED': {
        const body = raw as NotificationBody<'GROUP_REBALANCED'>;
        this.registry.consumer(body.channel, body.consumerId)?.rebalanced(body);
        break;
      }
      case 'BROKER_SHUTDOWN': {
        const body = raw as NotificationBody<'BROKER_SHUTDOWN'>;
        link.lost(`the broker shut down (${body.reason})`);
        break;
      }
    }
  }
}
