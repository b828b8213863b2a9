// Runtime validation of message bodies, compiled once from the TypeBox definitions
// (TypeCompiler generates a plain JS function per schema: cheap on the hot path).
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import type { BrokerErrorCode } from './error-codes.js';
import {
  ErrorBody,
  NOTIFICATIONS,
  REQUESTS,
  SCHEMA_DOCUMENT_FIELDS,
  type NotificationType,
  type RequestType,
} from './messages.js';

type Checks<K extends string> = Record<K, TypeCheck<TSchema>>;

function compileAll<K extends string>(keys: K[], pick: (k: K) => TSchema): Checks<K> {
  const out = {} as Checks<K>;
  for (const k of keys) out[k] = TypeCompiler.Compile(pick(k));
  return out;
}

const requestKeys = Object.keys(REQUESTS) as RequestType[];
const notificationKeys = Object.keys(NOTIFICATIONS) as NotificationType[];

const requestChecks = compileAll(requestKeys, (k) => REQUESTS[k].request);
const replyChecks = compileAll(requestKeys, (k) => REQUESTS[k].reply);
const notificationChecks = compileAll(notificationKeys, (k) => NOTIFICATIONS[k].body);
const errorCheck = TypeCompiler.Compile(ErrorBody);

interface Problem {
  /** JSON Pointer of the first bad field ('' for the body itself). */
  path: string;
  text: string;
}

/** Undefined when valid, otherwise the first bad field and a sentence naming it and its value. */
function problemAt(check: TypeCheck<TSchema>, value: unknown, whatOf: () => string): Problem | undefined {
  if (check.Check(value)) return undefined; // hot path: no allocation
  const what = whatOf();
  const first = check.Errors(value).First();
  if (!first) return { path: '', text: `${what} is invalid` };
  const path = first.path === '' ? '(body)' : first.path;
  let shown: string;
  try {
    shown = first.value === undefined ? 'nothing' : JSON.stringify(first.value);
  } catch {
    shown = String(first.value);
  }
  if (shown.length > 80) shown = shown.slice(0, 77) + '...';
  return { path: first.path, text: `${what}: field ${path}: ${first.message} (got ${shown})` };
}

function problemOf(check: TypeCheck<TSchema>, value: unknown, whatOf: () => string): string | undefined {
  return problemAt(check, value, whatOf)?.text;
}

export interface RequestRejection {
  /** SCHEMA_INVALID when the bad field lies inside a schema document, BAD_REQUEST otherwise. */
  code: Extract<BrokerErrorCode, 'BAD_REQUEST' | 'SCHEMA_INVALID'>;
  message: string;
  /** JSON Pointer of the bad field, e.g. "/schema/slot/fields/0/type". */
  field: string;
}

/** Why a request body is refused (docs/protocol.md, section 8), or undefined when it is valid. */
export function requestRejection(type: RequestType, body: unknown): RequestRejection | undefined {
  const p = problemAt(requestChecks[type], body, () => `${type} body`);
  if (!p) return undefined;
  const doc = (SCHEMA_DOCUMENT_FIELDS as Partial<Record<RequestType, string>>)[type];
  // A schema document that is there but wrong is SCHEMA_INVALID; a missing one is a bad request.
  const present =
    doc !== undefined &&
    typeof body === 'object' &&
    body !== null &&
    (body as Record<string, unknown>)[doc] !== undefined;
  const inSchema = present && (p.path === `/${doc}` || p.path.startsWith(`/${doc}/`));
  return { code: inSchema ? 'SCHEMA_INVALID' : 'BAD_REQUEST', message: p.text, field: p.path };
}

export function requestProblem(type: RequestType, body: unknown): string | undefined {
  return problemOf(requestChecks[type], body, () => `${type} body`);
}

export function replyProblem(type: RequestType, body: unknown): string | undefined {
  return problemOf(replyChecks[type], body, () => `${type}_OK body`);
}

export function notificationProblem(type: NotificationType, body: unknown): string | undefined {
  return problemOf(notificationChecks[type], body, () => `${type} body`);
}

export function errorBodyProblem(body: unknown): string | undefined {
  return problemOf(errorCheck, body, () => 'ERROR body');
}
