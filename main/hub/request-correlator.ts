// Matches replies to requests. Many requests may be outstanding on one DEALER, and
// the broker answers in any order, so each carries a correlation id; every request
// has its own timeout so that a silent broker never leaves a caller waiting forever.
// Every request and its outcome are counted and traced in the hub's ConnectionMetrics.
import { performance } from 'node:perf_hooks';
import type { Dealer } from 'zeromq';
import { isBrokerErrorCode } from '../protocol/error-codes.js';
import { FRAME_TAG } from '../protocol/frames.js';
import { ERROR_TYPE, REPLY_SUFFIX, type RequestType } from '../protocol/messages.js';
import { errorBodyProblem, replyProblem } from '../protocol/validators.js';
import { channelOf } from '../protocol/trace.js';
import { frameBytes, type ConnectionMetrics } from './connection-metrics.js';
import { HubError, unavailable } from './hub-error.js';

interface Pending {
  type: RequestType;
  /** performance.now() when it was sent. */
  sentAt: number;
  channel: string | undefined;
  resolve(body: unknown): void;
  reject(err: HubError): void;
  timer: NodeJS.Timeout;
}

export class RequestCorrelator {
  private readonly pending = new Map<string, Pending>();
  private nextCorrelation = 0;

  constructor(
    private readonly endpoint: string,
    private readonly metrics?: ConnectionMetrics,
  ) {}

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
      this.metrics?.error('TOO_LARGE');
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
        this.metrics?.timedOut();
        reject(
          new HubError('TIMEOUT', `no reply to ${type} from ${this.endpoint} within ${timeoutMs} ms`, {
            endpoint: this.endpoint,
            type,
          }),
        );
      }, timeoutMs);
      const channel = channelOf(body);
      this.pending.set(correlationId, { type, sentAt: performance.now(), channel, resolve, reject, timer });
      const fail = (err: unknown) => {
        if (!this.pending.has(correlationId)) return;
        this.reject(correlationId, unavailable(this.endpoint, `cannot send ${type} (${(err as Error).message})`));
      };
      try {
        const frames = [FRAME_TAG, type, correlationId, json];
        socket.send(frames).catch(fail);
        this.metrics?.sent(type, correlationId, body, frameBytes(frames));
      } catch (err) {
        fail(err); // closed socket or a busy one: both mean "not now"
      }
    });
  }

  /**
   * Settles the request a reply answers. Returns the code of an ERROR reply, so
   * that the connection can react to HELLO_REQUIRED. `bytes`: the reply's size on the wire.
   */
  settle(correlationId: string, type: string, body: Record<string, unknown>, bytes = 0): HubError['code'] | undefined {
    const p = this.pending.get(correlationId);
    if (!p) {
      // Timed out already: still a message received, so the trace shows it came late.
      this.metrics?.unmatched(type, correlationId, body, bytes);
      return undefined;
    }
    const answered = (code?: string) =>
      this.metrics?.answered(type, correlationId, p, bytes, performance.now() - p.sentAt, code);
    if (type === ERROR_TYPE) {
      const problem = errorBodyProblem(body);
      if (problem || !isBrokerErrorCode(body.code)) {
        answered('PROTOCOL_ERROR');
        this.fail(
          correlationId,
          new HubError('PROTOCOL_ERROR', `malformed ERROR reply to ${p.type}: ${problem ?? 'unknown code'}`),
        );
        return undefined;
      }
      answered(body.code);
      const details = (body.details ?? undefined) as Record<string, unknown> | undefined;
      this.fail(correlationId, new HubError(body.code, String(body.message), details));
      return body.code;
    }
    if (type !== p.type + REPLY_SUFFIX) {
      answered('PROTOCOL_ERROR');
      this.fail(
        correlationId,
        new HubError('PROTOCOL_ERROR', `expected ${p.type}${REPLY_SUFFIX} or ERROR, got ${type}`),
      );
      return undefined;
    }
    const problem = replyProblem(p.type, body);
    if (problem) {
      answered('PROTOCOL_ERROR');
      this.fail(correlationId, new HubError('PROTOCOL_ERROR', `malformed reply from the broker: ${problem}`));
      return undefined;
    }
    answered();
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.resolve(body);
    return undefined;
  }

  /** Fails one outstanding request; false when none has that id (it timed out, or never was). */
  reject(correlationId: string, err: HubError): boolean {
    if (!this.pending.has(correlationId)) return false;
    this.metrics?.error(err.code);
    return this.fail(correlationId, err);
  }

  /** Fails every outstanding request: their connection is gone and will not answer. */
  rejectAll(error: () => HubError): void {
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      clearTimeout(p.timer);
      const err = error();
      this.metrics?.error(err.code);
      p.reject(err);
    }
  }

  /** Fails a request without counting it (the caller has). */
  private fail(correlationId: string, err: HubError): boolean {
    const p = this.pending.get(correlationId);
    if (!p) return false;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.reject(err);
    return true;
  }
}
