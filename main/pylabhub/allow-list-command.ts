// What a hub's admin runs so that HubScope may talk to the hub: its public key on the
// hub's allow-list (known_roles, kept in the hub's encrypted vault and read once at
// start, so the hub must be restarted afterwards). The uid given there is also the
// consumer uid HubScope uses when the user attaches to a channel: CONSUMER_REG_REQ is
// accepted only when known_roles[uid] holds the key the request quotes.
import { keyFingerprint } from '../keys/index.js';

/**
 * HubScope's role uid on a hub: `cons.hubscope.k<8 hex of its key fingerprint>`. Valid
 * under the hub's grammar (at least three dot-separated components, each a letter then
 * letters, digits, `_` or `-`; first component `cons`, which CONSUMER_REG_REQ requires).
 */
export function hubscopeConsumerUid(publicKey: string): string {
  return `cons.hubscope.k${keyFingerprint(publicKey).replace(/-/g, '').slice(0, 8)}`;
}

/**
 * The exact command: `plh_hub <hub_dir> --add-known-role hubscope <uid> any '<key>'`.
 * The key is single-quoted: Z85 uses shell characters (`$&<>()*?!#`) but never `'`.
 */
export function allowListCommand(publicKey: string): string {
  return `plh_hub <hub_dir> --add-known-role hubscope ${hubscopeConsumerUid(publicKey)} any '${publicKey}'`;
}

/** The sentence that goes with the command. */
export const ALLOW_LIST_RESTART_NOTE =
  'The hub reads its allow-list only when it starts: restart the hub after adding the key (plh_hub asks for the vault password, or reads PYLABHUB_HUB_PASSWORD).';
