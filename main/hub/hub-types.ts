// Types of the MessageHub public API, apart from the class, so that the modules
// behind the facade can share them without importing the facade.
import type { EventEmitter } from 'node:events';
import type {
  ChannelStateT,
  DataBlockConfigT,
  NotificationType,
  QosClassT,
  SchemaDocumentT,
} from '../protocol/messages.js';
import type { BackoffOptions } from './backoff.js';
import type { HubSecurity } from './client-security.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closed';

export interface MessageHubOptions {
  /** Broker endpoint, e.g. tcp://127.0.0.1:5570 or ipc:///run/hubscope/broker.sock. */
  endpoint: string;
  /** Shown in the broker's client list. Default "hubscope". */
  clientName?: string;
  /** Default per-request timeout. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** How long one connection attempt (connect + HELLO) may take. Default 2000 ms. */
  connectTimeoutMs?: number;
  reconnect?: Partial<BackoffOptions>;
  /**
   * CURVE keys: `{ serverKey }` (the broker's public key, Z85; optionally `clientKeys`,
   * default this user's client key pair, made on first use), or `{ open: true }` for
   * an open broker. Default: the broker's key from its endpoint file in the discovery
   * directory (or this user's own broker key on this machine); open when none is found.
   */
  security?: HubSecurity;
  /** Where to look for the broker's endpoint file (its key); default: the default discovery directory. */
  discoveryDir?: string;
  /** Messages kept in this hub's trace ring (`trace()`). Default 1000. */
  traceCapacity?: number;
}

export interface ProducerRegistrationInput {
  channel: string;
  shmName: string;
  /** Reference into the broker's registry (register the schema first), or... */
  schema?: { id: string; version: number; fingerprint?: string };
  /** ...the full schema document, registered by the broker on the way. */
  schemaDefinition?: SchemaDocumentT;
  config: DataBlockConfigT;
  producerName: string;
  /** Stable producer identity; default: a fresh UUID per registration. */
  producerUid?: string;
  description?: string;
  /** Capability "qos": the channel's class (default normal); sets its heartbeat interval and priority. */
  qos?: QosClassT;
  host?: string;
  pid?: number;
}

export interface ConsumerRegistrationInput {
  channel: string;
  /** Unique per channel; default `<host>-<pid>-<random>`. */
  consumerId?: string;
  consumerName?: string;
  expectedFingerprint?: string;
  /** Capability "groups": join this consumer group (the handle's `share` says which records it owns). */
  group?: string;
  host?: string;
  pid?: number;
}

export interface ChannelFilter {
  states?: ChannelStateT[];
  prefix?: string;
  producerHost?: string;
  limit?: number;
}

export interface HubEventMap {
  state: [state: ConnectionState, previous: ConnectionState];
  connected: [{ bootId: string; restarted: boolean }];
  disconnected: [{ reason: string }];
  'broker-restarted': [{ bootId: string; previousBootId: string }];
  /** Everything this process registered was registered again (after reconnect / restart). */
  reregistered: [{ bootId: string; producers: number; consumers: number; failed: number }];
  notification: [type: NotificationType, body: unknown];
  /** Something odd but harmless (malformed message from the broker...). Never 'error', which would throw. */
  warning: [message: string];
}

/** The modules behind the facade report through the hub's events, and need nothing else of it. */
export type HubEvents = Pick<EventEmitter<HubEventMap>, 'emit'>;
