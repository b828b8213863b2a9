// A pylabhub producer's capability socket, for the tests of the consumer-side
// hand-over (main/pylabhub/shm-handover.ts). Node listens on a filesystem
// AF_UNIX socket in a 0700 folder, speaks F1/F2/F3 with tweetnacl, and for the
// last step hands the accepted connection to a python3 child
// (pylabhub-send-memfd.py), which puts a DataBlock image into a memfd and sends
// it with SCM_RIGHTS: Node cannot send descriptors. `behaviour` makes it
// misbehave the ways a real or a hostile peer could.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { z85Decode, z85Encode } from '../../main/keys/z85.js';
import { ROOT, spawnProgram, stopProcess } from './processes.js';

export type ProducerBehaviour =
  /** F1, checks F2, F3, one memfd: what a pylabhub producer does when its hub admitted the consumer. */
  | 'hand-over'
  /** Closes after F3 instead of sending the fd (CONSUMER_ATTACH_REQ_SHM denied). */
  | 'deny'
  /** Closes before F1 (what a producer does to a peer of another OS user). */
  | 'drop'
  /** F3 names another producer key (with a valid proof for it), then sends the fd anyway. */
  | 'wrong-key'
  /** F3 names the right key but proves with another secret, then sends the fd anyway. */
  | 'bad-proof'
  | 'two-fds'
  | 'zero-fds'
  /** F1 announces a 5000-byte frame. */
  | 'oversized-frame'
  /** Accepts and never says anything. */
  | 'silent';

export interface ShmProducerDouble {
  /** unix://<path>, as in CONSUMER_REG_ACK producers[].endpoint. */
  endpoint: string;
  path: string;
  publicKey: string;
  /** Every F2 received. */
  hellos: Array<Record<string, unknown>>;
  /** Per F2: whether challenge_response opened to our challenge under the key it named. */
  verified: boolean[];
  /** What the python3 children printed. */
  childOutput(): string;
  close(): Promise<void>;
}

const SEND_SCRIPT = join(ROOT, 'test', 'support', 'pylabhub-send-memfd.py');

function frame(body: Record<string, unknown>): Buffer {
  const json = Buffer.from(JSON.stringify(body));
  const out = Buffer.alloc(4 + json.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  return out;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export async function startShmProducer(options: {
  dir: string;
  channel: string;
  image: Uint8Array;
  behaviour: ProducerBehaviour;
}): Promise<ShmProducerDouble> {
  const keys = nacl.box.keyPair();
  const publicKey = z85Encode(keys.publicKey);
  const folder = join(options.dir, 'pylabhub');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const imagePath = join(options.dir, `${options.channel}.image`);
  writeFileSync(imagePath, options.image);
  const path = join(folder, `shmcap-${options.channel}.sock`);
  const hellos: Array<Record<string, unknown>> = [];
  const verified: boolean[] = [];
  const sockets = new Set<Socket>();
  const children = new Set<ReturnType<typeof spawnProgram>>();
  let output = '';

  const handOver = (socket: Socket, mode: 'one' | 'two' | 'zero'): void => {
    socket.pause();
    const child = spawnProgram('python3', [SEND_SCRIPT, mode, imagePath], {
      stdio: ['ignore', 'pipe', 'pipe', socket],
    });
    children.add(child);
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', () => {
      children.delete(child);
      socket.destroy();
    });
  };

  const onHello = (
    socket: Socket,
    hello: Record<string, unknown>,
    f1: { nonce: Uint8Array; challenge: Uint8Array },
  ) => {
    hellos.push(hello);
    const consumerPk = new Uint8Array(z85Decode(String(hello['pubkey_z85'])));
    const response = Buffer.from(String(hello['challenge_response_b64']), 'base64');
    const opened = nacl.box.open(response, f1.nonce, consumerPk, keys.secretKey);
    const ok = opened !== null && Buffer.from(opened).equals(Buffer.from(f1.challenge));
    verified.push(ok);
    if (!ok) return void socket.destroy();
    const theirNonce = Buffer.from(String(hello['consumer_nonce_b64']), 'base64');
    const theirChallenge = Buffer.from(String(hello['consumer_challenge_b64']), 'base64');
    const other = nacl.box.keyPair();
    const signer = options.behaviour === 'wrong-key' || options.behaviour === 'bad-proof' ? other : keys;
    const claimed = options.behaviour === 'wrong-key' ? z85Encode(other.publicKey) : publicKey;
    const proof = nacl.box(theirChallenge, theirNonce, consumerPk, signer.secretKey);
    socket.write(frame({ producer_pubkey_z85: claimed, proof_response_b64: b64(proof) }), () => {
      if (options.behaviour === 'deny') return void socket.destroy();
      handOver(socket, options.behaviour === 'two-fds' ? 'two' : options.behaviour === 'zero-fds' ? 'zero' : 'one');
    });
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    switch (options.behaviour) {
      case 'drop':
        return void socket.destroy();
      case 'silent':
        return;
      case 'oversized-frame': {
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32LE(5000, 0);
        return void socket.write(prefix);
      }
    }
    const f1 = { nonce: nacl.randomBytes(24), challenge: nacl.randomBytes(16) };
    socket.write(frame({ protocol_version: 'hep-0041-1', nonce_b64: b64(f1.nonce), challenge_b64: b64(f1.challenge) }));
    let pending = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 4) return;
      const length = pending.readUInt32LE(0);
      if (pending.length < 4 + length) return;
      socket.off('data', onData);
      const hello = JSON.parse(pending.subarray(4, 4 + length).toString()) as Record<string, unknown>;
      onHello(socket, hello, f1);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o700);

  return {
    endpoint: `unix://${path}`,
    path,
    publicKey,
    hellos,
    verified,
    childOutput: () => output,
    close: async () => {
      await Promise.all([...children].map((c) => stopProcess(c)));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
