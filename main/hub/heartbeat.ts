// Keeps the broker's view of this process alive: one HEARTBEAT per interval lists
// every registration, and a broker that stops answering is presumed hung.
import type { ReplyBody, RequestBody } from '../protocol/messages.js';
import type { ConnectionGeneration } from './connection-generation.js';
import { HubError } from './hub-error.js';

export interface HeartbeatContent {
  /** What to list in the next HEARTBEAT. */
  body(): RequestBody<'HEARTBEAT'>;
  /** The broker's answer (it names registrations it no longer knows). */
  answered(link: ConnectionGeneration, reply: ReplyBody<'HEARTBEAT'>): void;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  /** A slow broker must not get a second heartbeat queued behind the first. */
  private inFlight = false;

  constructor(private readonly content: HeartbeatContent) {}

  /** `timeoutMs`: late replies are tolerated up to the liveness timeout, only then is the broker presumed hung. */
  start(link: ConnectionGeneration, intervalMs: number, timeoutMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.beat(link, timeoutMs), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.inFlight = false;
  }

  private async beat(link: ConnectionGeneration, timeoutMs: number): Promise<void> {
    if (this.inFlight || !link.current) return;
    this.inFlight = true;
    try {
      const reply = (await link.send('HEARTBEAT', this.content.body(), timeoutMs)) as ReplyBody<'HEARTBEAT'>;
      this.content.answered(link, reply);
    } catch (err) {
      if (err instanceof HubError && err.code === 'TIMEOUT') link.lost('the broker stopped answering heartbeats');
    } finally {
      // A stale beat must not clear the flag of the next connection's heartbeat.
      if (link.current) this.inFlight = false;
    }
  }
}
