// A bare DEALER speaking the wire format by hand, for tests that need to send
// exactly what they want (malformed frames, no heartbeats, odd versions).
import { randomUUID } from 'node:crypto';
import { Dealer, type SocketOptions } from 'zeromq';
import { generateKeyPair, helloProof, type CurveKeyPair } from '../../../main/keys/index.js';

export interface RawReply {
  type: string;
  correlationId: string;
  body: Record<string, unknown>;
}

export class RawClient {
  readonly socket: Dealer;
  private readonly queue: RawReply[] = [];
  private waiters: Array<() => void> = [];
  private n = 0;

  /** Set for a client of an authenticated broker: its keys, the broker's, its routing id. */
  private curve: { keys: CurveKeyPair; serverKey: string; routingId: string } | undefined;

  /**
   * A raw client of `endpoint`, over CURVE when `serverKey` is given: with `keys`, or
   * one key pair shared by every raw client of this process (one user's processes).
   */
  static forBroker(endpoint: string, serverKey: string | null, keys: CurveKeyPair = sharedKeys()): RawClient {
    if (!serverKey) return new RawClient(endpoint);
    const routingId = `raw-${randomUUID()}`;
    const r = new RawClient(endpoint, {
      curveServerKey: serverKey,
      curvePublicKey: keys.publicKey,
      curveSecretKey: keys.secretKey,
      routingId,
    });
    r.curve = { keys, serverKey, routingId };
    return r;
  }

  /** HELLO for this client: protocol 1, or on CURVE protocol 2 with its key proof. */
  helloBody(name = 'raw-test', versions?: number[]): Record<string, unknown> {
    if (!this.curve) return helloBody(name, versions) as Record<string, unknown>;
    const { keys, serverKey, routingId } = this.curve;
    return {
      ...(helloBody(name, versions ?? [1, 2]) as Record<string, unknown>),
      auth: { publicKey: keys.publicKey, proof: helloProof(keys.secretKey, serverKey, Buffer.from(routingId)) },
    };
  }

  /** `options`: e.g. CURVE keys and a routing id, for an authenticated broker. */
  constructor(endpoint: string, options: SocketOptions<Dealer> = {}) {
    this.socket = new Dealer({ linger: 0, sendTimeout: 1000, ...options });
    this.socket.connect(endpoint);
    void this.read();
  }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const [, type, corr, body] = frames.map((f) => f.toString('utf8'));
        this.queue.push({
          type: type ?? '',
          correlationId: corr ?? '',
          body: body ? (JSON.parse(body) as Record<string, unknown>) : {},
        });
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      // closed
    }
  }

  sendFrames(frames: Array<string | Buffer>): Promise<void> {
    return this.socket.send(frames);
  }

  /** Sends a request with a fresh correlation id and waits for the message carrying it. */
  async request(type: string, body: unknown, timeoutMs = 5000): Promise<RawReply> {
    const corr = `r${++this.n}`;
    await this.socket.send(['HS1', type, corr, JSON.stringify(body)]);
    return this.next((m) => m.correlationId === corr, timeoutMs);
  }

  /** Waits for (and removes) the first queued message matching `match`. */
  async next(match: (m: RawReply) => boolean, timeoutMs = 5000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex(match);
      if (i >= 0) return this.queue.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching message from the broker in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Messages received so far that nobody took. */
  drain(): RawReply[] {
    return this.queue.splice(0);
  }

  close(): void {
    this.socket.close();
  }
}

let shared: CurveKeyPair | undefined;
function sharedKeys(): CurveKeyPair {
  shared ??= generateKeyPair();
  return shared;
}

export function helloBody(name = 'raw-test', versions = [1]): unknown {
  return { versions, client: { name, host: 'testhost', pid: process.pid } };
}

/**
 * A raw client on `endpoint` that has said HELLO for protocols 1 and 2, asking for
 * `capabilities` when given; throws, naming the reply, unless the broker said HELLO_OK.
 */
export async function helloedRawClient(endpoint: string, name: string, capabilities?: string[]): Promise<RawClient> {
  const raw = new RawClient(endpoint);
  const hello = await raw.request('HELLO', {
    ...(helloBody(name, [1, 2]) as object),
    ...(capabilities ? { capabilities } : {}),
  });
  if (hello.type !== 'HELLO_OK') {
    raw.close();
    throw new Error(`HELLO from ${name} got ${hello.type}, not HELLO_OK`);
  }
  return raw;
}
