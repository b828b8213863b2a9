// Live views of segments (`live.open` / `live.poll` / `live.close`). Each open
// view follows its segment's ring passively and keeps a history of its series;
// a poll answers with that history decimated to the plot's pixel width, the
// newest trace, and the newest image scaled to the canvas: typed arrays, never
// JSON arrays. A poll with `waitMs` is held until something new was read (credit-
// based flow: a view keeps a few polls outstanding and main answers one as soon as
// data exists, no sooner than `minIntervalMs` after the last), so a record waits
// for the ring check, not for the next poll to arrive.
import type {
  Json,
  LiveFrame,
  LiveImageFrame,
  LivePollParams,
  LiveStreamInfo,
  LiveTraceFrame,
} from '../../preload/contract.js';
import { ApiError } from '../../preload/contract.js';
import { DataBlockError, type DataBlockReader } from '../datablock/reader.js';
import { openClientSegment } from './client-segment.js';
import { fieldsToJson } from '../datablock/json.js';
import { decodeStruct, layoutOf, type StructSchema } from '../datablock/schema.js';
import { decimateTrace } from './decimate.js';
import type { SchemaInHand } from './inspect-datablock.js';
import { planOf, type LivePlan, type NumericArrayField } from './live-plan.js';
import { RingFollower } from './ring-follower.js';
import { SeriesBuffer } from './series-buffer.js';

/** Records larger than this are not all copied: only the newest is read (camera frames). */
const EVERY_RECORD_MAX_STRIDE = 256 * 1024;
/** Memory one view's history may take. */
const HISTORY_BYTES = 48 * 1024 * 1024;
/** The longest window a view can show (10 min) at up to this many records a second. */
const HISTORY_MAX_SAMPLES = 2_000_000;
/** How often open views drain their rings between polls (a paused or slow view loses nothing). */
const DRAIN_MS = 50;
/** A view not polled for this long is closed (its page went away without saying so). */
const IDLE_CLOSE_MS = 20_000;
/** How often a view re-checks its segment (unlinked, replaced, producer alive). */
const CHECK_MS = 300;
const MAX_IMAGE_SIDE = 1024;
/** Open views at once (each may hold up to HISTORY_BYTES of history). */
const MAX_STREAMS = 16;
/** How often held polls look for new records: reading commit_index is one load from shared memory. */
const HOLD_CHECK_MS = 4;
/** Polls one view may have held at once (its credits). */
const MAX_HELD_PER_STREAM = 4;

/** A poll waiting for news. */
interface Held {
  params: LivePollParams;
  /** Date.now() after which it is answered even with nothing new. */
  until: number;
  resolve(frame: LiveFrame): void;
  reject(err: Error): void;
}

class LiveStream {
  readonly info: LiveStreamInfo;
  private readonly follower: RingFollower;
  private readonly plan: LivePlan | null;
  private readonly history: SeriesBuffer | null;
  private readonly values: Float64Array;
  private readonly traceBytes = new Map<string, { id: bigint; bytes: Uint8Array }>();
  private image: { id: bigint; bytes: Uint8Array; width: number; height: number } | null = null;
  private imageSent: { id: bigint; w: number; h: number } | null = null;
  private takenSincePoll = 0;
  private lostSincePoll = 0;
  private newestEpochMs: number | null = null;
  private state: LiveFrame['state'] = { gone: false, problems: [], alive: null, reason: '' };
  private checkedAt = 0;
  /** The state as last answered, to tell a changed one (gone, liveness) as news. */
  private stateSent = '';
  polledAt = Date.now();
  /** When the last poll was answered (Date.now()), for minIntervalMs. */
  answeredAt = 0;
  /** Polls held until there is news, oldest first. */
  readonly held: Held[] = [];

  constructor(
    readonly id: number,
    private readonly reader: DataBlockReader,
    found: SchemaInHand | null,
    units: Record<string, string>,
  ) {
    const g = reader.geometry;
    this.plan = found ? planOf(found.schema, units) : null;
    const mode = g.stride > EVERY_RECORD_MAX_STRIDE ? 'latest' : 'every';
    this.follower = new RingFollower(reader, 'oldest');
    const seriesCount = this.plan?.series.length ?? 0;
    const limit = Math.min(HISTORY_MAX_SAMPLES, Math.floor(HISTORY_BYTES / ((seriesCount + 1) * 8 + 1)));
    this.history = this.plan && seriesCount > 0 ? new SeriesBuffer(seriesCount, limit) : null;
    this.values = new Float64Array(seriesCount);
    const timeField = this.plan?.time?.field.name ?? null;
    this.info = {
      streamId: id,
      name: reader.name,
      time: {
        field: timeField,
        unit: timeField ? (units[timeField] ?? null) : 's since epoch',
        epoch: timeField ? this.timeIsEpoch(units[timeField]) : true,
      },
      series: this.plan?.series ?? [],
      traces: (this.plan?.traces ?? []).map((t) => t.info),
      image: this.plan?.image ? { field: this.plan.image.pixels.field.name, width: 0, height: 0 } : null,
      capacity: g.capacity,
      stride: g.stride,
      layout: found
        ? layoutOf(found.schema.slot).fields.map((f) => ({
            name: f.name,
            type: f.type,
            offset: f.offset,
            size: f.size,
            count: f.count,
          }))
        : [],
      flexZone: found?.schema.flexzone ? decodeFlexZone(reader, found.schema.flexzone) : null,
      mode,
      note: found ? null : 'No schema is known for this segment, so there is nothing to plot; name a schema file.',
    };
    this.check(true);
    this.drain();
  }

  /** A timestamp field is wall-clock time when its unit says so or its newest value looks like epoch seconds. */
  private timeIsEpoch(unit: string | undefined): boolean {
    if (unit && /epoch|unix/i.test(unit)) return true;
    const latest = this.reader.commitIndex();
    if (latest === null || !this.plan?.time) return false;
    const buf = new Uint8Array(this.reader.geometry.stride + 33);
    const r = this.reader.copyId(latest, buf);
    if (typeof r !== 'number') return false;
    return this.plan.time.read(new DataView(buf.buffer)) > 1e9;
  }

  /** Reads what was committed since the last drain. */
  drain(): void {
    if (this.state.problems.length > 0 && !this.reader.report.geometry) return;
    const sink = (id: bigint, bytes: Uint8Array, gapBefore: boolean) => this.accept(id, bytes, gapBefore);
    let r;
    try {
      r = this.info.mode === 'every' ? this.follower.take(sink) : this.follower.takeLatest(sink);
    } catch (err) {
      this.failed(err);
      return;
    }
    this.takenSincePoll += r.taken;
    this.lostSincePoll += r.lost;
  }

  private accept(id: bigint, bytes: Uint8Array, gapBefore: boolean): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const plan = this.plan;
    const now = Date.now();
    let time = now / 1000;
    if (plan?.time) time = plan.time.read(view);
    this.newestEpochMs = this.info.time.epoch && plan?.time ? time * 1000 : now;
    if (!plan) return;
    if (this.history) {
      for (let s = 0; s < plan.readSeries.length; s++)
        this.values[s] = (plan.readSeries[s] as (v: DataView) => number)(view);
      this.history.push(time, this.values, gapBefore);
    }
    for (const t of plan.traces) this.keepBytes(t.info.field, id, bytes, t.array);
    if (plan.image) {
      const w = plan.image.width(view);
      const h = plan.image.height(view);
      const f = plan.image.pixels.field;
      if (w > 0 && h > 0 && w * h === f.count) {
        const kept = this.image?.bytes.length === f.size ? this.image.bytes : new Uint8Array(f.size);
        kept.set(bytes.subarray(f.offset, f.offset + f.size));
        this.image = { id, bytes: kept, width: w, height: h };
      }
    }
  }

  private keepBytes(name: string, id: bigint, bytes: Uint8Array, array: NumericArrayField): void {
    const f = array.field;
    const kept = this.traceBytes.get(name)?.bytes ?? new Uint8Array(f.size);
    kept.set(bytes.subarray(f.offset, f.offset + f.size));
    this.traceBytes.set(name, { id, bytes: kept });
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.state = { ...this.state, problems: [message] };
  }

  /** Re-checks the segment: unlinked or replaced means gone; the producer's liveness. */
  private check(force = false): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < CHECK_MS) return;
    this.checkedAt = now;
    try {
      const report = this.reader.validate();
      const header = this.reader.header();
      const live = this.reader.liveness(header);
      const goneWhy = [...report.problems, ...report.warnings].filter((p) => /unlinked|replaced|shrank/.test(p));
      this.state = {
        gone: goneWhy.length > 0,
        problems: report.problems,
        alive: goneWhy.length > 0 ? false : live.alive,
        reason: goneWhy.length > 0 ? `the segment is gone: ${goneWhy.join('; ')}` : live.text,
      };
    } catch (err) {
      this.state = {
        gone: true,
        problems: [(err as Error).message],
        alive: false,
        reason: 'the segment cannot be read',
      };
    }
  }

  /** Reads what is new (records, segment state) and says whether a poll would carry anything new. */
  refreshNews(): boolean {
    this.check();
    this.drain();
    if (this.takenSincePoll > 0 || this.lostSincePoll > 0) return true;
    if (this.image && this.image.id !== this.imageSent?.id) return true;
    return stateKey(this.state) !== this.stateSent;
  }

  poll(p: LivePollParams): LiveFrame {
    this.polledAt = Date.now();
    this.answeredAt = this.polledAt;
    this.check();
    this.drain();
    this.stateSent = stateKey(this.state);
    const frame: LiveFrame = {
      streamId: this.id,
      taken: this.takenSincePoll,
      lost: this.lostSincePoll,
      totalTaken: this.follower.totalTaken,
      totalLost: this.follower.totalLost,
      commitIndex: null,
      newestEpochMs: this.newestEpochMs,
      series: null,
      traces: [],
      image: null,
      state: this.state,
    };
    this.takenSincePoll = 0;
    this.lostSincePoll = 0;
    try {
      frame.commitIndex = this.reader.commitIndex()?.toString() ?? null;
    } catch {
      frame.commitIndex = null;
    }
    const width = Math.max(1, Math.min(8192, Math.floor(p.width)));
    if (this.history) {
      const newest = this.history.newestTime();
      const zoomed = p.from !== undefined && p.to !== undefined && p.to > p.from;
      const to = zoomed ? (p.to as number) : (newest ?? Date.now() / 1000);
      const from = zoomed ? (p.from as number) : to - Math.min(600, Math.max(0.001, p.windowSec));
      const d = this.history.decimate(from, to, width);
      frame.series = { x: d.x, y: d.y, from, to, samples: d.samples };
    }
    for (const t of this.plan?.traces ?? []) {
      const kept = this.traceBytes.get(t.info.field);
      if (!kept) continue;
      const view = new DataView(kept.bytes.buffer, 0, kept.bytes.length);
      const values = new Float64Array(t.info.length);
      const size = t.array.field.elemSize;
      // The kept bytes start at the field, so element k sits at k * elemSize.
      for (let k = 0; k < values.length; k++) values[k] = t.array.read(view, k * size);
      frame.traces.push({
        field: t.info.field,
        id: kept.id.toString(),
        ...decimateTrace(values, width),
      } satisfies LiveTraceFrame);
    }
    if (p.wantImage !== false) frame.image = this.scaledImage(p);
    return frame;
  }

  /** The newest image scaled to the canvas (nearest source pixel), when it is new or the canvas changed. */
  private scaledImage(p: LivePollParams): LiveImageFrame | null {
    const img = this.image;
    if (!img || !this.plan?.image) return null;
    const boxW = Math.max(1, Math.min(MAX_IMAGE_SIDE, Math.floor(p.imageWidth ?? 256)));
    const boxH = Math.max(1, Math.min(MAX_IMAGE_SIDE, Math.floor(p.imageHeight ?? 256)));
    const scale = Math.min(1, boxW / img.width, boxH / img.height);
    const w = Math.max(1, Math.round(img.width * scale));
    const h = Math.max(1, Math.round(img.height * scale));
    const sent = this.imageSent;
    if (sent && sent.id === img.id && sent.w === w && sent.h === h) return null;
    this.imageSent = { id: img.id, w, h };
    const source = pixelArray(this.plan.image.pixels, img.bytes);
    // 8- and 16-bit cameras cross as 16-bit values (half the bytes of float32), others as float32.
    const out: Float32Array | Uint16Array =
      source instanceof Uint8Array || source instanceof Uint16Array ? new Uint16Array(w * h) : new Float32Array(w * h);
    const { min, max } = scaleNearest(source, img.width, img.height, out, w, h);
    return {
      field: this.plan.image.pixels.field.name,
      frameId: img.id.toString(),
      width: w,
      height: h,
      sourceWidth: img.width,
      sourceHeight: img.height,
      min,
      max,
      pixels: out,
    };
  }

  close(): void {
    this.reader.close();
  }
}

/** What makes a state news; not the reason text, whose heartbeat age changes on every check. */
function stateKey(s: LiveFrame['state']): string {
  return `${s.gone}|${s.alive}|${s.problems.join('|')}`;
}

/** The flexible zone through its schema; null when it is smaller than the struct or unreadable. */
function decodeFlexZone(reader: DataBlockReader, struct: StructSchema): Record<string, Json> | null {
  try {
    const layout = layoutOf(struct);
    const bytes = reader.flexZone();
    return bytes.length >= layout.size ? fieldsToJson(decodeStruct(layout, bytes), 64) : null;
  } catch {
    return null;
  }
}

/**
 * Nearest source pixel of each of the w x h output pixels, and the output's range, in
 * one pass (the camera's hot loop in main: kept to one shape of array access each).
 */
function scaleNearest(
  source: ArrayLike<number>,
  sw: number,
  sh: number,
  out: Float32Array | Uint16Array,
  w: number,
  h: number,
): { min: number; max: number } {
  const cols = new Int32Array(w);
  for (let x = 0; x < w; x++) cols[x] = Math.min(sw - 1, Math.floor(((x + 0.5) * sw) / w));
  let min = Infinity;
  let max = -Infinity;
  for (let y = 0; y < h; y++) {
    const row = Math.min(sh - 1, Math.floor(((y + 0.5) * sh) / h)) * sw;
    const at = y * w;
    for (let x = 0; x < w; x++) {
      const v = source[row + (cols[x] as number)] as number;
      out[at + x] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  // A float image's range is of the float32 values that cross, as before.
  if (out instanceof Float32Array) return { min: Math.fround(min), max: Math.fround(max) };
  return { min, max };
}

/** A kept array field as a typed array over its bytes (copied to a fresh buffer, so aligned). */
function pixelArray(array: NumericArrayField, bytes: Uint8Array): ArrayLike<number> {
  const f = array.field;
  const n = f.count;
  const buf = bytes.buffer;
  switch (f.type) {
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf, 0, n);
    case 'uint16':
      return new Uint16Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'uint32':
      return new Uint32Array(buf, 0, n);
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    default: {
      // 64-bit integers: converted once per frame.
      const view = new DataView(buf, 0, bytes.length);
      return Float64Array.from({ length: n }, (_, k) => array.read(view, k * f.elemSize));
    }
  }
}

export class LiveStreams {
  private readonly streams = new Map<number, LiveStream>();
  private nextId = 1;
  private readonly timer: NodeJS.Timeout;
  /** Runs while any poll is held. */
  private holdTimer: NodeJS.Timeout | null = null;

  constructor() {
    this.timer = setInterval(() => this.tick(), DRAIN_MS);
    this.timer.unref();
  }

  open(name: string, found: SchemaInHand | null, units: Record<string, string>): LiveStreamInfo {
    if (this.streams.size >= MAX_STREAMS) {
      throw new ApiError('UNAVAILABLE', `At most ${MAX_STREAMS} live views can be open at once; close some.`);
    }
    const reader = openClientSegment(name);
    try {
      if (!reader.report.geometry) {
        throw new ApiError('UNAVAILABLE', `DataBlock ${name} cannot be followed: ${reader.report.problems.join('; ')}`);
      }
      const stream = new LiveStream(this.nextId++, reader, found, units);
      this.streams.set(stream.id, stream);
      return stream.info;
    } catch (err) {
      reader.close();
      if (err instanceof DataBlockError) throw new ApiError('UNAVAILABLE', err.message);
      throw err;
    }
  }

  /** Answers at once, whatever waitMs says. */
  poll(params: LivePollParams): LiveFrame {
    return this.stream(params.streamId).poll(params);
  }

  /**
   * The live.poll handler: at once without waitMs (or for a zoomed range, which the
   * user is waiting for); else held until the view has news and minIntervalMs has
   * passed since its previous answer, or until waitMs runs out.
   */
  next(params: LivePollParams): Promise<LiveFrame> {
    const stream = this.stream(params.streamId);
    const wait = params.waitMs ?? 0;
    if (wait <= 0 || params.from !== undefined) return Promise.resolve(stream.poll(params));
    if (stream.held.length >= MAX_HELD_PER_STREAM) {
      throw new ApiError('BAD_REQUEST', `At most ${MAX_HELD_PER_STREAM} polls of one live view may wait at once.`);
    }
    stream.polledAt = Date.now();
    return new Promise<LiveFrame>((resolve, reject) => {
      stream.held.push({ params, until: Date.now() + wait, resolve, reject });
      this.answerHeld(stream, Date.now());
      if (stream.held.length > 0 && !this.holdTimer) {
        this.holdTimer = setInterval(() => this.checkHeld(), HOLD_CHECK_MS);
        this.holdTimer.unref();
      }
    });
  }

  close(streamId: number): null {
    const stream = this.streams.get(streamId);
    if (stream) this.release(stream, `The live view ${streamId} was closed.`);
    stream?.close();
    this.streams.delete(streamId);
    return null;
  }

  closeAll(): void {
    clearInterval(this.timer);
    if (this.holdTimer) clearInterval(this.holdTimer);
    this.holdTimer = null;
    for (const s of this.streams.values()) {
      this.release(s, 'HubScope is shutting down.');
      s.close();
    }
    this.streams.clear();
  }

  private stream(streamId: number): LiveStream {
    const stream = this.streams.get(streamId);
    if (!stream) throw new ApiError('NOT_FOUND', `No live view ${streamId} is open (it may have timed out).`);
    return stream;
  }

  private release(stream: LiveStream, why: string): void {
    for (const h of stream.held.splice(0)) h.reject(new ApiError('NOT_FOUND', why));
  }

  /** Answers the oldest held poll of a view when it has news and is due, or has waited long enough. */
  private answerHeld(stream: LiveStream, now: number): void {
    const h = stream.held[0];
    if (!h) return;
    const due = now - stream.answeredAt >= (h.params.minIntervalMs ?? 0);
    // Reading the ring only when an answer could go out: records wait in the ring, never lost meanwhile.
    if (!(due && stream.refreshNews()) && now < h.until) return;
    stream.held.shift();
    try {
      h.resolve(stream.poll(h.params));
    } catch (err) {
      h.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private checkHeld(): void {
    const now = Date.now();
    let waiting = false;
    for (const s of this.streams.values()) {
      this.answerHeld(s, now);
      waiting ||= s.held.length > 0;
    }
    if (!waiting && this.holdTimer) {
      clearInterval(this.holdTimer);
      this.holdTimer = null;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const [id, s] of this.streams) {
      if (now - s.polledAt > IDLE_CLOSE_MS) this.close(id);
      else s.drain();
    }
  }
}
