// JSON Schema documents for docs/protocol/, generated from the TypeBox definitions
// in messages.ts (one file per message type) plus the error-code table. The drift
// test compares these with the files on disk; write-json-schemas.ts writes them.
import type { TSchema } from '@sinclair/typebox';
import { BROKER_ERROR_CODES, CLIENT_ERROR_CODES } from './error-codes.js';
import { FRAME_TAG } from './frames.js';
import {
  ErrorBody,
  NOTIFICATIONS,
  PROTOCOL_VERSIONS,
  REQUESTS,
  replyTypeOf,
  type NotificationType,
  type RequestType,
} from './messages.js';

const DRAFT = 'http://json-schema.org/draft-07/schema#';

function document(name: string, kind: string, summary: string, schema: TSchema): Record<string, unknown> {
  // JSON round trip drops TypeBox's symbol-keyed metadata and yields plain JSON Schema.
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return {
    $schema: DRAFT,
    $id: `hubscope-messagehub/v1/${name}.json`,
    title: name,
    description: `${kind}. ${summary}`,
    ...plain,
  };
}

/** File name (relative to docs/protocol/) → JSON text, in a stable order. */
export function protocolSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const put = (name: string, doc: unknown) => files.set(name, JSON.stringify(doc, null, 2) + '\n');
  for (const type of Object.keys(REQUESTS) as RequestType[]) {
    const def = REQUESTS[type];
    put(`${type}.json`, document(type, `Request body (reply ${replyTypeOf(type)} or ERROR)`, def.summary, def.request));
    put(`${replyTypeOf(type)}.json`, document(replyTypeOf(type), `Reply body to ${type}`, def.summary, def.reply));
  }
  for (const type of Object.keys(NOTIFICATIONS) as NotificationType[]) {
    const def = NOTIFICATIONS[type];
    put(`${type}.json`, document(type, 'Notification body (empty correlation id)', def.summary, def.body));
  }
  put(
    'ERROR.json',
    document(
      'ERROR',
      'Error reply body',
      'Answers any request that failed; code is one of error-codes.json.',
      ErrorBody,
    ),
  );
  put('error-codes.json', {
    frameTag: FRAME_TAG,
    protocolVersions: PROTOCOL_VERSIONS,
    brokerErrorCodes: BROKER_ERROR_CODES,
    clientErrorCodes: CLIENT_ERROR_CODES,
  });
  return files;
}

// ---------------------------------------------------------------- markdown reference

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  description?: string;
  patternProperties?: Record<string, JsonSchema>;
};

/** " (1..4096 items)" for a bounded array, "" otherwise. */
function itemBounds(s: JsonSchema): string {
  return s.minItems !== undefined || s.maxItems !== undefined ? ` (${s.minItems ?? 0}..${s.maxItems ?? ''} items)` : '';
}

function typeText(s: JsonSchema): string {
  if (s.anyOf) {
    if (s.anyOf.every((x) => x.const !== undefined)) return s.anyOf.map((x) => JSON.stringify(x.const)).join(' \\| ');
    return s.anyOf.map(typeText).join(' \\| ');
  }
  if (s.const !== undefined) return JSON.stringify(s.const);
  const limits: string[] = [];
  if (s.minimum !== undefined || s.maximum !== undefined) limits.push(`${s.minimum ?? ''}..${s.maximum ?? ''}`);
  if (s.minLength !== undefined || s.maxLength !== undefined)
    limits.push(`length ${s.minLength ?? 0}..${s.maxLength ?? ''}`);
  if (s.pattern) limits.push(`pattern \`${s.pattern}\``);
  if (s.type === 'array') return `array of ${s.items ? typeText(s.items) : 'any'}${itemBounds(s)}`;
  if (s.type === 'object' && !s.properties) return 'object';
  return `${s.type ?? 'any'}${limits.length ? ` (${limits.join(', ')})` : ''}`;
}

function rows(s: JsonSchema, prefix: string, out: string[]): void {
  const props = s.properties ?? {};
  for (const [name, p] of Object.entries(props)) {
    const path = prefix + name;
    const required = (s.required ?? []).includes(name) ? 'yes' : 'no';
    const obj =
      p.type === 'object' && p.properties
        ? p
        : p.type === 'array' && p.items?.type === 'object' && p.items.properties
          ? p.items
          : undefined;
    const t = obj ? (p.type === 'array' ? `array of object${itemBounds(p)}` : 'object') : typeText(p);
    out.push(`| \`${path}\` | ${t} | ${required} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`);
    if (obj) rows(obj, path + (p.type === 'array' ? '[].' : '.'), out);
  }
}

function table(schema: TSchema): string {
  const plain = JSON.parse(JSON.stringify(schema)) as JsonSchema;
  const out: string[] = [];
  rows(plain, '', out);
  if (out.length === 0) return '_Empty object `{}`._\n';
  return ['| field | type | required | notes |', '|---|---|---|---|', ...out].join('\n') + '\n';
}

// ---------------------------------------------------------------- error-code tables

export const ERROR_CODES_BEGIN = '<!-- BEGIN GENERATED ERROR CODES (npm run gen:protocol-docs) -->';
export const ERROR_CODES_END = '<!-- END GENERATED ERROR CODES -->';

function codeTable(codes: Record<string, { meaning: string; action: string }>): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|');
  const lines = ['| code | meaning | client action |', '|---|---|---|'];
  for (const [code, info] of Object.entries(codes))
    lines.push(`| \`${code}\` | ${cell(info.meaning)} | ${cell(info.action)} |`);
  return lines.join('\n') + '\n';
}

/** Section 8's tables, from error-codes.ts (the same text as error-codes.json and every ERROR's action). */
export function errorCodeTablesMarkdown(): string {
  return [
    ERROR_CODES_BEGIN,
    '',
    'Broker codes (in `ERROR` replies):',
    '',
    codeTable(BROKER_ERROR_CODES),
    'Codes raised by the client library itself (never on the wire):',
    '',
    codeTable(CLIENT_ERROR_CODES),
    ERROR_CODES_END,
  ].join('\n');
}

function replaceBetween(markdown: string, begin: string, end: string, content: string): string {
  const a = markdown.indexOf(begin);
  const b = markdown.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/protocol.md lacks the markers ${begin} ... ${end}`);
  return markdown.slice(0, a) + content + markdown.slice(b + end.length);
}

export const REFERENCE_BEGIN = '<!-- BEGIN GENERATED MESSAGE REFERENCE (npm run gen:protocol-docs) -->';
export const REFERENCE_END = '<!-- END GENERATED MESSAGE REFERENCE -->';

/** The field-by-field message reference embedded in docs/protocol.md. */
export function messageReferenceMarkdown(): string {
  const parts: string[] = [REFERENCE_BEGIN, ''];
  for (const type of Object.keys(REQUESTS) as RequestType[]) {
    const def = REQUESTS[type];
    parts.push(
      `### ${type} → ${replyTypeOf(type)}`,
      '',
      def.summary,
      '',
      `Request \`${type}\` ([schema](protocol/${type}.json)):`,
      '',
      table(def.request),
    );
    parts.push(`Reply \`${replyTypeOf(type)}\` ([schema](protocol/${replyTypeOf(type)}.json)):`, '', table(def.reply));
  }
  for (const type of Object.keys(NOTIFICATIONS) as NotificationType[]) {
    const def = NOTIFICATIONS[type];
    parts.push(
      `### ${type} (notification)`,
      '',
      def.summary,
      '',
      `([schema](protocol/${type}.json))`,
      '',
      table(def.body),
    );
  }
  parts.push('### ERROR', '', `([schema](protocol/ERROR.json))`, '', table(ErrorBody), REFERENCE_END);
  return parts.join('\n');
}

/** docs/protocol.md with its generated sections (error-code tables, message reference) replaced by the current ones. */
export function withMessageReference(markdown: string): string {
  const withCodes = replaceBetween(markdown, ERROR_CODES_BEGIN, ERROR_CODES_END, errorCodeTablesMarkdown());
  return replaceBetween(withCodes, REFERENCE_BEGIN, REFERENCE_END, messageReferenceMarkdown());
}
