// One generation of the broker connection (one DEALER socket), as seen by the work started on it.
// Re-registrations and heartbeats outlive the socket they began on; the link lets
// them notice that, instead of acting on (or tearing down) the next connection.
import type { RequestType } from '../protocol/messages.js';

export interface ConnectionGeneration {
  /** Sends on this connection's socket, even when it is no longer current (it then fails fast). */
  send(type: RequestType, body: unknown, timeoutMs: number): Promise<unknown>;
  /** False once the hub has moved on to another socket or closed. */
  readonly current: boolean;
  /** Reports this connection dead; ignored when it is no longer current. */
  lost(reason: string): void;
}
