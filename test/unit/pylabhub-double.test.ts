// The hub double itself (test/support/pylabhub-hub-double.ts), spoken to with raw
// DEALERs: silence where the hub is silent, envelope checks on what it receives, and
// the CONSUMER_REG_REQ gates. Silence on a connection that works is shown by order:
// a good request sent after the bad one is the first to be answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { generateKeyPair, type CurveKeyPair } from '../../main/keys/index.js';
import { envelopeHash } from '../../main/pylabhub/envelope-hash.js';
import { PylabhubHubDouble } from '../support/pylabhub-hub-double.js';

const CONS = 'cons.tester.uid00000001';
let hub: PylabhubHubDouble;
let keys: CurveKeyPair;
const dealers: Dealer[] = [];

function dealer(id: string, curve: boolean | CurveKeyPair = true): Dealer {
  const own = curve === true ? keys : curve;
  const d = new Dealer({
    routingId: id,
    linger: 0,
    receiveTimeout: 1500,
    ...(own ? { curveServerKey: hub.publicKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey } : {}),
  });
  d.connect(hub.endpoint);
  dealers.push(d);
  return d;
}

async function send(
  d: Dealer,
  id: string,
  type: string,
  body: Record<string, unknown>,
  corr = PylabhubHubDouble.nonce(),
) {
  await d.send(['C', type, corr, JSON.stringify({ ...body, envelope_hash: envelopeHash(id, type, corr) })]);
  return corr;
}

async function reply(d: Dealer): Promise<{ type: string; corr: string; body: Record<string, unknown> }> {
  const [marker, type, corr, body] = await d.receive();
  expect(marker?.toString()).toBe('C');
  return {
    type: type!.toString(),
    corr: corr!.toString(),
    body: JSON.parse(body!.toString()) as Record<string, unknown>,
  };
}

function regBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channel_name: 'lab.gates',
    role_uid: CONS,
    role_type: 'consumer',
    data_transport: 'shm',
    zmq_pubkey: keys.publicKey,
    abi_fingerprint: { broker_proto_major: 7 },
    consumer_pid: 1,
    client_nonce: PylabhubHubDouble.nonce(),
    client_wall_ts: Date.now(),
    ...over,
  };
}

beforeAll(async () => {
  keys = generateKeyPair();
  hub = await PylabhubHubDouble.start({
    knownRoles: [{ name: 't', uid: CONS, role: 'consumer', pubkey_z85: keys.publicKey }],
  });
  hub.addChannel({
    name: 'lab.gates',
    producerUid: 'prod.gates.uid00000002',
    producerPid: 2,
    transport: 'shm',
    endpoint: 'unix:///tmp/g.sock',
  });
  hub.heartbeat('lab.gates', 'prod.gates.uid00000002');
});
afterAll(async () => {
  for (const d of dealers) d.close();
  await hub.close();
});

describe('pylabhub hub double', () => {
  it('answers with the envelope hash of the client identity and echoes the correlation id', async () => {
    const d = dealer('hubscope-monitor-1');
    const corr = await send(d, 'hubscope-monitor-1', 'CHANNEL_LIST_REQ', {});
    const r = await reply(d);
    expect(r).toMatchObject({ type: 'CHANNEL_LIST_ACK', corr, body: { correlation_id: corr, status: 'success' } });
    expect(r.body.envelope_hash).toBe(envelopeHash('hubscope-monitor-1', 'CHANNEL_LIST_ACK', corr));
  });

  it('drops a bad envelope hash, SHM_BLOCK_QUERY_REQ and a rejected NOTIFY silently', async () => {
    const d = dealer('hubscope-monitor-2');
    const corr = PylabhubHubDouble.nonce();
    await d.send([
      'C',
      'CHANNEL_LIST_REQ',
      corr,
      JSON.stringify({ envelope_hash: envelopeHash('x', 'CHANNEL_LIST_REQ', corr) }),
    ]);
    await send(d, 'hubscope-monitor-2', 'SHM_BLOCK_QUERY_REQ', { channel_name: 'lab.gates' });
    await d.send([
      'C',
      'HEARTBEAT_NOTIFY',
      '',
      JSON.stringify({ envelope_hash: envelopeHash('hubscope-monitor-2', 'HEARTBEAT_NOTIFY', '') }),
    ]);
    const unknown = await send(d, 'hubscope-monitor-2', 'NO_SUCH_REQ', {});
    const r = await reply(d);
    expect(r).toMatchObject({ type: 'ERROR', corr: unknown, body: { error_code: 'UNKNOWN_MSG_TYPE' } });
    expect(hub.dropped).toContain('envelope_hash of CHANNEL_LIST_REQ');
  });

  it('is silent to the NULL mechanism and to an unlisted key', async () => {
    for (const [id, curve] of [
      ['hubscope-null', false],
      ['hubscope-stranger', generateKeyPair()],
    ] as const) {
      const d = dealer(id, curve);
      await send(d, id, 'CHANNEL_LIST_REQ', {}).catch(() => undefined);
      await expect(d.receive()).rejects.toThrow();
      expect(hub.received.filter((m) => m.identity === id)).toEqual([]);
    }
  });

  it('gates CONSUMER_REG_REQ: id, known key, replay pair, one-to-one cardinality', async () => {
    hub.heartbeat('lab.gates', 'prod.gates.uid00000002'); // the silence test took longer than the ready timeout
    const other = dealer('hubscope-monitor-3');
    await send(other, 'hubscope-monitor-3', 'CONSUMER_REG_REQ', regBody());
    expect((await reply(other)).body.error_code).toBe('IDENTITY_MISMATCH');

    const d = dealer(CONS);
    await send(d, CONS, 'CONSUMER_REG_REQ', regBody({ zmq_pubkey: generateKeyPair().publicKey }));
    expect((await reply(d)).body.error_code).toBe('PUBKEY_MISMATCH');
    await send(d, CONS, 'CONSUMER_REG_REQ', regBody({ client_wall_ts: Date.now() - 60_000 }));
    expect((await reply(d)).body).toMatchObject({ error_code: 'REPLAY_OR_SKEW', field: 'client_wall_ts' });
    const nonce = PylabhubHubDouble.nonce();
    await send(d, CONS, 'CONSUMER_REG_REQ', regBody({ client_nonce: nonce }));
    const ack = await reply(d);
    expect(ack.type).toBe('CONSUMER_REG_ACK');
    expect(ack.body.producers).toEqual([
      { role_uid: 'prod.gates.uid00000002', pubkey_z85: '', endpoint: 'unix:///tmp/g.sock' },
    ]);
    await send(d, CONS, 'CONSUMER_REG_REQ', regBody({ client_nonce: nonce }));
    expect((await reply(d)).body).toMatchObject({ error_code: 'REPLAY_OR_SKEW', field: 'client_nonce' });

    const second = 'cons.second.uid00000003';
    const secondKeys = generateKeyPair();
    hub.addKnownRole({ name: 's', uid: second, role: 'consumer', pubkey_z85: secondKeys.publicKey });
    const d2 = dealer(second, secondKeys);
    await send(d2, second, 'CONSUMER_REG_REQ', regBody({ role_uid: second, zmq_pubkey: secondKeys.publicKey }));
    expect((await reply(d2)).body.error_code).toBe('ONE_TO_ONE_CARDINALITY_VIOLATED');

    await send(d, CONS, 'CONSUMER_DEREG_REQ', {
      channel_name: 'lab.gates',
      role_uid: CONS,
      consumer_pid: 1,
      client_nonce: PylabhubHubDouble.nonce(),
      client_wall_ts: Date.now(),
    });
    expect((await reply(d)).type).toBe('CONSUMER_DEREG_ACK');
    expect(hub.pushes.map((p) => p.body.phase)).toEqual(['admitted', 'left']);
  });
});
