// Matches replies to requests. Many requests may be outstanding on one DEALER, and
// the broker answers in any order, so each carries a correlation id; every request
// has its own timeout so that a silent broker never leaves a caller waiting forever.
import type { Dealer } from 'zeromq';
import { isBrokerErrorCode } from '../protocol/error-codes.js';
import { FRAME_TAG } from '../protocol/frames.js';
import { ERROR_TYPE, REPLY_SUFFIX, type RequestType } from '../protocol/messages.js';
import { errorBodyProblem, replyProblem } from '../protocol/validators.js';
import { HubError, unavailable } from './hub-error.js';

interface Pending {
  type: RequestType;
  resolve(body: unknown): void;
  reject(err: HubError): void;
  timer: NodeJS.Timeout;
}

export class RequestCorrelator {
  private readonly pending = new Map<string, Pending>();
  private nextCorrelation = 0;

  constructor(private readonly endpoint: string) {}

  /** Sends one request on `socket`; resolves with the validated reply body, rejects with HubError. */
  send(
    socket: Dealer,
    type: RequestType,
    body: unknown,
    timeoutMs: number,
    maxMessageBytes: number | undefined,
  ): Promise<unknown> {
    const correlationId = (this.nextCorrelation = (this.nextCorrelation + 1) % 0x7fffffff).toString(36);
    const json = JSON.stringify(body);
    if (maxMessageBytes !== undefined && json.length > maxMessageBytes) {
      return Promise.reject(
        new HubError(
          'TOO_LARGE',
          `${type} of ${json.length} bytes exceeds the broker's limit of ${maxMessageBytes} bytes`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(
          new HubError('TIMEOUT', `no reply to ${type} from ${this.endpoint} within ${timeoutMs} ms`, {
            endpoint: this.endpoint,
            type,
          }),
        );
      }, timeoutMs);
      this.pending.set(correlationId, { type, resolve, reject, timer });
      const fail = (err: unknown) => {
        if (!this.pending.has(correlationId)) return;
        this.reject(correlationId, unavailable(this.endpoint, `cannot send ${type} (${(err as Error).message})`));
      };
      try {
        socket.send([FRAME_TAG, type, correlationId, json]).catch(fail);
      } catch (err) {
        fail(err); // closed socket or a busy one: both mean "not now"
      }
    });
  }

  /**
   * Settles the request a reply answers. Returns the code of an ERROR reply, so
   * that the connection can react to HELLO_REQUIRED.
   */
  settle(correlationId: string, type: string, body: Record<string, unknown>): HubError['code'] | undefined {
    const p = this.pending.get(correlationId);
    if (!p) return undefined; // timed out already
    if (type === ERROR_TYPE) {
      const problem = errorBodyProblem(body);
      if (problem || !isBrokerErrorCode(body.code)) {
        this.reject(
          correlationId,
          new HubError('PROTOCOL_ERROR', `malformed ERROR reply to ${p.type}: ${problem ?? 'unknown code'}`),
        );
        return undefined;
      }
      const details = (body.details ?? undefined) as Record<string, unknown> | undefined;
      this.reject(correlationId, new HubError(body.code, String(body.message), details));
      return body.code;
    }
    if (type !== p.type + REPLY_SUFFIX) {
      this.reject(
        correlationId,
        new HubError('PROTOCOL_ERROR', `expected ${p.type}${REPLY_SUFFIX} or ERROR, got ${type}`),
      );
      return undefined;
    }
    const problem = replyProblem(p.type, body);
    if (problem) {
      this.reject(correlationId, new HubError('PROTOCOL_ERROR', `malformed reply from the broker: ${problem}`));
      return undefined;
    }
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.resolve(body);
    return undefined;
  }

  /** Fails one outstanding request; false when none has that id (it timed out, or never was). */
  reject(correlationId: string, err: HubError): boolean {
    const p = this.pending.get(correlationId);
    if (!p) return false;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.reject(err);
    return true;
  }

  /** Fails every outstanding request: their connection is gone and will not answer. */
  rejectAll(error: () => HubError): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      clearTimeout(p.timer);
      p.reject(error());
    }
  }
}
