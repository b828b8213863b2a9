// A request the broker refuses: becomes an ERROR reply with the code's action text.
import type { BrokerErrorCode } from '../protocol/error-codes.js';

export class BrokerError extends Error {
  override name = 'BrokerError';
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
