// One client connection as the broker knows it after HELLO: its ROUTER identity
// (where replies and notifications go) and what it registered through it.
import type { ConsumerRegistration, ProducerRegistration } from './channel-registry.js';

/** The CURVE client key a session proved in HELLO (protocol 2); its fingerprint for messages. */
export interface ClientKey {
  key: string;
  fingerprint: string;
}

export interface Session {
  /** ROUTER identity as a latin1 string (map key). */
  key: string;
  identity: Buffer;
  name: string;
  host: string;
  pid: number;
  protocolVersion: number;
  /** Undefined on an open broker. Fixed for the session: a later HELLO must prove the same key. */
  client: ClientKey | undefined;
  connectedAt: number;
  lastSeenAt: number;
  producers: Set<ProducerRegistration>;
  consumers: Set<ConsumerRegistration>;
}

export function createSession(
  identity: Buffer,
  client: { name: string; host: string; pid: number },
  protocolVersion: number,
  now: number,
  clientKey?: ClientKey,
): Session {
  return {
    key: identity.toString('latin1'),
    identity,
    name: client.name,
    host: client.host,
    pid: client.pid,
    protocolVersion,
    client: clientKey,
    connectedAt: now,
    lastSeenAt: now,
    producers: new Set(),
    consumers: new Set(),
  };
}
