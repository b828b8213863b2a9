// Child processes of broker-flood.test.ts:
//   broker <heartbeatMs>                       a real broker on a free loopback port;
//                                              prints {"event":"listening",...} and then
//                                              its log lines (JSON) on stdout
//   flood <endpoint> <dealers> <durationMs> <maxPerDealer>
//                                              DEALERs that send malformed and oversized
//                                              messages as fast as ZeroMQ takes them and
//                                              never read a reply; prints {"event":"done",...}
import { Dealer } from 'zeromq';
import { startBroker } from '../../main/broker/broker.js';
import { createLogger } from '../../main/broker/logger.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../main/protocol/frames.js';

function print(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

async function runBrokerChild(heartbeatIntervalMs: number): Promise<void> {
  const broker = await startBroker({
    endpoint: 'tcp://127.0.0.1:0',
    heartbeatIntervalMs,
    // Raw frames from processes without keys: flood control is the same in every mode.
    open: true,
    logger: createLogger({ level: 'info', json: true, write: (line) => process.stdout.write(line + '\n') }),
  });
  print({ event: 'listening', endpoint: broker.endpoint, pid: process.pid });
  process.on('SIGTERM', () => void broker.close().then(() => process.exit(0)));
}

/** 262,000-byte bodies that are valid-looking JSON nested all the way down. */
function deepArray(bytes: number): Buffer {
  const half = Math.floor(bytes / 2);
  return Buffer.from('['.repeat(half) + ']'.repeat(bytes - half));
}
function deepObject(bytes: number): Buffer {
  const open = '{"a":';
  const n = Math.floor((bytes - 1) / (open.length + 1));
  return Buffer.from(open.repeat(n) + '1' + '}'.repeat(n));
}

function garbageMix(): Array<Array<string | Buffer>> {
  const max = DEFAULT_MAX_MESSAGE_BYTES;
  const deepA = deepArray(262_000);
  const deepO = deepObject(262_000);
  const tooLarge = Buffer.alloc(max + 100_000, 0x78); // over the limit, under ZeroMQ's cut-off
  const flat = Buffer.from('[' + '1,'.repeat(100_000) + '1]'); // parses, but is not an object
  return [
    ['HS1', 'PING', 'd1', deepA],
    ['HS1', 'HELLO', 'd2', deepO],
    ['HS1', 'DISCOVER', 'd3', tooLarge],
    ['HS1', 'PING', 'd4', flat],
    ['HS1', 'PING', 'd5', '{not json'],
    ['XX', 'PING', 'd6', '{}'],
    ['HS1', 'PING'],
    ['HS1', 'NO_SUCH_TYPE', 'd7', '{}'],
    ['HS1', 'PING', 'd8', '{}'], // no HELLO: HELLO_REQUIRED
    ['HS1', 'DISCOVER', 'd9', deepA],
  ];
}

async function runFlooder(endpoint: string, dealers: number, durationMs: number, maxPerDealer: number): Promise<void> {
  const mix = garbageMix();
  // Now and then a frame over ZeroMQ's cut-off (2x the limit): the broker's ZeroMQ drops
  // the connection on reading its size; the DEALER reconnects and floods on.
  const huge: Array<string | Buffer> = ['HS1', 'PING', 'd0', Buffer.alloc(DEFAULT_MAX_MESSAGE_BYTES * 3, 0x20)];
  const until = Date.now() + durationMs;
  let sent = 0;
  let bytes = 0;
  let refused = 0;
  const sockets = Array.from({ length: dealers }, () => {
    const s = new Dealer({ linger: 0, sendHighWaterMark: 100, sendTimeout: 500 });
    s.connect(endpoint);
    return s;
  });
  await Promise.all(
    sockets.map(async (socket, k) => {
      for (let i = 0; i < maxPerDealer && Date.now() < until; i++) {
        const frames = i % 500 === 499 ? huge : mix[(i + k) % mix.length]!;
        try {
          await socket.send(frames);
        } catch {
          refused++; // not connected (dropped for a huge frame, reconnecting) or queue full
          continue;
        }
        sent++;
        for (const f of frames) bytes += f.length;
      }
    }),
  );
  print({ event: 'done', sent, bytes, refused });
  for (const s of sockets) s.close();
}

const [mode, ...args] = process.argv.slice(2);
const run =
  mode === 'broker'
    ? runBrokerChild(Number(args[0]))
    : mode === 'flood'
      ? runFlooder(args[0]!, Number(args[1]), Number(args[2]), Number(args[3]))
      : Promise.reject(new Error(`unknown mode ${String(mode)}; use broker or flood`));
run.catch((err: unknown) => {
  console.error(`broker-flood-child: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
