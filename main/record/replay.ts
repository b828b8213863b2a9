// Replays a recording into DataBlocks: one segment per recorded channel, made with
// the recorded schema and ring capacity, written in log-time order at the recorded
// pace times `rate`. The segments stay until close() (or process exit / a signal:
// the DataBlock cleanup registry unlinks them).
import { layoutOf, type ChannelSchema } from '../datablock/schema.js';
import { createDataBlock, type DataBlockWriter } from '../datablock/writer.js';
import { encodeMessage } from './message-json.js';
import type { Recording } from './recording-file.js';

export interface ReplayOptions {
  /** Speed factor; Infinity writes as fast as the rings take it. Default 1. */
  rate?: number;
  /** Write into segments of the recorded names (they must not exist); default: `<name><suffix>`. */
  sameNames?: boolean;
  /** Default ".replay". */
  suffix?: string;
  /** Stops the replay early (the segments stay until close()). */
  signal?: AbortSignal;
}

export interface ReplayedSegment {
  topic: string;
  shmName: string;
  /** The recorded DataBlock schema the segment was made with (announced in its descriptor). */
  schema: ChannelSchema;
  writer: DataBlockWriter;
  written: number;
}

export interface Replay {
  segments: ReplayedSegment[];
  /** Resolves when every message is written (or the signal stopped it). */
  done: Promise<void>;
  /** Unlinks the segments. */
  close(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Makes the segments now (throws naming one that cannot be made) and starts writing. */
export function startReplay(recording: Recording, options: ReplayOptions = {}): Replay {
  const rate = options.rate ?? 1;
  if (!(rate > 0)) throw new RangeError(`the replay rate must be above 0, got ${rate}`);
  const suffix = options.suffix ?? '.replay';
  const segments: ReplayedSegment[] = [];
  const byChannel = new Map<number, { seg: ReplayedSegment; layout: ReturnType<typeof layoutOf>; buf: Uint8Array }>();
  try {
    for (const c of recording.channels) {
      const shmName = options.sameNames ? c.topic : `${c.topic}${suffix}`;
      const writer = createDataBlock(shmName, { schema: c.schema, capacity: c.capacity });
      const seg = { topic: c.topic, shmName, schema: c.schema, writer, written: 0 };
      segments.push(seg);
      const layout = layoutOf(c.schema.slot);
      byChannel.set(c.channelId, { seg, layout, buf: new Uint8Array(layout.size) });
    }
  } catch (err) {
    for (const s of segments) s.writer.close();
    throw err;
  }
  const run = async (): Promise<void> => {
    let firstLog: bigint | null = null;
    const startMs = performance.now();
    for await (const m of recording.reader.readMessages()) {
      if (options.signal?.aborted) return;
      const target = byChannel.get(m.channelId);
      if (!target || target.seg.writer.isClosed) continue;
      firstLog ??= m.logTime;
      if (Number.isFinite(rate)) {
        const dueMs = startMs + Number(m.logTime - firstLog) / 1e6 / rate;
        const waitMs = dueMs - performance.now();
        if (waitMs > 1) await sleep(waitMs);
      }
      encodeMessage(target.layout, m.data, target.buf);
      target.seg.writer.writeRaw(target.buf);
      target.seg.written++;
    }
  };
  return {
    segments,
    done: run(),
    close() {
      for (const s of segments) s.writer.close();
    },
  };
}
