// The pylabhub hub's wire format as HubScope implements it (main/pylabhub/): the
// envelope_hash vectors of the protocol description, every framing failure, the
// message definitions, the key files and the allow-list command.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair, writeKeyFile } from '../../main/keys/index.js';
import { allowListCommand, hubscopeConsumerUid } from '../../main/pylabhub/allow-list-command.js';
import { envelopeHash } from '../../main/pylabhub/envelope-hash.js';
import { decodeDealerFrames, decodeRouterFrames, encodePlhFrames } from '../../main/pylabhub/frames.js';
import { readHubPublicKey } from '../../main/pylabhub/key-files.js';
import { plhBodyProblems } from '../../main/pylabhub/messages.js';
import { parseCollectedAt } from '../../main/pylabhub/monitor.js';
import { collectedAtText, hubSchemaHash, zoneHash } from '../support/pylabhub-hub-double.js';

const ID = 'hubscope-monitor-1';
const CORR = '278112b54eccb6f2ffceb50628944755';

describe('pylabhub envelope_hash', () => {
  it('matches the three vectors of the protocol description exactly', () => {
    expect(envelopeHash(ID, 'CHANNEL_LIST_REQ', CORR)).toBe(
      '151bc4d372eed6686536933fd300d606a80d45e1143b20d26ca1b9d34e54a03e',
    );
    expect(envelopeHash(ID, 'CHANNEL_LIST_ACK', CORR)).toBe(
      '94dc6eac226c71d00a899a368a425a9e1220cf54a12786696ed98e99664dd74c',
    );
    expect(envelopeHash('prod.interop.uid00000001', 'CHANNEL_AUTH_CHANGED_NOTIFY', '')).toBe(
      'ada62e687f273507446c3283b626dd17a4759635eba024dc9f0192888f58fcc3',
    );
  });
});

describe('pylabhub frames', () => {
  const good = () => encodePlhFrames(ID, { msgType: 'CHANNEL_LIST_ACK', correlationId: CORR, body: { channels: [] } });

  it('encodes 4 frames with marker C and the envelope hash, and decodes them back', () => {
    const frames = good();
    expect(frames).toHaveLength(4);
    expect(frames[0]).toEqual(Buffer.from('C'));
    const body = JSON.parse(frames[3]!.toString()) as Record<string, unknown>;
    expect(body.envelope_hash).toBe('94dc6eac226c71d00a899a368a425a9e1220cf54a12786696ed98e99664dd74c');
    const decoded = decodeDealerFrames(frames, ID);
    expect(decoded.ok && decoded.message).toEqual({ msgType: 'CHANNEL_LIST_ACK', correlationId: CORR, body });
    const routed = decodeRouterFrames([Buffer.from(ID), ...frames]);
    expect(routed.ok && routed.identity.toString()).toBe(ID);
  });

  it('names every framing failure', () => {
    const f = good();
    const reason = (frames: Buffer[]) => {
      const d = decodeDealerFrames(frames, ID);
      return d.ok ? 'ok' : d.reason;
    };
    expect(reason(f.slice(0, 3))).toBe('frame_count');
    expect(reason([...f, Buffer.from('x')])).toBe('frame_count');
    expect(reason([Buffer.from('X'), f[1]!, f[2]!, f[3]!])).toBe('marker');
    expect(reason([Buffer.from('CC'), f[1]!, f[2]!, f[3]!])).toBe('marker');
    expect(reason([f[0]!, Buffer.alloc(0), f[2]!, f[3]!])).toBe('msg_type');
    expect(reason([f[0]!, Buffer.from('A'.repeat(65)), f[2]!, f[3]!])).toBe('msg_type');
    expect(reason([f[0]!, Buffer.from('BAD TYPE\n'), f[2]!, f[3]!])).toBe('msg_type');
    expect(reason([f[0]!, f[1]!, Buffer.from('a'.repeat(65)), f[3]!])).toBe('correlation_id');
    expect(reason([f[0]!, f[1]!, Buffer.alloc(0), f[3]!])).toBe('correlation_id');
    expect(reason([f[0]!, f[1]!, f[2]!, Buffer.from([0xff, 0xfe])])).toBe('body_utf8');
    expect(reason([f[0]!, f[1]!, f[2]!, Buffer.from('{"a":')])).toBe('body_json');
    expect(reason([f[0]!, f[1]!, f[2]!, Buffer.from('[1,2]')])).toBe('body_not_object');
    expect(reason([f[0]!, f[1]!, f[2]!, Buffer.from('{"channels":[]}')])).toBe('envelope_hash');
    // A hash made for another client's identity is a failure too.
    expect(
      reason(encodePlhFrames('someone-else', { msgType: 'CHANNEL_LIST_ACK', correlationId: CORR, body: {} })),
    ).toBe('envelope_hash');
    expect(decodeRouterFrames(f).ok).toBe(false);
    const bad = decodeDealerFrames([f[0]!, f[1]!, f[2]!, Buffer.from('{"channels":[]}')], ID);
    expect(!bad.ok && bad.detail).toMatch(/envelope_hash of CHANNEL_LIST_ACK does not match/);
  });

  it('allows an empty correlation id only on *_NOTIFY', () => {
    const push = encodePlhFrames('prod.interop.uid00000001', {
      msgType: 'CHANNEL_AUTH_CHANGED_NOTIFY',
      correlationId: '',
      body: { phase: 'live' },
    });
    expect(decodeDealerFrames(push, 'prod.interop.uid00000001').ok).toBe(true);
    expect(() => encodePlhFrames(ID, { msgType: 'CHANNEL_LIST_REQ', correlationId: '', body: {} })).toThrow(
      /empty correlation_id on CHANNEL_LIST_REQ/,
    );
  });
});

describe('pylabhub message definitions', () => {
  it('accept the worked example and unknown keys', () => {
    const ack = {
      channels: [
        {
          consumer_count: 1,
          name: 'lab.demo.counter',
          observable: 'live',
          producer_pid: 4242,
          producer_uid: 'prod.interop.uid00000001',
          producer_uids: ['prod.interop.uid00000001'],
          schema_id: '$lab.demo.counter.v1',
          something_new: { x: 1 },
        },
      ],
      correlation_id: CORR,
      envelope_hash: '94dc6eac226c71d00a899a368a425a9e1220cf54a12786696ed98e99664dd74c',
      status: 'success',
    };
    expect(plhBodyProblems('CHANNEL_LIST_ACK', ack)).toEqual([]);
  });

  it('name the field that differs', () => {
    const problems = plhBodyProblems('CHANNEL_LIST_ACK', {
      envelope_hash: 'a'.repeat(64),
      channels: [{ name: 'x', producer_uids: [], consumer_count: -1, observable: 'live' }],
    });
    expect(problems[0]).toMatch(/CHANNEL_LIST_ACK field \/channels\/0\/consumer_count/);
  });
});

describe('pylabhub key files and allow-list command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubscope-plh-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads hub.pubkey without a newline, and line 1 of a longer file', () => {
    const { publicKey } = generateKeyPair();
    writeFileSync(join(dir, 'hub.pubkey'), publicKey);
    expect(readHubPublicKey(join(dir, 'hub.pubkey'))).toBe(publicKey);
    writeFileSync(join(dir, 'two-lines'), `${publicKey}\n# comment\n`);
    expect(readHubPublicKey(join(dir, 'two-lines'))).toBe(publicKey);
  });

  it('refuses a file of the wrong kind without echoing it', () => {
    const pair = generateKeyPair();
    writeKeyFile(join(dir, 'client.key'), pair);
    let message = '';
    try {
      readHubPublicKey(join(dir, 'client.key'));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/client\.key is not a hub public key file .*JSON file/);
    expect(message).not.toContain(pair.secretKey);
    expect(message).not.toContain(pair.publicKey);
    expect(() => readHubPublicKey(join(dir, 'missing'))).toThrow(/cannot read the hub's public key file .*ENOENT/);
  });

  it("gives a uid valid under the hub's grammar and the exact plh_hub command", () => {
    const { publicKey } = generateKeyPair();
    const uid = hubscopeConsumerUid(publicKey);
    expect(uid).toMatch(/^cons\.hubscope\.k[0-9a-f]{8}$/);
    expect(allowListCommand(publicKey)).toBe(`plh_hub <hub_dir> --add-known-role hubscope ${uid} any '${publicKey}'`);
  });
});

describe('pylabhub metrics time and the double', () => {
  it('parses _collected_at with microseconds as UTC', () => {
    expect(parseCollectedAt('2026-12-01 22:29:05.749626')).toBeCloseTo(Date.UTC(2026, 11, 1, 22, 29, 5) + 749.626, 6);
    expect(parseCollectedAt('yesterday')).toBeNull();
    expect(collectedAtText(new Date(Date.UTC(2026, 11, 1, 22, 29, 5, 749)))).toBe('2026-12-01 22:29:05.749000');
  });

  it("computes the hub's wire-form schema hash of the worked example", () => {
    expect(zoneHash('seq:uint64:1:0|value:float64:1:0|flags:uint32:1:0', 'aligned')).toBe(
      'aaa05396f3cbad139fd9041f37e3713cc6a02fdba73a2b572c44b4deb3bf22ea',
    );
    expect(
      hubSchemaHash({ schemaBlds: 'seq:uint64:1:0|value:float64:1:0|flags:uint32:1:0', schemaPacking: 'aligned' }),
    ).toBe(`aaa05396f3cbad139fd9041f37e3713cc6a02fdba73a2b572c44b4deb3bf22ea${'0'.repeat(64)}`);
  });
});
