// Why a request to the pylabhub hub got no reply, decided from what the socket saw
// (PlhLinkObservation): still connecting, unreachable (nothing accepts, or the hub went
// away) or silent (it accepts connections but answers nothing, which is what a hub
// does to a key not on its allow-list), with the sentence a user can act on.
import { keyFingerprint } from '../keys/index.js';
import { ALLOW_LIST_RESTART_NOTE, allowListCommand } from './allow-list-command.js';
import { PlhRequestError, type PlhLinkObservation } from './hub-client.js';
import type { PylabhubHubState } from './monitor-types.js';

export interface NoAnswerContext {
  endpoint: string;
  ownPublicKey: string;
  hubKey: string;
  lastReplyAt: number | null;
}

export interface NoAnswerVerdict {
  state: Exclude<PylabhubHubState, 'reachable'>;
  problem: string;
}

/** The hub's state and problem sentence after a request failed with `err`. */
export function judgeNoAnswer(err: unknown, seen: PlhLinkObservation, ctx: NoAnswerContext): NoAnswerVerdict {
  const why = err instanceof PlhRequestError ? err.message : String(err);
  const { endpoint } = ctx;
  const fp = keyFingerprint(ctx.ownPublicKey);
  // No connection now and none made since the last reply: nothing accepts connections
  // (never did, or the hub went away). A connection that answers nothing is silence.
  // "Unreachable" needs evidence (a refused attempt, or the connection that answered
  // dropped): the socket's events arrive asynchronously, and on a loaded machine a
  // request can time out before the event of a connection that was made.
  if (!seen.tcpConnected && seen.connectsSinceReply === 0 && !seen.everReplied && seen.retriesSinceConnect === 0) {
    return {
      state: 'connecting',
      problem: `no answer from the pylabhub hub at ${endpoint} yet, and no connection attempt has been refused or made so far (${why}); still trying`,
    };
  }
  if (!seen.tcpConnected && seen.connectsSinceReply === 0) {
    return {
      state: 'unreachable',
      problem: seen.everReplied
        ? `the pylabhub hub at ${endpoint} is gone: the connection closed and ${why} (last reply ${ctx.lastReplyAt ? new Date(ctx.lastReplyAt).toISOString() : 'never'}); is the hub still running?`
        : `the pylabhub hub at ${endpoint} is unreachable: nothing accepts TCP connections there (${why}); check the endpoint (the hub.json network.broker_endpoint) and that the hub runs`,
    };
  }
  const observed = seen.authRefused
    ? "The hub's authentication refused this key during the handshake."
    : seen.everHandshake
      ? 'The CURVE handshake completed, so the keys were accepted, but no valid reply came (is this the broker port, not the admin port?).'
      : seen.handshakeFailures > 0
        ? 'The CURVE handshake never completed.'
        : 'The TCP connection is up but the handshake has not completed.';
  return {
    state: 'silent',
    problem:
      `the pylabhub hub at ${endpoint} is silent: it accepts connections but ${seen.everReplied ? 'stopped answering' : 'has answered nothing'} (${why}). ` +
      `The likely cause is that HubScope's key (fingerprint ${fp}) is not on the hub's allow-list; ` +
      `or the hub key file does not hold this hub's key (fingerprint ${keyFingerprint(ctx.hubKey)}): the hub is silent for both. ${observed} ` +
      `Ask the hub's admin to run: ${allowListCommand(ctx.ownPublicKey)} ${ALLOW_LIST_RESTART_NOTE}`,
  };
}
