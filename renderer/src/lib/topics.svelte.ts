// Reactive views of the topics main pushes (channels, datablocks, broker,
// discovery). Each topic is fetched once and then kept current by its events;
// views read `topics.<name>` and re-render when it changes.
import type { Topic, Topics } from '../../../preload/contract.js';
import { api } from './api.js';
import { recordRates } from './rate-history.svelte.js';

type TopicState = { [T in Topic]: Topics[T] | undefined };

export const topics: TopicState = $state({
  channels: undefined,
  datablocks: undefined,
  broker: undefined,
  discovery: undefined,
  alerts: undefined,
  pylabhub: undefined,
});

export const topicErrors: Partial<Record<Topic, string>> = $state({});

function receive<T extends Topic>(topic: T, value: Topics[T]): void {
  topics[topic] = value;
  if (topic === 'datablocks') recordRates(value as Topics['datablocks']);
}

export function follow<T extends Topic>(topic: T): void {
  api.subscribe(topic, (value) => receive(topic, value));
  api.invoke(`${topic}.get`, null).then(
    (value) => {
      receive(topic, value as Topics[T]);
      delete topicErrors[topic];
    },
    (err: Error) => {
      topicErrors[topic] = err.message;
    },
  );
}
