// MCAP output for a recording: chunked, indexed files written through @mcap/core,
// split into parts at a size limit. Every part is complete on its own: it carries
// every schema and channel, and a "hubscope.recording" metadata record with the
// records recorded and lost (ring overwrite) while that part was written.
import { open, type FileHandle } from 'node:fs/promises';
import { McapWriter, type IWritable } from '@mcap/core';

/** Appends to an open file, counting its position (what McapWriter asks of a writable). */
class FileWritable implements IWritable {
  private pos = 0n;
  constructor(private readonly file: FileHandle) {}
  async write(buffer: Uint8Array): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      const { bytesWritten } = await this.file.write(buffer, done, buffer.length - done);
      done += bytesWritten;
    }
    this.pos += BigInt(buffer.length);
  }
  position(): bigint {
    return this.pos;
  }
}

export interface McapChannelSpec {
  topic: string;
  schemaName: string;
  /** The JSON Schema text (schema encoding "jsonschema"). */
  jsonSchema: string;
  /** Channel metadata (the DataBlock schema and geometry, for replay). */
  metadata: Map<string, string>;
}

export interface McapMessage {
  /** Index into the channels given to open(). */
  channel: number;
  sequence: number;
  logTime: bigint;
  publishTime: bigint;
  data: Uint8Array;
}

/** Counts per channel while one part is written, for its metadata record. */
export interface PartCounts {
  recorded: number[];
  lost: number[];
}

/** Chunk size: the library's default of 1 MiB, smaller when parts are small so the size check can act. */
const CHUNK_BYTES = 1 << 20;

/** The path of part `n` (1-based): the output path itself without splitting, else `<base>-0001.mcap`... */
export function partPath(outPath: string, n: number, splitting: boolean): string {
  if (!splitting) return outPath;
  const base = outPath.endsWith('.mcap') ? outPath.slice(0, -'.mcap'.length) : outPath;
  return `${base}-${String(n).padStart(4, '0')}.mcap`;
}

export class SplitMcapWriter {
  private file: FileHandle | null = null;
  private writable: FileWritable | null = null;
  private writer: McapWriter | null = null;
  private channelIds: number[] = [];
  private part = 0;
  private counts: PartCounts;
  readonly paths: string[] = [];

  private constructor(
    private readonly outPath: string,
    private readonly channels: readonly McapChannelSpec[],
    private readonly splitBytes: number | null,
    private readonly recordingMetadata: () => Map<string, string>,
  ) {
    this.counts = { recorded: channels.map(() => 0), lost: channels.map(() => 0) };
  }

  /** Opens the first part. `recordingMetadata` adds keys (totals so far) to each part's metadata record. */
  static async open(
    outPath: string,
    channels: readonly McapChannelSpec[],
    splitBytes: number | null,
    recordingMetadata: () => Map<string, string> = () => new Map(),
  ): Promise<SplitMcapWriter> {
    const w = new SplitMcapWriter(outPath, channels, splitBytes, recordingMetadata);
    await w.startPart();
    return w;
  }

  private async startPart(): Promise<void> {
    this.part++;
    const path = partPath(this.outPath, this.part, this.splitBytes !== null);
    // 'wx': never overwrite a file the user already has.
    this.file = await open(path, 'wx').catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        err.code === 'EEXIST'
          ? `${path} already exists; choose another output name`
          : `cannot create ${path}: ${err.message}`,
      );
    });
    this.paths.push(path);
    this.writable = new FileWritable(this.file);
    const chunkSize =
      this.splitBytes === null ? CHUNK_BYTES : Math.max(4096, Math.min(CHUNK_BYTES, this.splitBytes / 4));
    this.writer = new McapWriter({ writable: this.writable, useChunks: true, chunkSize });
    await this.writer.start({ profile: '', library: 'hubscope (@mcap/core)' });
    this.channelIds = [];
    for (const c of this.channels) {
      const schemaId = await this.writer.registerSchema({
        name: c.schemaName,
        encoding: 'jsonschema',
        data: new TextEncoder().encode(c.jsonSchema),
      });
      this.channelIds.push(
        await this.writer.registerChannel({ topic: c.topic, messageEncoding: 'json', schemaId, metadata: c.metadata }),
      );
    }
  }

  /** Counts records lost to ring overwrite on channel `channel` (into the current part's metadata). */
  countLost(channel: number, n: number): void {
    this.counts.lost[channel] = (this.counts.lost[channel] ?? 0) + n;
  }

  async add(m: McapMessage): Promise<void> {
    const writer = this.writer;
    if (!writer || !this.writable) throw new Error('the recording is closed');
    await writer.addMessage({
      channelId: this.channelIds[m.channel] ?? 0,
      sequence: m.sequence,
      logTime: m.logTime,
      publishTime: m.publishTime,
      data: m.data,
    });
    this.counts.recorded[m.channel] = (this.counts.recorded[m.channel] ?? 0) + 1;
    if (this.splitBytes !== null && this.writable.position() >= BigInt(this.splitBytes)) {
      await this.endPart();
      await this.startPart();
    }
  }

  private async endPart(): Promise<void> {
    const writer = this.writer;
    if (!writer) return;
    const metadata = new Map<string, string>([['part', String(this.part)], ...this.recordingMetadata()]);
    this.channels.forEach((c, i) => {
      metadata.set(`recorded.${c.topic}`, String(this.counts.recorded[i] ?? 0));
      metadata.set(`lost.${c.topic}`, String(this.counts.lost[i] ?? 0));
    });
    metadata.set('lost', String(this.counts.lost.reduce((a, b) => a + b, 0)));
    await writer.addMetadata({ name: 'hubscope.recording', metadata });
    await writer.end();
    await this.file?.close();
    this.writer = null;
    this.writable = null;
    this.file = null;
    this.counts = { recorded: this.channels.map(() => 0), lost: this.channels.map(() => 0) };
  }

  /** Ends the last part (its metadata, summary and footer) and closes the file. */
  async close(): Promise<void> {
    await this.endPart();
  }
}
