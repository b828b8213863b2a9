// The protocol is defined once (main/protocol/messages.ts): these tests fail when the
// JSON Schema files in docs/protocol/ or the prose in docs/protocol.md drift from it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../main/paths.js';
import {
  BROKER_ERROR_CODE_LIST,
  BROKER_ERROR_CODES,
  CLIENT_ERROR_CODE_LIST,
  CLIENT_ERROR_CODES,
} from '../../main/protocol/error-codes.js';
import { decodeFrames, echoableCorrelationId, FRAME_TAG } from '../../main/protocol/frames.js';
import { protocolSchemaFiles, withMessageReference } from '../../main/protocol/json-schemas.js';
import { NOTIFICATIONS, NOTIFICATION_TYPES, REQUEST_TYPES, replyTypeOf } from '../../main/protocol/messages.js';
import { channelNameProblem, CORRELATION_ID_MAX } from '../../main/protocol/names.js';
import { requestProblem, requestRejection } from '../../main/protocol/validators.js';

const docsDir = join(packageRoot(), 'docs', 'protocol');
const protocolMd = () => readFileSync(join(packageRoot(), 'docs', 'protocol.md'), 'utf8');

/** The hand-written part of docs/protocol.md (everything but the generated sections). */
function proseOf(md: string): string {
  return md
    .replace(/<!-- BEGIN GENERATED ERROR CODES[\s\S]*?<!-- END GENERATED ERROR CODES -->/, '')
    .replace(/<!-- BEGIN GENERATED MESSAGE REFERENCE[\s\S]*?<!-- END GENERATED MESSAGE REFERENCE -->/, '');
}

/** GitHub's anchor for a markdown heading. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

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

  it('docs/protocol.md section 8 is the error-code table of error-codes.ts (and so of error-codes.json)', () => {
    const md = protocolMd();
    const json = JSON.parse(readFileSync(join(docsDir, 'error-codes.json'), 'utf8')) as {
      brokerErrorCodes: typeof BROKER_ERROR_CODES;
      clientErrorCodes: typeof CLIENT_ERROR_CODES;
    };
    for (const [code, info] of [...Object.entries(json.brokerErrorCodes), ...Object.entries(json.clientErrorCodes)]) {
      expect(md, code).toContain(
        `| \`${code}\` | ${info.meaning.replace(/\|/g, '\\|')} | ${info.action.replace(/\|/g, '\\|')} |`,
      );
    }
  });

  it('docs/protocol.md never sends a reader outside the repository for the DataBlock format', () => {
    const md = protocolMd();
    const texts = [md, ...[...protocolSchemaFiles().values()]];
    for (const text of texts) {
      expect(text).not.toMatch(/\bspec(ification)?,? section\b|DataBlock spec\b|shared\/spec/i);
    }
    const format = readFileSync(join(packageRoot(), 'docs', 'datablock-format.md'), 'utf8');
    const anchors = new Set(
      format
        .split('\n')
        .filter((l) => /^#{1,6} /.test(l))
        .map((l) => anchorOf(l.replace(/^#+ /, ''))),
    );
    const links = [...md.matchAll(/\]\(datablock-format\.md(#[^)]*)?\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) if (link) expect(anchors, `docs/datablock-format.md${link}`).toContain(link.slice(1));
    for (const section of ['Schemas, BLDS and fingerprints', 'Write protocol', 'Read protocol'])
      expect(md).toContain(`(datablock-format.md#${anchorOf(section)})`);
  });

  it('docs/protocol.md explains every notification reason in its prose', () => {
    const prose = proseOf(protocolMd());
    for (const type of NOTIFICATION_TYPES) {
      const reason = (NOTIFICATIONS[type].body.properties as Record<string, { anyOf?: Array<{ const?: unknown }> }>)
        .reason;
      for (const value of reason?.anyOf?.map((a) => a.const) ?? []) {
        expect(prose, `${type} reason ${String(value)}`).toContain(`reason:"${String(value)}"`);
      }
    }
  });

  it('the generated field tables carry the array bounds of the JSON Schemas', () => {
    const md = protocolMd();
    expect(md).toContain('| `schema.slot.fields` | array of object (1..4096 items) |');
    expect(md).toContain('| `consumers` | array of object (0..10000 items) |');
    expect(md).toContain('| `producers` | array of string');
  });

  it('documents the correlation-id rule the decoder applies', () => {
    expect(protocolMd()).toContain(`1–${CORRELATION_ID_MAX} printable ASCII characters`);
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
    expect(decodeFrames(buf('XYZ', 'PING', 'a4', '{}'), 1000, true)).toMatchObject({
      ok: false,
      problem: { code: 'BAD_REQUEST', correlationId: 'a4' },
    });
  });

  it('takes correlation ids up to 128 printable characters and echoes what it can of a bad one', () => {
    const buf = (...xs: string[]) => xs.map((x) => Buffer.from(x));
    const uuid = '6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f';
    expect(decodeFrames(buf('HS1', 'PING', uuid, ''), 1000, true)).toMatchObject({
      ok: true,
      message: { correlationId: uuid },
    });
    const max = 'k'.repeat(CORRELATION_ID_MAX);
    expect(decodeFrames(buf('HS1', 'PING', max, ''), 1000, true)).toMatchObject({ ok: true });
    expect(decodeFrames(buf('HS1', 'PING', max + 'k', ''), 1000, true)).toMatchObject({
      ok: false,
      problem: { code: 'BAD_REQUEST', correlationId: max },
    });
    expect(echoableCorrelationId(Buffer.from('ab cd'))).toBe('ab');
    expect(echoableCorrelationId(Buffer.from([0, 0x41]))).toBe('');
    expect(echoableCorrelationId(undefined)).toBe('');
  });

  it('classifies a bad field inside a schema document as SCHEMA_INVALID', () => {
    const doc = (slot: unknown) => ({ id: 's', version: 1, slot });
    expect(requestRejection('SCHEMA_REGISTER', { schema: doc({ packing: 'aligned', fields: [] }) })).toMatchObject({
      code: 'SCHEMA_INVALID',
      field: '/schema/slot/fields',
    });
    expect(requestRejection('SCHEMA_REGISTER', {})).toMatchObject({ code: 'BAD_REQUEST', field: '/schema' });
    expect(requestRejection('DISCOVER', { channel: 'a b' })).toMatchObject({ code: 'BAD_REQUEST', field: '/channel' });
    expect(requestRejection('DISCOVER', { channel: 'a.b' })).toBeUndefined();
  });
});
