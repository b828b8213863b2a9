// Attach to a pylabhub memfd DataBlock as a consumer: the consumer side of
// the shared-memory hand-over (docs/pylabhub.md, "Attaching to a memfd channel").
// The hub admits the consumer key first (CONSUMER_REG_REQ, done by the monitor's
// attachAsConsumer); this module then dials the producer's capability socket,
// proves the key, checks the producer's proof, receives the memfd and opens it
// through HubScope's DataBlock reader.
//
// API (all that other modules need):
//   receiveDataBlockFd(target, consumer, { timeoutMs? }) -> Promise<HandoverResult>
//       the hand-over itself; resolves with a checked memfd (regular file, size > 0,
//       at least a header, PLHB magic) that the caller owns and must closeHandover().
//   openDataBlockFromFd(handover) -> DataBlockReader
//       maps it (PROT_READ|PROT_WRITE, MAP_SHARED, as pylabhub consumers do) and
//       validates it with the reader's checks (version, total_block_size = file
//       size, layout checksum, known layout hash as a warning); the reader keeps
//       its own duplicate of the descriptor, so the caller may close it at once.
//   attachDataBlock(target, consumer, { timeoutMs? }) -> Promise<DataBlockReader>
//       both, closing the received descriptor whatever happens: what the live and
//       inspect code wants (the reader is the same class as for /dev/shm segments).
//   closeHandover(handover)
// Failures are HandoverError (kind + a sentence; handover-frames.ts) or, for a
// segment the reader refuses, DataBlockError.
//
// The socket work runs in a worker thread (handover-worker.ts): Node's `net`
// cannot receive SCM_RIGHTS, and the native calls that can are blocking.
import { closeSync, fstatSync, lstatSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DataBlockError, DataBlockReader } from '../datablock/reader.js';
import { HEADER_SIZE, MAGIC } from '../datablock/format.js';
import type { SegmentTarget } from '../datablock/names.js';
import { native } from '../native/binding.js';
import { HandoverError, decodeKeys, type ConsumerIdentity } from './handover-frames.js';
import type { HandoverJob, HandoverReply } from './handover-worker.js';

export { HandoverError, type HandoverErrorKind, type ConsumerIdentity } from './handover-frames.js';

/** Where to attach: PylabhubAttachTarget (monitor.ts) fits this shape. */
export interface HandoverTarget {
  channel: string;
  producerPublicKey: string;
  /** `unix://<absolute path>` from CONSUMER_REG_ACK producers[].endpoint. */
  endpoint: string;
}

export interface HandoverOptions {
  /** Whole hand-over, connect to checked memfd. Default 5000 ms. */
  timeoutMs?: number;
}

/** A received, checked memfd. The caller owns `fd` (closeHandover). */
export interface HandoverResult {
  fd: number;
  /** Bytes of the memfd (fstat). */
  size: number;
  channel: string;
  /** The data byte that came with the descriptor (pylabhub sends 0). */
  dataByte: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const MAX_TIMEOUT_MS = 60_000;
/** pylabhub consumers wait up to 2 s for a mapped header to be ready. */
const HEADER_WAIT_MS = 2000;
/** Beyond the deadline the worker keeps itself to, before it is given up on. */
const WORKER_GRACE_MS = 2000;
/** sockaddr_un.sun_path holds 108 bytes including the NUL. */
const MAX_SOCKET_PATH = 107;

function socketPath(endpoint: string): string {
  if (typeof endpoint !== 'string' || !endpoint.startsWith('unix://')) {
    throw new HandoverError(
      'bad-input',
      `the producer's endpoint ${JSON.stringify(String(endpoint).slice(0, 120))} is not unix://<path>: not a shared-memory channel, or not on this machine`,
    );
  }
  const path = endpoint.slice('unix://'.length);
  if (!path.startsWith('/') || path.includes('\0')) {
    throw new HandoverError('bad-input', `the producer's socket ${JSON.stringify(path)} is not an absolute path`);
  }
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new HandoverError(
      'bad-input',
      `the producer's socket path is ${Buffer.byteLength(path)} bytes, longer than the ${MAX_SOCKET_PATH} a unix socket address holds`,
    );
  }
  return path;
}

/**
 * What can be said before dialling: a socket owned by another user (or in a
 * folder we may not enter) belongs to a producer that would drop us anyway.
 * A missing socket is left to the worker, which retries as upstream consumers do.
 */
function checkSocketFile(path: string): void {
  const uid = process.getuid?.();
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      throw new HandoverError(
        'other-user',
        `the producer runs as another OS user: its socket folder ${dirname(path)} is private to that user (HubScope runs as uid ${uid ?? '?'}); run HubScope as the producer's user`,
      );
    }
    return;
  }
  if (!st.isSocket()) throw new HandoverError('bad-input', `${path} is not a unix socket`);
  if (uid !== undefined && st.uid !== uid) {
    throw new HandoverError(
      'other-user',
      `the producer runs as another OS user: its socket ${path} belongs to uid ${st.uid}, HubScope runs as uid ${uid}; ` +
        "a producer hands its segment only to processes of its own user, so run HubScope as the producer's user",
    );
  }
}

/** tsx's ESM API, for starting the worker from the TypeScript sources (tests, tsx). */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const entry = pkg.exports['./esm/api']?.import?.default;
  if (!entry) throw new Error('tsx has no ESM API entry');
  return pathToFileURL(join(dirname(manifest), entry)).href;
}

function startWorker(job: HandoverJob): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // From source (vitest, tsx): a worker cannot load .ts by itself; tsx's API can.
    const file = new URL('./handover-worker.ts', here).href;
    const code = `import(${JSON.stringify(tsxApiUrl())}).then((m) => m.tsImport(${JSON.stringify(file)}, ${JSON.stringify(file)}))`;
    return new Worker(code, { eval: true, workerData: job });
  }
  return new Worker(new URL('./handover-worker.js', here), { workerData: job });
}

/** Runs the exchange in a worker; resolves once the worker has exited. */
function runWorker(job: HandoverJob): Promise<{ fd: number; dataByte: number }> {
  return new Promise((resolve, reject) => {
    let answer: HandoverReply | null = null;
    let failure: Error | null = null;
    const worker = startWorker(job);
    // The worker bounds every call by the deadline; this only catches a worker
    // that never answers. Its descriptors are then left alone: closing numbers
    // it may already have closed could close someone else's.
    const timer = setTimeout(
      () => {
        failure = new HandoverError('timeout', `the hand-over worker did not finish within ${job.timeoutMs} ms`);
        void worker.terminate();
      },
      job.deadline - Date.now() + WORKER_GRACE_MS,
    );
    worker.on('message', (m: HandoverReply) => {
      answer ??= m;
    });
    worker.on('error', (err) => {
      failure ??= new HandoverError('failed', `the hand-over worker failed: ${err.message}`);
    });
    worker.on('exit', () => {
      clearTimeout(timer);
      if (answer?.ok) {
        if (failure) closeQuietly(answer.fd);
        else return resolve({ fd: answer.fd, dataByte: answer.dataByte });
      }
      if (failure) return reject(failure);
      if (answer && !answer.ok) return reject(new HandoverError(answer.kind as HandoverError['kind'], answer.message));
      reject(new HandoverError('failed', 'the hand-over worker exited without an answer'));
    });
  });
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isSocket()) return 'a socket';
  if (st.isFIFO()) return 'a pipe';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

async function waitForMagic(fd: number, channel: string, deadline: number): Promise<void> {
  const head = Buffer.alloc(4);
  const until = Math.min(deadline, Date.now() + HEADER_WAIT_MS);
  for (;;) {
    if (readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32LE(0) === MAGIC) return;
    if (Date.now() >= until) {
      throw new HandoverError(
        'bad-handover',
        `the segment of ${channel} handed over has no PLHB magic (not a DataBlock, or still not initialised after ${HEADER_WAIT_MS} ms)`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Checks what arrived is a usable memfd: a regular file, size > 0, a header long, the PLHB magic. */
async function checkMemfd(fd: number, channel: string, deadline: number): Promise<number> {
  const st = fstatSync(fd);
  if (!st.isFile())
    throw new HandoverError('bad-handover', `the producer of ${channel} handed over ${kindOf(st)}, not a memfd`);
  if (st.size <= 0)
    throw new HandoverError('bad-handover', `the producer of ${channel} handed over an empty segment (0 bytes)`);
  if (st.size < HEADER_SIZE) {
    throw new HandoverError(
      'bad-handover',
      `the segment of ${channel} handed over is ${st.size} bytes, smaller than the ${HEADER_SIZE}-byte DataBlock header`,
    );
  }
  await waitForMagic(fd, channel, deadline);
  return st.size;
}

/**
 * Steps 3-6 of the hand-over: dial the producer's socket, answer its challenge
 * with the consumer key, check its proof, receive exactly one memfd and check it.
 * The consumer key must already be admitted to the channel by the hub.
 */
export async function receiveDataBlockFd(
  target: HandoverTarget,
  consumer: ConsumerIdentity,
  options: HandoverOptions = {},
): Promise<HandoverResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new HandoverError('bad-input', `timeoutMs must be an integer 1..${MAX_TIMEOUT_MS}, got ${timeoutMs}`);
  }
  if (typeof consumer?.uid !== 'string' || consumer.uid.length === 0 || consumer.uid.length > 256) {
    throw new HandoverError('bad-input', 'the consumer role uid must be a non-empty string of at most 256 characters');
  }
  const deadline = Date.now() + timeoutMs;
  const path = socketPath(target.endpoint);
  decodeKeys(consumer, target.producerPublicKey); // bad keys are said here, before any socket
  checkSocketFile(path);
  const job: HandoverJob = {
    path,
    producerPublicKey: target.producerPublicKey,
    consumer: { uid: consumer.uid, publicKey: consumer.publicKey, secretKey: consumer.secretKey },
    timeoutMs,
    deadline,
  };
  const received = await runWorker(job);
  try {
    const size = await checkMemfd(received.fd, target.channel, deadline);
    return { fd: received.fd, size, channel: target.channel, dataByte: received.dataByte };
  } catch (err) {
    closeQuietly(received.fd);
    throw err;
  }
}

/** Maps a received memfd and opens it with HubScope's DataBlock reader (shown as `memfd:<channel>`). */
export function openDataBlockFromFd(handover: HandoverResult): DataBlockReader {
  const display = `memfd:${handover.channel}`;
  const target: SegmentTarget = { mode: 'file', target: display, display, path: display };
  const reader = new DataBlockReader(target, undefined, () => new (native().Segment)(display, 'fd', handover.fd, true));
  if (!reader.report.valid) {
    const problems = reader.report.problems.join('; ');
    reader.close();
    throw new DataBlockError(`the segment handed over for ${handover.channel} cannot be read: ${problems}`);
  }
  return reader;
}

/** Closes the received descriptor (a reader made from it keeps its own). */
export function closeHandover(handover: HandoverResult): void {
  closeQuietly(handover.fd);
}

/** The hand-over and the reader in one: the descriptor is closed whatever happens. */
export async function attachDataBlock(
  target: HandoverTarget,
  consumer: ConsumerIdentity,
  options: HandoverOptions = {},
): Promise<DataBlockReader> {
  const handover = await receiveDataBlockFd(target, consumer, options);
  try {
    return openDataBlockFromFd(handover);
  } finally {
    closeHandover(handover);
  }
}
