// Worker thread of the shared-memory hand-over (shm-handover.ts starts it): runs
// the blocking AF_UNIX calls of the native addon, each bounded by what is left
// of the deadline, so the main thread never waits on a socket. It reports once,
// with the received descriptor's number (descriptors belong to the process, so
// the number is all the main thread needs) or with a HandoverError's kind and
// message, and always closes its socket before it reports.
import { parentPort, workerData } from 'node:worker_threads';
import { native } from '../native/binding.js';
import type { NativeBinding, UnixFdError } from '../native/binding.js';
import {
  HandoverError,
  buildF2,
  checkF3,
  decodeFrameBody,
  decodeKeys,
  frameLength,
  parseF1,
  type ConsumerIdentity,
} from './handover-frames.js';

/** What shm-handover.ts passes in workerData. */
export interface HandoverJob {
  path: string;
  producerPublicKey: string;
  consumer: ConsumerIdentity;
  /** The whole hand-over's length (for messages) and its end (Date.now() clock), set by the caller. */
  timeoutMs: number;
  deadline: number;
}

/** The one message the worker posts. */
export type HandoverReply = { ok: true; fd: number; dataByte: number } | { ok: false; kind: string; message: string };

/** Upstream consumers try to connect at most 10 times, 100 ms apart (the producer may still be binding). */
const CONNECT_TRIES = 10;
const CONNECT_PAUSE_MS = 100;
const RETRY_CONNECT = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function codeOf(err: unknown): string {
  return (err as UnixFdError).code ?? '';
}

class Exchange {
  private readonly deadline: number;

  constructor(
    private readonly nat: NativeBinding,
    private readonly job: HandoverJob,
  ) {
    this.deadline = job.deadline;
  }

  /** Milliseconds left, or a timeout naming the step that was waiting. */
  private left(step: string): number {
    const ms = this.deadline - Date.now();
    if (ms <= 0) throw this.timeout(step);
    return ms;
  }

  private timeout(step: string): HandoverError {
    return new HandoverError('timeout', `the hand-over timed out after ${this.job.timeoutMs} ms waiting for ${step}`);
  }

  connect(): number {
    for (let attempt = 1; ; attempt++) {
      try {
        return this.nat.unixConnect(this.job.path);
      } catch (err) {
        const code = codeOf(err);
        if (!RETRY_CONNECT.has(code) || attempt >= CONNECT_TRIES || this.deadline - Date.now() <= CONNECT_PAUSE_MS) {
          throw new HandoverError(
            code === 'EACCES' ? 'other-user' : 'unreachable',
            `cannot connect to the producer's hand-over socket ${this.job.path} (${attempt} ${attempt === 1 ? 'try' : 'tries'}): ${(err as Error).message}` +
              (code === 'ENOENT' || code === 'ECONNREFUSED' ? ' (is the producer running on this machine?)' : ''),
          );
        }
        sleep(CONNECT_PAUSE_MS);
      }
    }
  }

  /**
   * Exactly `n` bytes (never more: the byte after a frame may carry the
   * descriptor). null when the peer closed before the first byte.
   */
  private readExact(fd: number, n: number, step: string, whole: string): Uint8Array | null {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      let chunk: Buffer;
      try {
        chunk = this.nat.unixRead(fd, n - got, this.left(step));
      } catch (err) {
        if (err instanceof HandoverError) throw err;
        if (codeOf(err) === 'ETIMEDOUT') throw this.timeout(step);
        if (codeOf(err) === 'ECONNRESET') chunk = Buffer.alloc(0);
        else throw new HandoverError('failed', `reading ${whole}: ${(err as Error).message}`);
      }
      if (chunk.length === 0) {
        if (got === 0) return null;
        throw new HandoverError('bad-frame', `the producer closed the connection in the middle of ${whole}`);
      }
      out.set(chunk, got);
      got += chunk.length;
    }
    return out;
  }

  /** One frame's JSON object, or null when the peer closed before it. */
  readFrame(fd: number, name: string, step: string): Record<string, unknown> | null {
    const prefix = this.readExact(fd, 4, step, name);
    if (!prefix) return null;
    const length = frameLength(prefix, name);
    const body = this.readExact(fd, length, step, name);
    if (!body) throw new HandoverError('bad-frame', `the producer closed the connection in the middle of ${name}`);
    return decodeFrameBody(body, name);
  }

  write(fd: number, bytes: Uint8Array, step: string): void {
    try {
      this.nat.unixWrite(fd, bytes, this.left(step));
    } catch (err) {
      if (err instanceof HandoverError) throw err;
      if (codeOf(err) === 'ETIMEDOUT') throw this.timeout(step);
      if (codeOf(err) === 'EPIPE' || codeOf(err) === 'ECONNRESET') {
        throw new HandoverError('rejected', `the producer closed the connection while we sent ${step}`);
      }
      throw new HandoverError('failed', `sending ${step}: ${(err as Error).message}`);
    }
  }

  receiveFd(fd: number): { fd: number; dataByte: number } {
    const step = 'the segment descriptor (after F3)';
    try {
      return this.nat.unixReceiveFd(fd, this.left(step));
    } catch (err) {
      if (err instanceof HandoverError) throw err;
      const code = codeOf(err);
      if (code === 'ETIMEDOUT') throw this.timeout(step);
      if (code === 'EOF' || code === 'ECONNRESET') {
        throw new HandoverError(
          'denied',
          'the producer refused the hand-over: its hub did not admit this consumer key (CONSUMER_ATTACH denied). ' +
            'Register the key as a consumer of the channel first (CONSUMER_REG_REQ), and check that the channel admits one more consumer',
        );
      }
      if (code === 'EFDCOUNT') {
        throw new HandoverError(
          'bad-handover',
          `the producer's hand-over is not one segment: ${(err as Error).message}`,
        );
      }
      throw new HandoverError('failed', `receiving the segment descriptor: ${(err as Error).message}`);
    }
  }

  run(): { fd: number; dataByte: number } {
    const keys = decodeKeys(this.job.consumer, this.job.producerPublicKey);
    const sock = this.connect();
    try {
      const f1 = this.readFrame(sock, 'F1', "the producer's challenge (F1)");
      if (!f1) {
        throw new HandoverError(
          'other-user',
          `the producer closed the connection before its challenge (F1): a pylabhub producer drops peers that run as another OS user (HubScope runs as uid ${process.getuid?.() ?? '?'})`,
        );
      }
      const hello = buildF2(this.job.consumer, keys, parseF1(f1));
      this.write(sock, hello.frame, 'our hello (F2)');
      const f3 = this.readFrame(sock, 'F3', "the producer's proof (F3)");
      if (!f3) {
        throw new HandoverError(
          'rejected',
          'the producer closed the connection after our hello (F2) without proving its identity (F3): it did not accept ' +
            "our challenge response; check that the consumer key pair is the one registered and that the producer's key from the hub is current",
        );
      }
      checkF3(f3, this.job.producerPublicKey, keys, hello.ours);
      return this.receiveFd(sock);
    } finally {
      try {
        this.nat.closeFd(sock);
      } catch {
        // Already gone: nothing left to release.
      }
    }
  }
}

function reply(message: HandoverReply): void {
  parentPort?.postMessage(message);
}

try {
  const received = new Exchange(native(), workerData as HandoverJob).run();
  reply({ ok: true, fd: received.fd, dataByte: received.dataByte });
} catch (err) {
  const kind = err instanceof HandoverError ? err.kind : 'failed';
  reply({ ok: false, kind, message: (err as Error).message });
}
