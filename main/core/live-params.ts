// Checks the untrusted params of the live.* requests (a page may send anything).
import { ApiError, type LiveOpenParams, type LivePollParams } from '../../preload/contract.js';

type Loose = Record<string, unknown> | null;

function finite(p: Loose, key: string, min: number, max: number, required: boolean): number | undefined {
  const v = p?.[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ApiError('BAD_REQUEST', `${key} must be a number from ${min} to ${max}.`);
  }
  return v;
}

function streamId(p: Loose): number {
  const id = finite(p, 'streamId', 1, Number.MAX_SAFE_INTEGER, true) as number;
  if (!Number.isInteger(id)) throw new ApiError('BAD_REQUEST', 'streamId must be a whole number.');
  return id;
}

export function checkLiveOpen(params: unknown): LiveOpenParams {
  const p = params as Loose;
  if (!p || typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 255) {
    throw new ApiError('BAD_REQUEST', 'live.open needs a segment name (1 to 255 characters).');
  }
  if (p.schemaPath !== undefined && (typeof p.schemaPath !== 'string' || !p.schemaPath.endsWith('.json'))) {
    throw new ApiError('BAD_REQUEST', 'schemaPath must be the path of a schema file ending in .json.');
  }
  return { name: p.name, ...(typeof p.schemaPath === 'string' ? { schemaPath: p.schemaPath } : {}) };
}

export function checkLivePoll(params: unknown): LivePollParams {
  const p = params as Loose;
  const out: LivePollParams = {
    streamId: streamId(p),
    width: finite(p, 'width', 1, 16384, true) as number,
    windowSec: finite(p, 'windowSec', 0.001, 600, true) as number,
  };
  const from = finite(p, 'from', -1e15, 1e15, false);
  const to = finite(p, 'to', -1e15, 1e15, false);
  if ((from === undefined) !== (to === undefined)) throw new ApiError('BAD_REQUEST', 'from and to go together.');
  if (from !== undefined && to !== undefined) Object.assign(out, { from, to });
  const iw = finite(p, 'imageWidth', 1, 4096, false);
  const ih = finite(p, 'imageHeight', 1, 4096, false);
  if (iw !== undefined) out.imageWidth = iw;
  if (ih !== undefined) out.imageHeight = ih;
  if (p?.wantImage !== undefined) {
    if (typeof p.wantImage !== 'boolean') throw new ApiError('BAD_REQUEST', 'wantImage must be true or false.');
    out.wantImage = p.wantImage;
  }
  const waitMs = finite(p, 'waitMs', 0, 5000, false);
  const minIntervalMs = finite(p, 'minIntervalMs', 0, 10_000, false);
  if (waitMs !== undefined) out.waitMs = waitMs;
  if (minIntervalMs !== undefined) out.minIntervalMs = minIntervalMs;
  return out;
}

export function checkLiveClose(params: unknown): { streamId: number } {
  return { streamId: streamId(params as Loose) };
}
