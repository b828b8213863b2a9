// Holds the latest value of every UI topic and tells subscribers when one changes.
// Publishing an unchanged value (same JSON) is a no-op, so services can publish on
// every poll without flooding the transports.
import type { Topic, Topics, Unsubscribe } from '../../preload/contract.js';

export type TopicListener = <T extends Topic>(topic: T, value: Topics[T]) => void;

export class TopicBus {
  private readonly values = new Map<Topic, { value: unknown; json: string }>();
  private readonly listeners = new Set<TopicListener>();

  publish<T extends Topic>(topic: T, value: Topics[T]): void {
    const json = JSON.stringify(value);
    if (this.values.get(topic)?.json === json) return;
    this.values.set(topic, { value, json });
    for (const listener of this.listeners) {
      try {
        listener(topic, value);
      } catch {
        // A failing transport must not stop delivery to the others.
      }
    }
  }

  latest<T extends Topic>(topic: T): Topics[T] | undefined {
    return this.values.get(topic)?.value as Topics[T] | undefined;
  }

  subscribe(listener: TopicListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
