// DISCOVER requests parked while their channel is pending: answered as soon as a
// producer registers, or with PENDING when their waitMs runs out. The limit is for
// the whole broker (one hostile connection could otherwise hold memory per channel).
import type { ChannelInfoT } from '../protocol/messages.js';
import { BrokerError } from './broker-error.js';

interface Waiter {
  resolve(info: ChannelInfoT): void;
  reject(err: BrokerError): void;
  timer: NodeJS.Timeout;
}

export class DiscoveryWaiters {
  private readonly byChannel = new Map<string, Set<Waiter>>();
  private count = 0;

  constructor(private readonly maxWaiters: number) {}

  get size(): number {
    return this.count;
  }

  wait(channel: string, waitMs: number): Promise<ChannelInfoT> {
    if (this.count >= this.maxWaiters) {
      return Promise.reject(
        new BrokerError(
          'PENDING',
          `channel ${JSON.stringify(channel)} has no producer yet and the broker already holds ${this.count} waiting DISCOVERs ` +
            `(its limit, shared by all connections); retry later`,
          { channel, heldLimit: this.maxWaiters },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      let set = this.byChannel.get(channel);
      if (!set) this.byChannel.set(channel, (set = new Set()));
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(channel, waiter);
          reject(
            new BrokerError(
              'PENDING',
              `channel ${JSON.stringify(channel)} still has no producer after waiting ${waitMs} ms`,
              { channel, waitedMs: waitMs },
            ),
          );
        }, waitMs),
      };
      set.add(waiter);
      this.count++;
    });
  }

  private remove(channel: string, waiter: Waiter): void {
    const set = this.byChannel.get(channel);
    if (!set?.delete(waiter)) return;
    this.count--;
    clearTimeout(waiter.timer);
    if (set.size === 0) this.byChannel.delete(channel);
  }

  private take(channel: string): Waiter[] {
    const set = this.byChannel.get(channel);
    if (!set) return [];
    const all = [...set];
    for (const w of all) this.remove(channel, w);
    return all;
  }

  resolve(channel: string, info: ChannelInfoT): void {
    for (const w of this.take(channel)) w.resolve(info);
  }

  reject(channel: string, err: BrokerError): void {
    for (const w of this.take(channel)) w.reject(err);
  }

  rejectAll(err: BrokerError): void {
    for (const channel of [...this.byChannel.keys()]) this.reject(channel, err);
  }
}
