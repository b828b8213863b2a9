// Wire framing of protocol v1 (docs/protocol.md, "Frames"):
//   [tag "HS1", TYPE, correlationId, JSON body]
// The type and the correlation id sit outside the JSON so that a receiver can route
// and answer a message (even with ERROR) without parsing the body. The broker's
// ROUTER sees one extra leading frame, the peer's routing identity.
import { CORRELATION_ID_MAX, CORRELATION_ID_PATTERN } from './names.js';
import type { BrokerErrorCode } from './error-codes.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

/** Framing tag. Stays "HS1" for every 1.x protocol; an incompatible framing would change it. */
export const FRAME_TAG = 'HS1';
export const FRAME_COUNT = 4;
/** Largest message (all frames) the broker accepts by default; announced in HELLO_OK. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

const TYPE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;
const TAG_FAMILY_RE = /^HS[0-9]+$/;

export interface DecodedMessage {
  type: string;
  correlationId: string;
  body: Record<string, unknown>;
}

export interface FrameProblem {
  code: BrokerErrorCode;
  message: string;
  /** The correlation id, when it could be read, so the ERROR can be matched. */
  correlationId: string;
  /** The type frame, when readable (for logs and counters). */
  type?: string;
}

export type DecodeResult = { ok: true; message: DecodedMessage } | { ok: false; problem: FrameProblem };

function printable(buf: Buffer | undefined, max = 40): string {
  if (!buf) return '(missing)';
  const text = buf
    .subarray(0, max)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(buf.length > max ? text + '…' : text);
}

/**
 * The correlation id to put on an ERROR about this message: the id itself when it is
 * valid, otherwise its longest valid prefix (printable ASCII, at most
 * CORRELATION_ID_MAX characters), so that a client matching by prefix can still tell
 * which request failed. Empty when the frame is missing or starts with a bad byte.
 */
export function echoableCorrelationId(buf: Buffer | undefined): string {
  if (!buf) return '';
  let n = 0;
  const end = Math.min(buf.length, CORRELATION_ID_MAX);
  while (n < end && buf[n]! >= 0x21 && buf[n]! <= 0x7e) n++;
  return buf.toString('latin1', 0, n);
}

function fail(code: BrokerErrorCode, message: string, correlationId = '', type?: string): DecodeResult {
  return { ok: false, problem: { code, message, correlationId, ...(type !== undefined ? { type } : {}) } };
}

/**
 * Decodes the four frames of a message. `requireCorrelation` is true for requests
 * (the broker side) and false for messages from the broker (notifications carry none).
 */
export function decodeFrames(frames: readonly Buffer[], maxBytes: number, requireCorrelation: boolean): DecodeResult {
  let total = 0;
  for (const f of frames) total += f.length;
  const corrBuf = frames[2];
  const corrText = corrBuf && corrBuf.length <= CORRELATION_ID_MAX ? corrBuf.toString('latin1') : '';
  const valid = CORRELATION_ID_PATTERN.test(corrText);
  // Errors about anything are answered with as much of the id as can be echoed.
  const correlationId = valid ? corrText : echoableCorrelationId(corrBuf);
  if (total > maxBytes) {
    return fail('TOO_LARGE', `message of ${total} bytes exceeds the limit of ${maxBytes} bytes`, correlationId);
  }
  if (frames.length !== FRAME_COUNT) {
    return fail(
      'BAD_REQUEST',
      `expected ${FRAME_COUNT} frames [tag, type, correlationId, body], got ${frames.length}`,
      correlationId,
    );
  }
  const [tagBuf, typeBuf, , bodyBuf] = frames as [Buffer, Buffer, Buffer, Buffer];
  const tag = tagBuf.length <= 8 ? tagBuf.toString('latin1') : '';
  if (tag !== FRAME_TAG) {
    if (TAG_FAMILY_RE.test(tag)) {
      return fail(
        'UNSUPPORTED_VERSION',
        `frame tag ${JSON.stringify(tag)} is not supported; this broker speaks ${FRAME_TAG}`,
        correlationId,
      );
    }
    return fail('BAD_REQUEST', `first frame must be the tag "${FRAME_TAG}", got ${printable(tagBuf)}`, correlationId);
  }
  const type = typeBuf.length <= 64 ? typeBuf.toString('latin1') : '';
  if (!TYPE_RE.test(type)) {
    return fail(
      'BAD_REQUEST',
      `second frame must be a message type like "DISCOVER", got ${printable(typeBuf)}`,
      correlationId,
    );
  }
  if (requireCorrelation ? !valid : corrBuf!.length !== 0 && !valid) {
    return fail(
      'BAD_REQUEST',
      `third frame must be a correlation id of 1 to ${CORRELATION_ID_MAX} printable ASCII characters ` +
        `(no spaces), got ${corrBuf!.length} bytes: ${printable(corrBuf)}`,
      correlationId,
      type,
    );
  }
  let body: unknown;
  if (bodyBuf.length === 0) {
    body = {};
  } else if (jsonNestsDeeperThan(bodyBuf, MAX_JSON_DEPTH)) {
    return fail(
      'BAD_REQUEST',
      `${type} body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`,
      correlationId,
      type,
    );
  } else {
    try {
      body = JSON.parse(bodyBuf.toString('utf8'));
    } catch (err) {
      return fail('BAD_REQUEST', `${type} body is not valid JSON (${(err as Error).message})`, correlationId, type);
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('BAD_REQUEST', `${type} body must be a JSON object`, correlationId, type);
  }
  return { ok: true, message: { type, correlationId, body: body as Record<string, unknown> } };
}

/** The four frames of a message; `body` is serialized as JSON. */
export function encodeFrames(type: string, correlationId: string, body: unknown): [string, string, string, string] {
  return [FRAME_TAG, type, correlationId, JSON.stringify(body)];
}
