// `hubscope inspect <name>`: everything about one DataBlock: header,
// validation, era, liveness, consumers, slots and the latest records.
import { lookUpSchema } from '../core/schema-lookup.js';
import type { SchemaInHand } from '../core/inspect-datablock.js';
import { fieldsToJson, toJson, type Json } from '../datablock/json.js';
import { formatAge } from '../datablock/liveness.js';
import { looksLikePath } from '../datablock/names.js';
import { formatNumber } from '../../common/number-format.js';
import { openDataBlock, type DataBlockReader, type SlotRecord } from '../datablock/reader.js';
import { loadSchemaFile } from '../datablock/schema-file.js';
import { decodeStruct, fingerprintOf, layoutOf, type ChannelSchema, type DecodedValue } from '../datablock/schema.js';
import { toHex } from '../datablock/blake2b.js';
import { chooseDiscoveryDir } from '../discovery/directory.js';
import { scanDiscoveryDir } from '../discovery/scan.js';
import { parseCliArgs, UsageError, type CliCommand } from './command.js';

const USAGE = `Usage: hubscope inspect <name> [--schema file.json] [--records N] [--hex] [--json] [--file]

Shows one DataBlock (PLHB shared-memory segment) without disturbing its
producer: header, validation problems, format era, producer liveness,
consumers, slot table and the latest N records, decoded with the schema the
channel's discovery file carries (as the UI does) or the one given by --schema.

  <name>            Segment name, with or without the leading "/" (e.g. lab.demo.counter):
                    a file directly in /dev/shm. A name with a "/" past its first
                    character (./image.bin, /tmp/x/seg.bin) is a captured segment image.
  --file            Treat <name> as an image file path even without a "/".
  --schema FILE     Channel schema JSON used to decode records (and checked against the header).
  --discovery-dir DIR  Where to look for the channel's descriptor and its schema
                    (default as for \`hubscope serve\`).
  --no-discovery    Do not look in the discovery directory.
  --records N       How many of the latest records to show (default 5, 0 for none).
  --hex             Also show each record's raw bytes in hex.
  --json            Print one JSON object instead of text.
  -h, --help        Show this help.`;

interface InspectArgs {
  name: string;
  file: boolean;
  schemaPath: string | undefined;
  records: number;
  hex: boolean;
  json: boolean;
  /** Where to find the channel's descriptor (and its inline schema); null: do not look. */
  discoveryDir: string | null;
}

function parse(args: string[]): InspectArgs {
  const { values, positionals } = parseCliArgs({
    args,
    allowPositionals: true,
    options: {
      schema: { type: 'string' },
      records: { type: 'string' },
      hex: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      file: { type: 'boolean', default: false },
      'discovery-dir': { type: 'string' },
      'no-discovery': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one segment name or file path');
  const recordsText = values.records ?? '5';
  if (!/^\d+$/.test(recordsText) || Number(recordsText) > 1_000_000) {
    throw new UsageError(`--records must be a whole number, not "${recordsText}"`);
  }
  return {
    name: positionals[0] ?? '',
    file: values.file ?? false,
    schemaPath: values.schema,
    records: Number(recordsText),
    hex: values.hex ?? false,
    json: values.json ?? false,
    discoveryDir: values['no-discovery'] ? null : chooseDiscoveryDir(values['discovery-dir']).dir,
  };
}

/** Opens exactly what the help says: a segment name in /dev/shm, or an image file (--file, or a "/" past the first character). */
function open(a: InspectArgs): { reader: DataBlockReader; source: 'shm' | 'file' } {
  if (a.file || looksLikePath(a.name)) return { reader: openDataBlock(a.name, { file: true }), source: 'file' };
  return { reader: openDataBlock(a.name), source: 'shm' };
}

/** The schema to decode with: --schema, else the one the UI would use (the channel's discovery file). */
async function schemaFor(a: InspectArgs, source: 'shm' | 'file'): Promise<SchemaInHand | null> {
  if (a.schemaPath) return { schema: await loadSchemaFile(a.schemaPath), source: `file ${a.schemaPath}` };
  if (source !== 'shm' || a.discoveryDir === null) return null;
  const scan = await scanDiscoveryDir(a.discoveryDir);
  return lookUpSchema(a.name, undefined, {
    files: scan.entries,
    brokerChannels: undefined,
    hub: undefined,
    schemaDirs: [],
  });
}

/** Arrays longer than this are summarised in --json output (a camera frame would be megabytes of text). */
export const JSON_ARRAY_LIMIT = 1024;

function recordJson(r: SlotRecord, schema: ChannelSchema | undefined, hex: boolean): Json {
  const out: { [k: string]: Json } = {
    id: toJson(r.id),
    index: r.index,
    generation: r.generation,
    checksumPresent: r.checksumPresent,
    checksumOk: r.checksumOk,
  };
  if (schema) out.fields = fieldsToJson(decodeStruct(layoutOf(schema.slot), r.bytes), JSON_ARRAY_LIMIT);
  if (hex) out.hex = toHex(r.bytes);
  return out;
}

/** Builds the `inspect --json` object (also used by the text view). */
export function inspectJson(
  reader: DataBlockReader,
  source: 'shm' | 'file',
  schema: ChannelSchema | undefined,
  records: number,
  hex: boolean,
  schemaSource?: string,
): { [k: string]: Json } {
  const report = reader.validate();
  const header = reader.header();
  const out: { [k: string]: Json } = {
    name: reader.name,
    source,
    size: reader.size,
    valid: report.valid,
    problems: report.problems,
    warnings: report.warnings,
    era: report.era,
    header: toJson(header),
    liveness: source === 'shm' ? toJson(reader.liveness(header)) : null,
    consumers: toJson(reader.consumers(header)),
  };
  if (schema) {
    const check = reader.checkSchema(schema, header);
    out.schema = {
      id: schema.id,
      version: schema.version,
      fingerprint: fingerprintOf(schema.slot),
      source: schemaSource ?? null,
      check: toJson(check),
    };
  }
  if (report.geometry) {
    out.geometry = toJson(report.geometry);
    out.slots = toJson(reader.slots());
    out.flexZone = { size: report.geometry.flexZoneSize, checksumOk: reader.verifyFlexZone() };
    out.records = reader
      .recent(records, { verify: true })
      .reverse()
      .map((r) => recordJson(r, schema, hex));
  } else {
    out.records = [];
  }
  return out;
}

/** Shows a decoded value with the UI's number formatting (renderer's DataBlockInspector shows the same digits). */
function formatValue(v: DecodedValue): string {
  const one = (x: number | bigint) => (typeof x === 'number' ? formatNumber(x) : String(x));
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') {
    const items = Array.from(v as ArrayLike<number | bigint>)
      .slice(0, 8)
      .map(one);
    return `[${items.join(', ')}${v.length > 8 ? `, … ${v.length} items` : ''}]`;
  }
  return typeof v === 'number' || typeof v === 'bigint' ? one(v) : String(v);
}

function printText(reader: DataBlockReader, source: 'shm' | 'file', found: SchemaInHand | null, a: InspectArgs): void {
  const schema = found?.schema;
  const report = reader.validate();
  const h = reader.header();
  const lines: string[] = [];
  lines.push(`DataBlock ${reader.name} (${source === 'file' ? 'file' : 'POSIX shm'}, ${reader.size} bytes)`);
  lines.push(`  valid:      ${report.valid ? 'yes' : 'NO'}   era: ${report.era}`);
  for (const p of report.problems) lines.push(`  problem:    ${p}`);
  for (const w of report.warnings) lines.push(`  warning:    ${w}`);
  lines.push(`  format:     v${h.versionMajor}.${h.versionMinor}, magic 0x${h.magic.toString(16)}`);
  lines.push(
    `  layout:     ${h.policyName}, ${h.consumerSyncPolicyName}, capacity ${h.ringBufferCapacity} x ${h.logicalUnitSize} B, flexible zone ${h.flexibleZoneSize} B, checksums ${h.checksumPolicyName}`,
  );
  lines.push(
    `  indices:    write ${h.writeIndex}, commit ${h.commitIndex ?? '(none)'}, read ${h.readIndex}; ${h.totalSlotsWritten} records written`,
  );
  lines.push(`  schema:     slot ${h.slotSchemaHash}, version ${h.schemaVersion}`);
  lines.push(`  hub:        ${h.hubName || '-'} (${h.hubUid || '-'})`);
  lines.push(`  producer:   ${h.producerName || '-'} (${h.producerUid || '-'}), pid ${h.producerPid}`);
  if (source === 'shm') lines.push(`  liveness:   ${reader.liveness(h).text}`);
  for (const c of reader.consumers(h)) {
    const beat = Number.isFinite(c.ageMs) ? `heartbeat ${formatAge(c.ageMs)} ago` : 'no heartbeat';
    lines.push(`  consumer:   #${c.index} pid ${c.pid} ${c.name || c.uid} ${beat}`);
  }
  if (schema) {
    const check = reader.checkSchema(schema, h);
    lines.push(
      `  decoded by: ${schema.id} v${schema.version} from ${found.source}, fingerprint ${fingerprintOf(schema.slot)} (${check.slot.status})`,
    );
    for (const p of check.problems) lines.push(`  MISMATCH:   ${p}`);
  }
  if (report.geometry && a.records > 0) {
    const recs = reader.recent(a.records, { verify: true }).reverse();
    lines.push('', recs.length ? `Latest ${recs.length} record(s), newest first:` : 'No records committed yet.');
    const layout = schema ? layoutOf(schema.slot) : undefined;
    for (const r of recs) {
      const cks = r.checksumOk === null ? 'no checksum' : r.checksumOk ? 'checksum ok' : 'CHECKSUM BAD';
      lines.push(`  #${r.id}  slot ${r.index}  gen ${r.generation}  ${cks}`);
      if (layout) {
        const fields = decodeStruct(layout, r.bytes);
        for (const [k, v] of Object.entries(fields)) lines.push(`      ${k} = ${formatValue(v)}`);
      }
      if (a.hex || !layout)
        lines.push(
          `      ${toHex(r.bytes.subarray(0, a.hex ? r.bytes.length : 64))}${a.hex || r.bytes.length <= 64 ? '' : ' …'}`,
        );
    }
  }
  console.log(lines.join('\n'));
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'Show one DataBlock: header, validation, liveness, latest records',
  usage: USAGE,
  async run(args) {
    const a = parse(args);
    let opened;
    try {
      opened = open(a);
    } catch (err) {
      if (!a.json) throw err;
      console.log(
        JSON.stringify({ name: a.name, valid: false, problems: [(err as Error).message], records: [] }, null, 2),
      );
      return 1;
    }
    const { reader, source } = opened;
    try {
      const found = await schemaFor(a, source);
      if (a.json) {
        const out = inspectJson(reader, source, found?.schema, a.records, a.hex, found?.source);
        console.log(JSON.stringify(out, null, 2));
        return out.valid ? 0 : 1;
      }
      printText(reader, source, found, a);
      return reader.report.valid ? 0 : 1;
    } finally {
      reader.close();
    }
  },
};
