// Framing of the pylabhub hub's broker and admin planes (docs/pylabhub.md, "Wire format"):
//   ROUTER side: [identity, "C", msg_type, correlation_id, JSON body]
//   DEALER side: the same without the identity (libzmq adds and strips it).
// The hub drops every framing failure silently; so do HubScope's monitor and the test
// double. Decoding therefore never throws: it returns what was wrong, for a log line.
import { envelopeHash } from './envelope-hash.js';

/** Frame 1: one byte, `C` (0x43). */
export const PLH_MARKER = 0x43;
export const PLH_MSG_TYPE_MAX = 64;
export const PLH_CORRELATION_ID_MAX = 64;

/** One decoded message (identity known from the socket or frame 0). */
export interface PlhMessage {
  msgType: string;
  /** '' only for *_NOTIFY pushes. */
  correlationId: string;
  body: Record<string, unknown>;
}

export type PlhFrameFailureReason =
  | 'frame_count'
  | 'identity'
  | 'marker'
  | 'msg_type'
  | 'correlation_id'
  | 'body_utf8'
  | 'body_json'
  | 'body_not_object'
  | 'envelope_hash';

export interface PlhFrameFailure {
  ok: false;
  reason: PlhFrameFailureReason;
  /** A sentence naming the bad frame or field (never the whole body). */
  detail: string;
  /** Whatever could be read before the failure, for the log. */
  msgType?: string;
  correlationId?: string;
}

export type PlhDecodeResult = { ok: true; message: PlhMessage } | PlhFrameFailure;

const MSG_TYPE_RE = /^[\x21-\x7e]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(
  reason: PlhFrameFailureReason,
  detail: string,
  msgType?: string,
  correlationId?: string,
): PlhFrameFailure {
  return {
    ok: false,
    reason,
    detail,
    ...(msgType !== undefined ? { msgType } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
  };
}

function shown(buf: Buffer, max = 40): string {
  const text = buf
    .subarray(0, max)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(buf.length > max ? `${text}…` : text);
}

/** Why `msgType` cannot go on the wire, or undefined. */
export function msgTypeProblem(msgType: string): string | undefined {
  const n = Buffer.byteLength(msgType);
  if (n < 1 || n > PLH_MSG_TYPE_MAX) return `msg_type is ${n} bytes; 1..${PLH_MSG_TYPE_MAX} allowed`;
  if (!MSG_TYPE_RE.test(msgType)) return `msg_type ${JSON.stringify(msgType.slice(0, 64))} is not printable ASCII`;
  return undefined;
}

/** Why `correlationId` cannot go with `msgType`, or undefined. */
export function correlationIdProblem(msgType: string, correlationId: string): string | undefined {
  const n = Buffer.byteLength(correlationId);
  if (n > PLH_CORRELATION_ID_MAX) return `correlation_id is ${n} bytes; at most ${PLH_CORRELATION_ID_MAX}`;
  if (n === 0 && !msgType.endsWith('_NOTIFY'))
    return `empty correlation_id on ${msgType} (only *_NOTIFY may have none)`;
  return undefined;
}

/**
 * The frames after the identity: marker, msg_type, correlation_id and the body with
 * its envelope_hash set (any envelope_hash in `body` is replaced). Throws on a
 * msg_type or correlation id that cannot go on the wire: that is a programming error.
 */
export function encodePlhFrames(identity: string | Uint8Array, message: PlhMessage): Buffer[] {
  const problem = msgTypeProblem(message.msgType) ?? correlationIdProblem(message.msgType, message.correlationId);
  if (problem) throw new Error(`cannot encode a pylabhub message: ${problem}`);
  const body = { ...message.body, envelope_hash: envelopeHash(identity, message.msgType, message.correlationId) };
  return [
    Buffer.from([PLH_MARKER]),
    Buffer.from(message.msgType),
    Buffer.from(message.correlationId),
    Buffer.from(JSON.stringify(body)),
  ];
}

/** Decodes the 4 frames a DEALER receives; `identity` is this DEALER's own routing id. */
export function decodeDealerFrames(frames: readonly Buffer[], identity: string | Uint8Array): PlhDecodeResult {
  if (frames.length !== 4) return fail('frame_count', `${frames.length} frames; a DEALER expects 4`);
  return decodeAfterIdentity(frames, identity);
}

/** Decodes the 5 frames a ROUTER receives; frame 0 is the peer's routing id. */
export function decodeRouterFrames(
  frames: readonly Buffer[],
): { ok: true; identity: Buffer; message: PlhMessage } | PlhFrameFailure {
  if (frames.length !== 5) return fail('frame_count', `${frames.length} frames; a ROUTER expects 5`);
  const identity = frames[0]!;
  if (identity.length === 0) return fail('identity', 'empty identity frame');
  const decoded = decodeAfterIdentity(frames.slice(1), identity);
  return decoded.ok ? { ok: true, identity, message: decoded.message } : decoded;
}

function decodeAfterIdentity(frames: readonly Buffer[], identity: string | Uint8Array): PlhDecodeResult {
  const [marker, typeFrame, corrFrame, bodyFrame] = frames as [Buffer, Buffer, Buffer, Buffer];
  if (marker.length !== 1 || marker[0] !== PLH_MARKER) {
    return fail('marker', `marker frame is ${shown(marker)}, not "C"`);
  }
  if (typeFrame.length < 1 || typeFrame.length > PLH_MSG_TYPE_MAX || !MSG_TYPE_RE.test(typeFrame.toString('latin1'))) {
    return fail(
      'msg_type',
      `msg_type frame ${shown(typeFrame)} is not 1..${PLH_MSG_TYPE_MAX} bytes of printable ASCII`,
    );
  }
  const msgType = typeFrame.toString('latin1');
  if (corrFrame.length > PLH_CORRELATION_ID_MAX) {
    return fail('correlation_id', `correlation_id of ${msgType} is ${corrFrame.length} bytes; at most 64`, msgType);
  }
  const correlationId = corrFrame.toString('latin1');
  if (correlationId === '' && !msgType.endsWith('_NOTIFY')) {
    return fail('correlation_id', `empty correlation_id on ${msgType} (only *_NOTIFY may have none)`, msgType);
  }
  let text: string;
  try {
    text = utf8.decode(bodyFrame);
  } catch {
    return fail('body_utf8', `body of ${msgType} is not UTF-8`, msgType, correlationId);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail('body_json', `body of ${msgType} is not JSON (${(err as Error).message})`, msgType, correlationId);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail(
      'body_not_object',
      `body of ${msgType} is ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}, not a JSON object`,
      msgType,
      correlationId,
    );
  }
  const body = parsed as Record<string, unknown>;
  const expected = envelopeHash(identity, typeFrame, corrFrame);
  if (body.envelope_hash !== expected) {
    const got = typeof body.envelope_hash === 'string' ? 'a different hash' : 'no envelope_hash string';
    return fail('envelope_hash', `envelope_hash of ${msgType} does not match (${got})`, msgType, correlationId);
  }
  return { ok: true, message: { msgType, correlationId, body } };
}
