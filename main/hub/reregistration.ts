// Registers this process's schemas, producers and consumers again when the broker
// has forgotten them: after a reconnect or a broker restart (new boot id), and for
// single registrations a HEARTBEAT or a timeout notification reports unknown.
import type { ReplyBody } from '../protocol/messages.js';
import type { ConnectionGeneration } from './connection-generation.js';
import type { HandleRegistry } from './handle-registry.js';
import { HubError } from './hub-error.js';
import type { ConsumerHandle, ProducerHandle } from './registrations.js';

/** Refusals that say "not now" rather than "never": the handle stays, a later attempt may succeed. */
const TRANSIENT_CODES = ['UNAVAILABLE', 'TIMEOUT', 'CLOSED', 'HELLO_REQUIRED', 'RATE_LIMITED', 'SHUTTING_DOWN'];

export interface ReregisteredSummary {
  producers: number;
  consumers: number;
  failed: number;
}

export class Reregistration {
  constructor(
    private readonly registry: HandleRegistry,
    private readonly timeoutMs: number,
  ) {}

  /** Registers one handle again; a refusal other than "no broker" drops it. True when registered. */
  async one(link: ConnectionGeneration, handle: ProducerHandle | ConsumerHandle): Promise<boolean> {
    try {
      if (handle.kind === 'producer') {
        const reply = (await link.send(
          'PRODUCER_REGISTER',
          handle.registration,
          this.timeoutMs,
        )) as ReplyBody<'PRODUCER_REGISTER'>;
        handle.info = reply.channel;
        if (!handle.closed) handle.emit('reregistered', reply.channel);
      } else {
        const reply = (await link.send(
          'CONSUMER_REGISTER',
          handle.registration,
          this.timeoutMs,
        )) as ReplyBody<'CONSUMER_REGISTER'>;
        handle.info = reply.channel;
        if (!handle.closed) handle.emit('reregistered', reply.channel);
      }
      return true;
    } catch (err) {
      const e = err instanceof HubError ? err : new HubError('PROTOCOL_ERROR', String(err));
      if (!TRANSIENT_CODES.includes(e.code)) {
        handle.markDropped({ reason: e.code, message: `could not register again: ${e.message}` });
      }
      return false;
    }
  }

  /** Everything, schemas first; undefined when the link was replaced meanwhile (its successor does it again). */
  async all(link: ConnectionGeneration): Promise<ReregisteredSummary | undefined> {
    for (const schema of this.registry.allSchemas()) {
      await link.send('SCHEMA_REGISTER', { schema }, this.timeoutMs).catch(() => undefined);
    }
    const producers = this.registry.allProducers();
    const consumers = this.registry.allConsumers();
    // Producers first, so that consumers find their channels active again.
    const p = await Promise.all(producers.map((h) => this.one(link, h)));
    const c = await Promise.all(consumers.map((h) => this.one(link, h)));
    if (!link.current) return undefined;
    const failed = [...p, ...c].filter((ok) => !ok).length;
    return { producers: producers.length, consumers: consumers.length, failed };
  }

  /** A HEARTBEAT reply names the registrations the broker no longer knows. */
  unknownTo(link: ConnectionGeneration, reply: ReplyBody<'HEARTBEAT'>): void {
    for (const name of reply.unknownProducers) {
      const h = this.registry.producer(name);
      if (h) void this.one(link, h);
    }
    for (const u of reply.unknownConsumers) {
      const h = this.registry.consumer(u.channel, u.consumerId);
      if (h) void this.one(link, h);
    }
  }
}
