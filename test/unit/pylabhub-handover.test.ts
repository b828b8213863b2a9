// The consumer side of pylabhub's shared-memory hand-over, against a real
// producer double: a filesystem AF_UNIX socket, F1/F2/F3 with real crypto_box,
// and a real memfd sent with SCM_RIGHTS by a python3 child.
import { chownSync, ftruncateSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { H, HEADER_SIZE } from '../../main/datablock/format.js';
import { decodeStruct, layoutOf } from '../../main/datablock/schema.js';
import { z85Encode } from '../../main/keys/z85.js';
import {
  HandoverError,
  attachDataBlock,
  closeHandover,
  openDataBlockFromFd,
  receiveDataBlockFd,
  type ConsumerIdentity,
} from '../../main/pylabhub/shm-handover.js';
import { killAllChildren } from '../support/processes.js';
import { startShmProducer, type ProducerBehaviour, type ShmProducerDouble } from '../support/pylabhub-shm-producer.js';
import { VECTOR_SCHEMA, writerImage } from './datablock-helpers.js';

const CHANNEL = 'lab.handover.test';

function consumerIdentity(): ConsumerIdentity {
  const pair = nacl.box.keyPair();
  return { uid: 'cons.hubscope.test', publicKey: z85Encode(pair.publicKey), secretKey: z85Encode(pair.secretKey) };
}

function openFds(): string[] {
  return readdirSync('/proc/self/fd').sort();
}

let dir: string;
let producer: ShmProducerDouble | null = null;
let fdsBefore: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hs-handover-'));
  fdsBefore = openFds();
});

afterEach(async () => {
  await producer?.close();
  producer = null;
  killAllChildren();
  rmSync(dir, { recursive: true, force: true });
});

async function start(behaviour: ProducerBehaviour, image: Uint8Array = writerImage()): Promise<ShmProducerDouble> {
  producer = await startShmProducer({ dir, channel: CHANNEL, image, behaviour });
  return producer;
}

function target(p: ShmProducerDouble) {
  return { channel: CHANNEL, producerUid: 'prod.test.one', producerPublicKey: p.publicKey, endpoint: p.endpoint };
}

async function failure(promise: Promise<unknown>): Promise<HandoverError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandoverError);
  return err as HandoverError;
}

/** After the double is closed, this process holds exactly the descriptors it held before the test. */
async function expectNoFdLeak(): Promise<void> {
  await producer?.close();
  producer = null;
  // Pipes of the python child and the worker's loop close a moment after they exit.
  for (let i = 0; i < 50 && openFds().length !== fdsBefore.length; i++) await new Promise((r) => setTimeout(r, 20));
  expect(openFds()).toEqual(fdsBefore);
}

describe('pylabhub shm hand-over (consumer side)', () => {
  it('receives the memfd and reads the records the writer wrote', async () => {
    const p = await start('hand-over');
    const consumer = consumerIdentity();
    const reader = await attachDataBlock(target(p), consumer);
    try {
      expect(reader.name).toBe(`memfd:${CHANNEL}`);
      expect(reader.report.valid).toBe(true);
      const records = reader.recent(4, { verify: true });
      expect(records.map((r) => r.id)).toEqual([2n, 3n, 4n, 5n]);
      expect(records.every((r) => r.checksumOk === true)).toBe(true);
      const values = records.map((r) => decodeStruct(layoutOf(VECTOR_SCHEMA.slot), r.bytes));
      expect(values.map((v) => v['seq'])).toEqual([0x1002n, 0x1003n, 0x1004n, 0x1005n]);
      expect(values.map((v) => v['value'])).toEqual([3, 4.5, 6, 7.5]);
    } finally {
      reader.close();
    }
    // The producer saw a hello it could verify, asking for mutual auth.
    expect(p.verified).toEqual([true]);
    expect(p.hellos[0]).toMatchObject({
      protocol_version: 'hep-0041-1',
      role_uid: 'cons.hubscope.test',
      pubkey_z85: consumer.publicKey,
      role_type: 'consumer',
    });
    expect(typeof p.hellos[0]?.['consumer_nonce_b64']).toBe('string');
    expect(typeof p.hellos[0]?.['consumer_challenge_b64']).toBe('string');
    expect(p.childOutput()).toContain('sent 1');
    await expectNoFdLeak();
  });

  it('hands back a checked fd the caller owns and can open later', async () => {
    const image = writerImage();
    const p = await start('hand-over', image);
    const handover = await receiveDataBlockFd(target(p), consumerIdentity(), { timeoutMs: 5000 });
    expect(handover.size).toBe(image.length);
    expect(handover.dataByte).toBe(0);
    const reader = openDataBlockFromFd(handover);
    try {
      expect(reader.commitIndex()).toBe(5n);
      // The mapping goes through the SIGBUS guard: a producer shrinking the memfd
      // under it makes reads fail with an error, not kill the process.
      ftruncateSync(handover.fd, HEADER_SIZE);
      expect(() => reader.recent(4)).toThrow(/truncated under the mapping/);
      closeHandover(handover); // the reader holds its own duplicate
      expect(reader.validate().problems.join()).toMatch(/shrank/);
    } finally {
      reader.close();
    }
    await expectNoFdLeak();
  });

  it('says the hub did not admit the key when the producer closes instead of sending', async () => {
    const p = await start('deny');
    const err = await failure(attachDataBlock(target(p), consumerIdentity()));
    expect(err.kind).toBe('denied');
    expect(err.message).toContain(
      'the producer refused the hand-over: its hub did not admit this consumer key (CONSUMER_ATTACH denied)',
    );
    await expectNoFdLeak();
  });

  it('says the producer runs as another OS user when it drops us before F1', async () => {
    const p = await start('drop');
    const err = await failure(attachDataBlock(target(p), consumerIdentity()));
    expect(err.kind).toBe('other-user');
    expect(err.message).toMatch(/drops peers that run as another OS user/);
    await expectNoFdLeak();
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a socket owned by another user before dialling', async () => {
    const p = await start('hand-over');
    chownSync(p.path, 65534, 65534);
    const err = await failure(attachDataBlock(target(p), consumerIdentity()));
    expect(err.kind).toBe('other-user');
    expect(err.message).toMatch(/the producer runs as another OS user: its socket .* belongs to uid 65534/);
    expect(p.hellos).toEqual([]);
    await expectNoFdLeak();
  });

  it('refuses a producer whose F3 names another key, and installs none of what it sends', async () => {
    const p = await start('wrong-key');
    const err = await failure(attachDataBlock(target(p), consumerIdentity()));
    expect(err.kind).toBe('wrong-producer');
    expect(err.message).toMatch(/identified as producer key .* but the hub named/);
    await expectNoFdLeak();
  });

  it('refuses a producer that cannot prove the key it names', async () => {
    const p = await start('bad-proof');
    const err = await failure(attachDataBlock(target(p), consumerIdentity()));
    expect(err.kind).toBe('wrong-producer');
    expect(err.message).toMatch(/does not hold the secret key of producer/);
    await expectNoFdLeak();
  });

  it('says the producer did not accept our proof when it closes after F2 (a stale producer key)', async () => {
    const p = await start('hand-over');
    const stale = z85Encode(nacl.box.keyPair().publicKey);
    const err = await failure(attachDataBlock({ ...target(p), producerPublicKey: stale }, consumerIdentity()));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/closed the connection after our hello \(F2\)/);
    expect(p.verified).toEqual([false]);
    await expectNoFdLeak();
  });

  it.each([
    ['two-fds', /expected exactly one file descriptor \(SCM_RIGHTS\), got 2/],
    ['zero-fds', /expected exactly one file descriptor \(SCM_RIGHTS\), got 0/],
  ] as const)('refuses a hand-over with %s and closes what came', async (behaviour, message) => {
    const p = await start(behaviour);
    const err = await failure(attachDataBlock(target(p), consumerIdentity()));
    expect(err.kind).toBe('bad-handover');
    expect(err.message).toMatch(message);
    await expectNoFdLeak();
  });

  it('refuses an oversized frame length before reading it', async () => {
    const p = await start('oversized-frame');
    const err = await failure(attachDataBlock(target(p), consumerIdentity()));
    expect(err.kind).toBe('bad-frame');
    expect(err.message).toBe('F1: the producer announced a 5000-byte frame; frames hold 1..4096 bytes');
    await expectNoFdLeak();
  });

  it('times out on a producer that never speaks', async () => {
    const p = await start('silent');
    const err = await failure(attachDataBlock(target(p), consumerIdentity(), { timeoutMs: 300 }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe("the hand-over timed out after 300 ms waiting for the producer's challenge (F1)");
    await expectNoFdLeak();
  });

  it('refuses a segment the reader cannot read, and closes it', async () => {
    const image = writerImage();
    image.writeBigUInt64LE(BigInt(image.length + 4096), H.totalBlockSize); // wrong total_block_size
    const p = await start('hand-over', image);
    const err = await attachDataBlock(target(p), consumerIdentity()).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).toBe('DataBlockError');
    expect(err?.message).toMatch(/cannot be read: .*total_block_size/);
    await expectNoFdLeak();
  });

  it('says clearly what is wrong with its own arguments', async () => {
    const consumer = consumerIdentity();
    const bad = async (t: Parameters<typeof attachDataBlock>[0], c = consumer) =>
      (await failure(attachDataBlock(t, c))).message;
    const key = z85Encode(nacl.box.keyPair().publicKey);
    expect(await bad({ channel: CHANNEL, producerPublicKey: key, endpoint: 'tcp://127.0.0.1:5' })).toMatch(
      /is not unix:\/\/<path>/,
    );
    expect(await bad({ channel: CHANNEL, producerPublicKey: 'short', endpoint: 'unix:///tmp/x.sock' })).toMatch(
      /producer's public key .* must be a 40-character Z85 CURVE key/,
    );
    expect(
      await bad({ channel: CHANNEL, producerPublicKey: key, endpoint: `unix:///tmp/${'x'.repeat(120)}.sock` }),
    ).toMatch(/longer than the 107/);
    const missing = join(dir, 'none.sock');
    const err = await failure(
      attachDataBlock({ channel: CHANNEL, producerPublicKey: key, endpoint: `unix://${missing}` }, consumer, {
        timeoutMs: 1000,
      }),
    );
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain(`cannot connect to the producer's hand-over socket ${missing}`);
    await expectNoFdLeak();
  });
});
