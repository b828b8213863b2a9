// The protocol is defined once (main/protocol/messages.ts): these tests fail when the
// JSON Schema files in docs/protocol/ or the prose in docs/protocol.md drift from it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../main/paths.js';
import { BROKER_ERROR_CODE_LIST, CLIENT_ERROR_CODE_LIST } from '../../main/protocol/error-codes.js';
import { decodeFrames, FRAME_TAG } from '../../main/protocol/frames.js';
import { protocolSchemaFiles, withMessageReference } from '../../main/protocol/json-schemas.js';
import { NOTIFICATION_TYPES, REQUEST_TYPES, replyTypeOf } from '../../main/protocol/messages.js';
import { channelNameProblem } from '../../main/protocol/names.js';
import { requestProblem } from '../../main/protocol/validators.js';

const docsDir = join(packageRoot(), 'docs', 'protocol');

describe('protocol definitions', () => {
  it('docs/protocol/*.json are exactly what the TypeBox definitions generate (run npm run gen:protocol-docs)', () => {
    const expected = protocolSchemaFiles();
    const onDisk = readdirSync(docsDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(onDisk).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(readFileSync(join(docsDir, name), 'utf8'), `docs/protocol/${name} is out of date`).toBe(text);
    }
  });

  it('docs/protocol.md documents every message type and every error code', () => {
    const md = readFileSync(join(packageRoot(), 'docs', 'protocol.md'), 'utf8');
    const names = [
      ...REQUEST_TYPES,
      ...REQUEST_TYPES.map(replyTypeOf),
      ...NOTIFICATION_TYPES,
      'ERROR',
      ...BROKER_ERROR_CODE_LIST,
      ...CLIENT_ERROR_CODE_LIST,
    ];
    const missing = names.filter((n) => !new RegExp(`\\b${n}\\b`).test(md));
    expect(missing).toEqual([]);
    expect(md).toContain(FRAME_TAG);
    expect(md, 'the generated message reference in docs/protocol.md is out of date').toBe(withMessageReference(md));
  });

  it('applies the channel naming rule', () => {
    for (const ok of ['lab.demo.counter', 'sensor_data', 'rig-2.cam0.frames', 'A', '0.1'])
      expect(channelNameProblem(ok), ok).toBeUndefined();
    for (const bad of ['', '.lab', 'lab.', 'lab..x', 'lab/x', 'lab x', '-lab', 'lab._x', 'x'.repeat(129), 'läb']) {
      expect(channelNameProblem(bad), bad).toBeDefined();
    }
    expect(requestProblem('DISCOVER', { channel: 'lab/x' })).toMatch(/\/channel/);
    expect(requestProblem('DISCOVER', { channel: 'lab.x' })).toBeUndefined();
  });

  it('validates bodies with messages that name the field and value', () => {
    const p = requestProblem('PRODUCER_REGISTER', { channel: 'a', shmName: '/a', config: { policy: 'Ring' } });
    expect(p).toMatch(/PRODUCER_REGISTER body: field \/\w+/);
    expect(requestProblem('HELLO', { versions: [], client: { name: 'x', host: 'h', pid: 1 } })).toMatch(/\/versions/);
  });

  it('decodes frames and reports what is wrong without parsing more than needed', () => {
    const buf = (...xs: string[]) => xs.map((x) => Buffer.from(x));
    const ok = decodeFrames(buf('HS1', 'PING', 'a1', ''), 1000, true);
    expect(ok).toEqual({ ok: true, message: { type: 'PING', correlationId: 'a1', body: {} } });
    const big = decodeFrames(buf('HS1', 'PING', 'a2', 'x'.repeat(2000)), 1000, true);
    expect(big).toMatchObject({ ok: false, problem: { code: 'TOO_LARGE', correlationId: 'a2' } });
    expect(decodeFrames(buf('HS1', 'PING', '', '{}'), 1000, true)).toMatchObject({
      ok: false,
      problem: { code: 'BAD_REQUEST' },
    });
    // Notifications (from the broker) carry an empty correlation id.
    expect(decodeFrames(buf('HS1', 'BROKER_SHUTDOWN', '', '{"reason":"x"}'), 1000, false)).toMatchObject({ ok: true });
    expect(decodeFrames(buf('HS2', 'PING', 'a3', '{}'), 1000, true)).toMatchObject({
      ok: false,
      problem: { code: 'UNSUPPORTED_VERSION' },
    });
  });
});
