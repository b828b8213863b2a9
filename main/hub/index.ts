// Public API of the MessageHub client.
export {
  MessageHub,
  type ConnectionState,
  type MessageHubOptions,
  type ProducerRegistrationInput,
  type ConsumerRegistrationInput,
  type ChannelFilter,
} from './message-hub.js';
export { ProducerHandle, ConsumerHandle, type DroppedEvent } from './registrations.js';
export { HubError, isHubError } from './hub-error.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export type { HubSecurity } from './client-security.js';
export type { ClientConnectionMetrics } from './connection-metrics.js';
export type { TraceEntry, TraceFilter } from '../protocol/trace.js';
