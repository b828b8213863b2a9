// Runtime validation of parsed discovery files against the TypeBox definitions,
// with messages a person can act on ("dataBlock.policy" must be one of ...).
import type { TObject, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { fingerprintOf, parseSchema, type ChannelSchema } from '../datablock/schema.js';
import {
  BROKER_ENDPOINT_FORMAT,
  BrokerEndpointSchema,
  CHANNEL_DESCRIPTOR_FORMAT,
  ChannelDescriptorSchema,
  type BrokerEndpoint,
  type ChannelDescriptor,
} from './format.js';

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A descriptor after validation, with the schema facts resolved from either form. */
export interface ValidDescriptor {
  descriptor: ChannelDescriptor;
  /** Parsed inline schema, when the file carries `schema.definition`. */
  schema?: ChannelSchema;
  schemaId?: string;
  schemaVersion?: number;
  /** Slot schema fingerprint: given, or computed from the inline definition. */
  fingerprint?: string;
}

const MAX_LISTED_ERRORS = 3;

function fieldName(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

function describeError(e: ValueError): string {
  const field = `"${fieldName(e.path)}"`;
  if (e.type === ValueErrorType.ObjectRequiredProperty) return `${field} is missing`;
  if (e.type === ValueErrorType.Union) {
    const options = (e.schema.anyOf as TSchema[] | undefined)?.map((s) => s.const as unknown);
    if (options && options.every((o) => typeof o === 'string')) {
      return `${field} must be one of ${options.join(', ')}, got ${show(e.value)}`;
    }
  }
  if (e.type === ValueErrorType.StringFormat && e.schema.format === 'date-time') {
    return `${field} must be an ISO date-time such as 2026-05-01T12:00:00.000Z, got ${show(e.value)}`;
  }
  return `${field}: ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}, got ${show(e.value)}`;
}

// Compiled once: checking thousands of files at load is then cheap.
const checkers = new Map<TObject, TypeCheck<TObject>>();
function checkerFor(schema: TObject): TypeCheck<TObject> {
  let c = checkers.get(schema);
  if (!c) checkers.set(schema, (c = TypeCompiler.Compile(schema)));
  return c;
}

/** One readable sentence for the first few schema violations (one per field). */
function schemaReason(schema: TObject, value: unknown): string | undefined {
  const checker = checkerFor(schema);
  if (checker.Check(value)) return undefined;
  const seen = new Set<string>();
  const messages: string[] = [];
  let total = 0;
  for (const e of checker.Errors(value)) {
    if (seen.has(e.path)) continue;
    // A union error on a missing field repeats the "missing" message.
    if ([...seen].some((p) => e.path.startsWith(p + '/'))) continue;
    seen.add(e.path);
    total++;
    if (messages.length < MAX_LISTED_ERRORS) messages.push(describeError(e));
  }
  if (total === 0) return undefined;
  const more = total > messages.length ? ` (and ${total - messages.length} more)` : '';
  return messages.join('; ') + more;
}

function formatProblem(value: unknown, expected: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `expected a JSON object, got ${Array.isArray(value) ? 'an array' : show(value)}`;
  }
  const format = (value as { format?: unknown }).format;
  if (format === undefined) return `"format" is missing (expected "${expected}")`;
  if (format !== expected) {
    const family = expected.split('/')[0] as string;
    if (typeof format === 'string' && format.startsWith(family + '/')) {
      return `unsupported format version "${format}" (this HubScope reads "${expected}")`;
    }
    return `"format" is ${show(format)}, expected "${expected}"`;
  }
  return undefined;
}

export function validateChannelDescriptor(value: unknown): Validated<ValidDescriptor> {
  const reason = formatProblem(value, CHANNEL_DESCRIPTOR_FORMAT) ?? schemaReason(ChannelDescriptorSchema, value);
  if (reason) return { ok: false, reason };
  const descriptor = value as ChannelDescriptor;
  const out: ValidDescriptor = { descriptor };
  const ref = descriptor.schema;
  if (ref) {
    if (ref.definition !== undefined) {
      let schema: ChannelSchema;
      try {
        schema = parseSchema(ref.definition, 'schema.definition');
      } catch (err) {
        return { ok: false, reason: (err as Error).message };
      }
      const computed = fingerprintOf(schema.slot);
      if (ref.fingerprint !== undefined && ref.fingerprint !== computed) {
        return {
          ok: false,
          reason: `"schema.fingerprint" ${ref.fingerprint} does not match the fingerprint of "schema.definition" (${computed})`,
        };
      }
      if (ref.id !== undefined && ref.id !== schema.id) {
        return { ok: false, reason: `"schema.id" "${ref.id}" differs from "schema.definition.id" "${schema.id}"` };
      }
      if (ref.version !== undefined && ref.version !== schema.version) {
        return {
          ok: false,
          reason: `"schema.version" ${ref.version} differs from "schema.definition.version" ${schema.version}`,
        };
      }
      Object.assign(out, { schema, schemaId: schema.id, schemaVersion: schema.version, fingerprint: computed });
    } else {
      const missing = (['id', 'version', 'fingerprint'] as const).filter((k) => ref[k] === undefined);
      if (missing.length > 0) {
        return {
          ok: false,
          reason: `"schema" needs either "definition" or all of id, version and fingerprint; missing ${missing.join(', ')}`,
        };
      }
      Object.assign(out, { schemaId: ref.id, schemaVersion: ref.version, fingerprint: ref.fingerprint });
    }
  }
  if (Date.parse(descriptor.updatedAt) < Date.parse(descriptor.createdAt)) {
    return { ok: false, reason: `"updatedAt" ${descriptor.updatedAt} is before "createdAt" ${descriptor.createdAt}` };
  }
  return { ok: true, value: out };
}

export function validateBrokerEndpoint(value: unknown): Validated<BrokerEndpoint> {
  const reason = formatProblem(value, BROKER_ENDPOINT_FORMAT) ?? schemaReason(BrokerEndpointSchema, value);
  return reason ? { ok: false, reason } : { ok: true, value: value as BrokerEndpoint };
}
