// The ZAP handler (ZeroMQ RFC 27) that authenticates CURVE clients of every broker
// in this process. libzmq asks the one handler bound at inproc://zeromq.zap.01 in
// the socket's context, so brokers share it: each registers a policy under its own
// ZAP domain, and the handler is bound while at least one broker uses it.
import { Router } from 'zeromq';
import { z85Encode } from '../keys/z85.js';

export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** Decides one CURVE handshake: whether `publicKey` (Z85) may connect. */
export interface ZapPolicy {
  decide(publicKey: string): { ok: true } | { ok: false; reason: string };
}

const policies = new Map<string, ZapPolicy>();
let handler: Router | undefined;
let binding: Promise<void> | undefined;

function answer(frames: Buffer[]): (string | Buffer)[] {
  // [peer routing id, empty delimiter, version, request id, domain, address, identity, mechanism, credentials...]
  const [peer, delimiter, version, requestId, domain, , , mechanism, credentials] = frames;
  const reply = (status: string, text: string) => [peer!, delimiter!, '1.0', requestId ?? '', status, text, '', ''];
  if (version?.toString() !== '1.0') return reply('500', 'unsupported ZAP version');
  const policy = policies.get(domain?.toString() ?? '');
  if (!policy) return reply('400', 'unknown ZAP domain');
  if (mechanism?.toString() !== 'CURVE' || !credentials || credentials.length !== 32) {
    return reply('400', 'CURVE required');
  }
  const verdict = policy.decide(z85Encode(credentials));
  return verdict.ok ? reply('200', 'OK') : reply('400', verdict.reason);
}

async function serve(socket: Router): Promise<void> {
  try {
    for await (const frames of socket) {
      try {
        await socket.send(answer(frames));
      } catch {
        // the handshake it answers is gone
      }
    }
  } catch {
    // closed
  }
}

/** Set while the last handler unbinds: the inproc name is free only once that is done. */
let releasing: Promise<void> | undefined;

/** Registers `policy` under `domain`, binding the shared handler if needed. */
export async function acquireZap(domain: string, policy: ZapPolicy): Promise<void> {
  policies.set(domain, policy);
  if (!handler) {
    const previous = releasing;
    const socket = new Router({ linger: 0 });
    handler = socket;
    binding = (async () => {
      await previous;
      await socket.bind(ZAP_ENDPOINT);
      void serve(socket);
    })();
  }
  await binding;
}

/** Drops the policy; the handler unbinds and closes with the last one. */
export function releaseZap(domain: string): void {
  policies.delete(domain);
  if (policies.size === 0 && handler) {
    const socket = handler;
    const bound = binding;
    handler = undefined;
    binding = undefined;
    releasing = (async () => {
      await bound?.catch(() => undefined);
      await socket.unbind(ZAP_ENDPOINT).catch(() => undefined);
      socket.close();
    })();
  }
}
