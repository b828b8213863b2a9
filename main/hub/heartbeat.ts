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
  /** The shortest interval a registration asked for (a critical channel, capability "qos"); kept across reconnects. */
  private fastestMs = Infinity;
  private running: { link: ConnectionGeneration; intervalMs: number; timeoutMs: number } | undefined;

  constructor(private readonly content: HeartbeatContent) {}

  /** `timeoutMs`: late replies are tolerated up to the liveness timeout, only then is the broker presumed hung. */
  start(link: ConnectionGeneration, intervalMs: number, timeoutMs: number): void {
    this.stop();
    const every = Math.min(intervalMs, this.fastestMs);
    this.running = { link, intervalMs, timeoutMs };
    this.timer = setInterval(() => void this.beat(link, timeoutMs), every);
  }

  /** A registration must be refreshed at least every `intervalMs` (PRODUCER_REGISTER_OK.heartbeatIntervalMs). */
  atMost(intervalMs: number): void {
    if (intervalMs >= this.fastestMs) return;
    this.fastestMs = intervalMs;
    if (this.running) this.start(this.running.link, this.running.intervalMs, this.running.timeoutMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.running = undefined;
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
