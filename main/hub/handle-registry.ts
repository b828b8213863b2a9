// Everything this process registered with the broker, kept so that it can be
// listed in heartbeats, told about notifications, and registered again when the
// broker forgets it (reconnect, restart, timeout).
import type { RequestBody, SchemaDocumentT } from '../protocol/messages.js';
import type { ConsumerHandle, ProducerHandle } from './registrations.js';

/** A consumer is unique per channel and id; a channel has one producer. */
function consumerKey(channel: string, consumerId: string): string {
  return `${channel}\u0000${consumerId}`;
}

export class HandleRegistry {
  private readonly producers = new Map<string, ProducerHandle>();
  private readonly consumers = new Map<string, ConsumerHandle>();
  /** Schemas this process registered, sent again to a restarted broker. */
  private readonly schemas = new Map<string, SchemaDocumentT>();

  get counts(): { producers: number; consumers: number } {
    return { producers: this.producers.size, consumers: this.consumers.size };
  }

  addSchema(schema: SchemaDocumentT): void {
    this.schemas.set(`${schema.id}\u0000${schema.version}`, schema);
  }

  /** Replaces (and marks closed) an earlier handle for the same registration. */
  addProducer(handle: ProducerHandle): void {
    const previous = this.producers.get(handle.channel);
    if (previous && previous !== handle) previous.closed = true;
    this.producers.set(handle.channel, handle);
  }

  addConsumer(handle: ConsumerHandle): void {
    const key = consumerKey(handle.channel, handle.consumerId);
    const previous = this.consumers.get(key);
    if (previous) previous.closed = true;
    this.consumers.set(key, handle);
  }

  /** Removes a handle, unless a newer one has taken its place. */
  forget(handle: ProducerHandle | ConsumerHandle): void {
    if (handle.kind === 'producer') {
      if (this.producers.get(handle.channel) === handle) this.producers.delete(handle.channel);
    } else {
      const key = consumerKey(handle.channel, handle.consumerId);
      if (this.consumers.get(key) === handle) this.consumers.delete(key);
    }
  }

  clear(): void {
    this.producers.clear();
    this.consumers.clear();
  }

  producer(channel: string): ProducerHandle | undefined {
    return this.producers.get(channel);
  }

  consumer(channel: string, consumerId: string): ConsumerHandle | undefined {
    return this.consumers.get(consumerKey(channel, consumerId));
  }

  consumersOf(channel: string): ConsumerHandle[] {
    return [...this.consumers.values()].filter((c) => c.channel === channel);
  }

  allProducers(): ProducerHandle[] {
    return [...this.producers.values()];
  }

  allConsumers(): ConsumerHandle[] {
    return [...this.consumers.values()];
  }

  /** Live view: a schema registered while these are being sent again is sent too. */
  allSchemas(): Iterable<SchemaDocumentT> {
    return this.schemas.values();
  }

  heartbeatBody(): RequestBody<'HEARTBEAT'> {
    const consumers = [...this.consumers.values()].map((c) => ({ channel: c.channel, consumerId: c.consumerId }));
    return { producers: [...this.producers.keys()], consumers };
  }
}
