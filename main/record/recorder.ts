// Records DataBlock channels into MCAP: follows each segment's ring passively
// (RingFollower: every committed record once, overwrites counted), decodes each
// record with its schema and writes it as one JSON message. poll() does one round;
// the caller drives it (the CLI on a timer, tests step by step).
import { RingFollower } from '../core/ring-follower.js';
import { openSharedMemorySegment, type DataBlockReader } from '../datablock/reader.js';
import { layoutOf, type ChannelSchema, type StructLayout } from '../datablock/schema.js';
import { jsonSchemaOf } from './json-schema.js';
import { logTimeOf, timestampFieldOf, wallClockNs, type TimestampField } from './log-time.js';
import { SplitMcapWriter, type McapMessage } from './mcap-file.js';
import { recordToMessage } from './message-json.js';

export interface RecordSource {
  /** The segment's shm name (the MCAP topic). */
  shmName: string;
  schema: ChannelSchema;
}

/** The longest pre-buffer (`hubscope record --pre-buffer`, the app's `preBufferS`). */
export const MAX_PRE_BUFFER_S = 3600;

export interface RecorderOptions {
  outPath: string;
  /** Start a new file when one reaches this many bytes; null or absent: one file. */
  splitBytes?: number | null;
  /**
   * Also record what the rings hold from the last S seconds before the start
   * (by log time). Memory stays bounded: the rings themselves are the buffer.
   */
  preBufferS?: number;
}

export interface ChannelSummary {
  topic: string;
  recorded: number;
  /** Records overwritten by the producer before the recorder could copy them. */
  lost: number;
  /** Why the channel stopped being recorded early (its segment went away), else null. */
  stoppedBy: string | null;
  /** Of `recorded`, those committed before the start: the pre-buffer's share (0 without one). */
  preBuffered: number;
}

export interface RecordingSummary {
  files: string[];
  channels: ChannelSummary[];
}

interface Followed {
  source: RecordSource;
  reader: DataBlockReader;
  follower: RingFollower;
  layout: StructLayout;
  timestamp: TimestampField | null;
  summary: ChannelSummary;
  /** With a pre-buffer: the newest record id at the start (those up to it came from before). */
  newestAtStart: bigint | null;
}

/** Channel metadata keys replay reads back. */
export const META_SCHEMA = 'hubscope.datablock_schema';
export const META_CAPACITY = 'hubscope.capacity';

export class Recorder {
  private stopped = false;
  private constructor(
    private readonly followed: Followed[],
    private readonly out: SplitMcapWriter,
    /** With a pre-buffer: records logged before this are left out. */
    private readonly earliestNs: bigint | null,
  ) {}

  /** Opens every segment (read-only) and the first file; throws naming the segment or file that fails. */
  static async start(sources: readonly RecordSource[], options: RecorderOptions): Promise<Recorder> {
    if (sources.length === 0) throw new Error('nothing to record: give at least one channel');
    const preBufferS = options.preBufferS ?? 0;
    const followed: Followed[] = [];
    try {
      for (const source of sources) {
        const reader = openSharedMemorySegment(source.shmName);
        followed.push({
          source,
          reader,
          follower: new RingFollower(reader, 'oldest'),
          layout: layoutOf(source.schema.slot),
          timestamp: timestampFieldOf(source.schema),
          summary: { topic: source.shmName, recorded: 0, lost: 0, stoppedBy: null, preBuffered: 0 },
          newestAtStart: preBufferS > 0 ? reader.commitIndex() : null,
        });
        if (layoutOf(source.schema.slot).size > reader.geometry.stride) {
          throw new Error(`the schema ${source.schema.id} is larger than a slot of ${source.shmName}`);
        }
      }
    } catch (err) {
      for (const f of followed) f.reader.close();
      throw err;
    }
    // Without a pre-buffer, what the rings already hold is not part of the recording:
    // one take now moves each follower past it, so the first poll starts at the next commit.
    if (preBufferS <= 0) for (const f of followed) f.follower.take(() => undefined);
    const startedNs = wallClockNs();
    const channels = followed.map((f) => ({
      topic: f.source.shmName,
      schemaName: f.source.schema.id,
      jsonSchema: JSON.stringify(jsonSchemaOf(f.source.schema)),
      metadata: new Map([
        [META_SCHEMA, JSON.stringify(f.source.schema)],
        [META_CAPACITY, String(f.reader.geometry.capacity)],
        ['hubscope.log_time', f.timestamp ? `record field ${f.timestamp.name}` : 'read time'],
      ]),
    }));
    let out: SplitMcapWriter;
    try {
      out = await SplitMcapWriter.open(options.outPath, channels, options.splitBytes ?? null, () => {
        const m = new Map<string, string>([['started_ns', String(startedNs)]]);
        for (const f of followed) m.set(`lost_total.${f.summary.topic}`, String(f.summary.lost));
        return m;
      });
    } catch (err) {
      for (const f of followed) f.reader.close();
      throw err;
    }
    const earliestNs = preBufferS > 0 ? startedNs - BigInt(Math.round(preBufferS * 1e9)) : null;
    return new Recorder(followed, out, earliestNs);
  }

  /** Copies and writes everything committed since the last poll. */
  async poll(): Promise<void> {
    if (this.stopped) return;
    const batch: McapMessage[] = [];
    /** Per message of the batch: committed before the start (a pre-buffered record). */
    const fromBefore: boolean[] = [];
    this.followed.forEach((f, channel) => {
      if (f.summary.stoppedBy !== null) return;
      const readNs = wallClockNs();
      try {
        const r = f.follower.take((id, bytes) => {
          const { data, fields } = recordToMessage(f.layout, bytes);
          const logTime = logTimeOf(f.timestamp, fields, readNs);
          if (this.earliestNs !== null && logTime < this.earliestNs) return; // older than the pre-buffer window
          batch.push({ channel, sequence: Number(id % 4294967296n), logTime, publishTime: readNs, data });
          fromBefore.push(f.newestAtStart !== null && id <= f.newestAtStart);
        });
        if (r.lost > 0) {
          f.summary.lost += r.lost;
          this.out.countLost(channel, r.lost);
        }
      } catch (err) {
        f.summary.stoppedBy = (err as Error).message;
      }
    });
    for (const [i, m] of batch.entries()) {
      await this.out.add(m);
      const s = this.followed[m.channel]?.summary;
      if (!s) continue;
      s.recorded++;
      if (fromBefore[i]) s.preBuffered++;
    }
  }

  /** What has been written so far (the app shows it while recording). */
  progress(): RecordingSummary {
    return { files: [...this.out.paths], channels: this.followed.map((f) => ({ ...f.summary })) };
  }

  /** A last poll, then the metadata, summary and footer of the last file. */
  async stop(): Promise<RecordingSummary> {
    if (!this.stopped) {
      await this.poll();
      this.stopped = true;
      await this.out.close();
      for (const f of this.followed) f.reader.close();
    }
    return { files: [...this.out.paths], channels: this.followed.map((f) => ({ ...f.summary })) };
  }
}
