// The one error type of the MessageHub client. `code` is from the closed list in
// main/protocol/error-codes.ts: broker codes come from ERROR replies, client codes
// (UNAVAILABLE, TIMEOUT, CLOSED, PROTOCOL_ERROR) are raised locally.
import { errorCodeInfo, type HubErrorCode } from '../protocol/error-codes.js';

export class HubError extends Error {
  override name = 'HubError';
  /** What a client should do about it (from the code table). */
  readonly action: string;

  constructor(
    readonly code: HubErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.action = errorCodeInfo(code).action;
  }
}

export function isHubError(err: unknown, code?: HubErrorCode): err is HubError {
  return err instanceof HubError && (code === undefined || err.code === code);
}

/** The one error for "no broker to talk to right now", whatever the cause. */
export function unavailable(endpoint: string, why: string): HubError {
  return new HubError('UNAVAILABLE', `MessageHub broker at ${endpoint} is unavailable: ${why}`, { endpoint });
}
