// The optional protocol features (HELLO.capabilities) each session was granted.
// Kept beside the session rather than in it: only the handlers of those features ask.
import { CAPABILITIES, type Capability } from '../protocol/messages.js';
import { BrokerError } from './broker-error.js';
import type { Session } from './session.js';

const granted = new WeakMap<Session, ReadonlySet<Capability>>();

/** Grants the known capabilities among those asked for; returns them (unknown ones are ignored). */
export function grantCapabilities(session: Session, asked: readonly string[]): Capability[] {
  const known = CAPABILITIES.filter((c) => asked.includes(c));
  granted.set(session, new Set(known));
  return known;
}

export function hasCapability(session: Session, capability: Capability): boolean {
  return granted.get(session)?.has(capability) ?? false;
}

/** BAD_REQUEST naming the field when a session uses a feature it did not negotiate. */
export function requireCapability(session: Session, capability: Capability, what: string): void {
  if (hasCapability(session, capability)) return;
  throw new BrokerError(
    'BAD_REQUEST',
    `${what} needs capability ${JSON.stringify(capability)}: ask for it in HELLO.capabilities (the broker grants it in HELLO_OK.capabilities)`,
    { capability },
  );
}
