// Runtime validation of message bodies, compiled once from the TypeBox definitions
// (TypeCompiler generates a plain JS function per schema: cheap on the hot path).
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { ErrorBody, NOTIFICATIONS, REQUESTS, type NotificationType, type RequestType } from './messages.js';

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

/** Undefined when valid, otherwise a sentence naming the first bad field and value. */
function problemOf(check: TypeCheck<TSchema>, value: unknown, whatOf: () => string): string | undefined {
  if (check.Check(value)) return undefined; // hot path: no allocation
  const what = whatOf();
  const first = check.Errors(value).First();
  if (!first) return `${what} is invalid`;
  const path = first.path === '' ? '(body)' : first.path;
  let shown: string;
  try {
    shown = first.value === undefined ? 'nothing' : JSON.stringify(first.value);
  } catch {
    shown = String(first.value);
  }
  if (shown.length > 80) shown = shown.slice(0, 77) + '...';
  return `${what}: field ${path}: ${first.message} (got ${shown})`;
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
