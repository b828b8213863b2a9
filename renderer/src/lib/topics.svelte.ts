// Reactive views of the topics main pushes (channels, datablocks, broker,
// discovery). Each topic is fetched once and then kept current by its events;
// views read `topics.<name>` and re-render when it changes.
import type { Topic, Topics } from '../../../preload/contract.js';
import { api } from './api.js';

type TopicState = { [T in Topic]: Topics[T] | undefined };

export const topics: TopicState = $state({
  channels: undefined,
  datablocks: undefined,
  broker: undefined,
  discovery: undefined,
});

export const topicErrors: Partial<Record<Topic, string>> = $state({});

export function follow<T extends Topic>(topic: T): void {
  api.subscribe(topic, (value) => {
    topics[topic] = value;
  });
  api.invoke(`${topic}.get`, null).then(
    (value) => {
      topics[topic] = value as Topics[T];
      delete topicErrors[topic];
    },
    (err: Error) => {
      topicErrors[topic] = err.message;
    },
  );
}
