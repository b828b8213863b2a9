// docs/datablock-format.md is the only description of the segment format a
// client author has. Its worked examples and offset tables are marked with
// `<!-- check: NAME -->`; this test parses them and checks every value against
// the code HubScope actually reads and writes with, so the page cannot drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blake2b256, toHex } from '../../main/datablock/blake2b.js';
import {
  COUNTER_NAMES,
  ERAS,
  ERROR_COUNTER_NAMES,
  H,
  HEADER_SIZE,
  HEARTBEAT,
  IDENTITY_FIELDS,
  SLOT,
  SLOT_STATE_SIZE,
  geometryOf,
  layoutChecksumInput,
  layoutChecksumOf,
} from '../../main/datablock/format.js';
import {
  bldsOf,
  encodeStruct,
  fingerprintOf,
  layoutOf,
  packSchemaVersion,
  parseSchema,
  type EncodableValue,
  type StructSchema,
} from '../../main/datablock/schema.js';
import { resolveConfig } from '../../main/datablock/writer.js';
import { ROOT } from '../support/processes.js';

const DOC_PATH = join(ROOT, 'docs', 'datablock-format.md');
const doc = readFileSync(DOC_PATH, 'utf8');

/** The text following each `<!-- check: name -->` marker, up to the next marker or heading. */
function sections(name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<!-- check: ${name} -->\\n([\\s\\S]*?)(?=<!-- check:|\\n#|$)`, 'g');
  for (const m of doc.matchAll(re)) out.push(m[1] ?? '');
  if (out.length === 0) throw new Error(`docs/datablock-format.md has no "<!-- check: ${name} -->" example`);
  return out;
}

/** The first fenced block after the marker. */
function fenced(section: string): string {
  const m = /```\w*\n([\s\S]*?)```/.exec(section);
  if (!m?.[1]) throw new Error(`no fenced block in:\n${section}`);
  return m[1];
}

/** `key = value` lines of a fenced block (value: its first word). */
function values(section: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fenced(section).split('\n')) {
    const m = /^(\S+)\s*=\s*(\S+)/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

/** Rows of the first table after the marker, cells trimmed and unquoted (header and rule dropped). */
function table(section: string): string[][] {
  const rows = section
    .split('\n')
    .filter((l) => l.trim().startsWith('|'))
    .map((l) =>
      l
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/`/g, '')),
    );
  return rows.slice(2);
}

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const num = (text: string): number => Number(text);
/** "8", "11 x 8" -> bytes. */
const size = (text: string): number => text.split('x').reduce((p, t) => p * Number(t.trim()), 1);
const hexNumber = (text: string): number => parseInt(text.replace(/^0x/i, ''), 16);

/** GitHub's anchor for a heading. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
const anchors = new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));

describe('docs/datablock-format.md', () => {
  it('has the sections other documents link to', () => {
    for (const heading of ['Layout', 'Write protocol', 'Read protocol', 'Checksums', 'Schemas, BLDS and fingerprints'])
      expect(doc).toMatch(new RegExp(`^## ${heading}$`, 'm'));
  });

  it('every link into it, from the docs and the README, names one of its sections', () => {
    const sources = ['README.md', 'docs/datablock.md', 'docs/protocol.md', 'docs/architecture.md', 'docs/discovery.md'];
    let links = 0;
    for (const source of sources) {
      const text = readFileSync(join(ROOT, source), 'utf8');
      for (const m of text.matchAll(/datablock-format\.md#([\w-]+)/g)) {
        links++;
        expect(anchors, `${source} links to #${m[1]}`).toContain(m[1]);
      }
    }
    for (const m of doc.matchAll(/\]\(#([\w-]+)\)/g)) expect(anchors, `own link #${m[1]}`).toContain(m[1]);
    expect(links).toBeGreaterThan(0);
  });

  it('geometry examples match geometryOf', () => {
    for (const s of sections('geometry')) {
      const v = values(s);
      const g = geometryOf(num(v.capacity ?? ''), num(v.stride ?? ''), num(v.flexible_zone ?? ''));
      expect({
        off_rw: hexNumber(v.off_rw ?? ''),
        off_cks: hexNumber(v.off_cks ?? ''),
        off_fz: hexNumber(v.off_fz ?? ''),
        off_ring: hexNumber(v.off_ring ?? ''),
        total: hexNumber(v.total ?? ''),
        slot_of_id_5: hexNumber(v.slot_of_id_5 ?? ''),
      }).toEqual({
        off_rw: g.offRw,
        off_cks: g.offCks,
        off_fz: g.offFz,
        off_ring: g.offRing,
        total: g.total,
        slot_of_id_5: g.offRing + (5 % g.capacity) * g.stride,
      });
    }
  });

  it('the header table has every field the code uses, at its offset, without overlaps', () => {
    const rows = table(sections('header-fields')[0] ?? '');
    const named = new Map(
      rows.map((r) => [camel(r[3] ?? ''), { offset: hexNumber(r[0] ?? ''), bytes: size(r[1] ?? '') }]),
    );
    for (const [key, offset] of Object.entries(H)) {
      expect(named.get(key)?.offset, `header field ${key}`).toBe(offset);
    }
    for (const name of named.keys()) expect([...Object.keys(H), 'reservedToken'], `doc row ${name}`).toContain(name);
    for (const [key, f] of Object.entries(IDENTITY_FIELDS)) expect(named.get(key)?.bytes, key).toBe(f.size);
    expect(named.get('counters')?.bytes).toBe(COUNTER_NAMES.length * 8);
    expect(named.get('errorCounters')?.bytes).toBe(ERROR_COUNTER_NAMES.length * 8);
    expect(named.get('consumerHeartbeats')?.bytes).toBe(HEARTBEAT.count * HEARTBEAT.size);
    const spans = [...named.values()].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1];
      const cur = spans[i];
      if (prev && cur)
        expect(prev.offset + prev.bytes, `field at 0x${cur.offset.toString(16)}`).toBeLessThanOrEqual(cur.offset);
    }
    const last = spans.at(-1);
    expect(last && last.offset + last.bytes).toBeLessThanOrEqual(HEADER_SIZE);
  });

  it('the counter tables list the counters in the order the code decodes them', () => {
    const check = (name: string, base: number, names: readonly string[]): void => {
      const rows = table(sections(name)[0] ?? '');
      expect(rows.map((r) => camel(r[1] ?? ''))).toEqual([...names]);
      rows.forEach((r, k) => expect(hexNumber(r[0] ?? ''), r[1]).toBe(base + 8 * k));
    };
    check('counters', H.counters, COUNTER_NAMES);
    check('error-counters', H.errorCounters, ERROR_COUNTER_NAMES);
  });

  it('the heartbeat and slot-state entry tables match the code', () => {
    const hb = new Map(table(sections('heartbeat-entry')[0] ?? '').map((r) => [camel(r[3] ?? ''), r]));
    expect(num(hb.get('pid')?.[0] ?? '')).toBe(HEARTBEAT.pid);
    expect(num(hb.get('lastHeartbeatNs')?.[0] ?? '')).toBe(HEARTBEAT.lastHeartbeatNs);
    expect(num(hb.get('uid')?.[0] ?? '')).toBe(HEARTBEAT.uid);
    expect(num(hb.get('uid')?.[1] ?? '')).toBe(HEARTBEAT.uidSize);
    expect(num(hb.get('name')?.[0] ?? '')).toBe(HEARTBEAT.name);
    expect(num(hb.get('name')?.[1] ?? '')).toBe(HEARTBEAT.nameSize);
    const hbRows = table(sections('heartbeat-entry')[0] ?? '');
    expect(hbRows.reduce((n, r) => n + num(r[1] ?? ''), 0)).toBe(HEARTBEAT.size);

    const rows = table(sections('slot-state-entry')[0] ?? '');
    const slot = new Map(rows.map((r) => [camel(r[3] ?? ''), num(r[0] ?? '')]));
    for (const [key, offset] of Object.entries(SLOT)) expect(slot.get(key), key).toBe(offset);
    expect(rows.reduce((n, r) => n + num(r[1] ?? ''), 0)).toBe(SLOT_STATE_SIZE);
  });

  const exampleSchema = parseSchema(JSON.parse(fenced(sections('example-schema')[0] ?? '')), 'doc example');

  it('the example schema has the BLDS, fingerprints and layout shown', () => {
    const v = values(sections('example-fingerprint')[0] ?? '');
    const slot = exampleSchema.slot;
    expect(v.blds).toBe(bldsOf(slot));
    expect(v.hashed_text).toBe(`${bldsOf(slot)}|pack:${slot.packing}`);
    expect(toHex(blake2b256(new TextEncoder().encode(v.hashed_text)))).toBe(v.fingerprint);
    expect(v.fingerprint).toBe(fingerprintOf(slot));
    const layout = layoutOf(slot);
    expect(num(v.size ?? '')).toBe(layout.size);
    expect(num(v.stride ?? '')).toBe(resolveConfig({ schema: exampleSchema }).slotSize);
    for (const f of layout.fields) expect(num(v[`offset_${f.name}`] ?? ''), f.name).toBe(f.offset);
    const packed: StructSchema = { ...slot, packing: 'packed' };
    expect(num(v.packed_size ?? '')).toBe(layoutOf(packed).size);
    expect(v.packed_fingerprint).toBe(fingerprintOf(packed));
  });

  it('the string/array example has the BLDS and fingerprint shown', () => {
    const v = values(sections('extension-fingerprint')[0] ?? '');
    const s: StructSchema = {
      packing: 'aligned',
      fields: [
        { name: 'flag', type: 'uint8' },
        { name: 'label', type: 'string', length: 16 },
        { name: 'gain', type: 'float32', count: 4 },
      ],
    };
    expect(v.blds).toBe(bldsOf(s));
    expect(v.fingerprint).toBe(fingerprintOf(s));
    const layout = layoutOf(s);
    expect(num(v.size ?? '')).toBe(layout.size);
    expect(num(v.offset_label ?? '')).toBe(layout.fields[1]?.offset);
    expect(num(v.offset_gain ?? '')).toBe(layout.fields[2]?.offset);
  });

  it('the slot checksum example is the digest of the encoded record', () => {
    const v = values(sections('slot-checksum')[0] ?? '');
    const layout = layoutOf(exampleSchema.slot);
    const record: Record<string, EncodableValue> = {};
    for (const pair of (v.record ?? '').split(',')) {
      const [key = '', text = ''] = pair.split(':');
      const type = layout.fields.find((f) => f.name === key)?.type;
      record[key] = type === 'uint64' || type === 'int64' ? BigInt(text) : Number(text);
    }
    const slot = new Uint8Array(resolveConfig({ schema: exampleSchema }).slotSize);
    encodeStruct(layout, record, slot);
    expect(toHex(slot)).toBe(v.slot);
    expect(toHex(blake2b256(slot))).toBe(v.checksum);
  });

  it('the untouched flexible-zone checksums are the digests of zero bytes', () => {
    const v = values(sections('zero-zone-checksum')[0] ?? '');
    const keys = Object.keys(v);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const n = Number(/^zone_(\d+)_zero_bytes$/.exec(key)?.[1]);
      expect(toHex(blake2b256(new Uint8Array(n))), key).toBe(v[key]);
    }
  });

  it('the era table lists the known header layout hashes, newest first', () => {
    expect(table(sections('eras')[0] ?? '').map((r) => r[0])).toEqual(ERAS.map((e) => e.hash));
  });

  it('the layout checksum example matches layoutChecksumInput', () => {
    const v = values(sections('layout-checksum')[0] ?? '');
    const shape = {
      capacity: num(v.capacity ?? ''),
      physicalPageSize: num(v.page_size ?? ''),
      stride: num(v.stride ?? ''),
      flexZoneSize: num(v.flexible_zone ?? ''),
      checksumType: num(v.checksum_type ?? ''),
      policy: num(v.policy ?? ''),
      syncPolicy: num(v.sync_policy ?? ''),
    };
    expect(toHex(layoutChecksumInput(shape))).toBe(v.input);
    expect(layoutChecksumOf(shape)).toBe(v.layout_checksum);
  });

  it('the schema version example packs as shown', () => {
    const v = values(sections('schema-version')[0] ?? '');
    const [major = 0, minor = 0, patch = 0] = (v.version ?? '').split('.').map(Number);
    expect(packSchemaVersion(major, minor, patch)).toBe(hexNumber(v.schema_version ?? ''));
  });

  it('docs/datablock.md refers to this page, not to an outside spec', () => {
    const text = readFileSync(join(ROOT, 'docs', 'datablock.md'), 'utf8');
    expect(text).not.toMatch(/spec section|\.\.\/shared/);
    expect(text).toContain('datablock-format.md');
  });
});
