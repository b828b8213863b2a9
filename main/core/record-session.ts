// The app's Record button: one recording at a time, written by the same Recorder as
// `hubscope record` (main/record/recorder.ts) into the recordings folder. The
// rings are read every 20 ms in main, whether a view is open or not; the UI polls
// record.status for elapsed time, records written and the file.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, type RecordingStatusDto, type RecordStartParams } from '../../preload/contract.js';
import type { ChannelSchema } from '../datablock/schema.js';
import { MAX_PRE_BUFFER_S, Recorder, type RecordingSummary, type RecordSource } from '../record/recorder.js';
import { recordingFileName } from '../record/recordings-dir.js';

/** As in `hubscope record`: well inside a ring's lifetime at the demo's rates. */
const POLL_MS = 20;
/** At most this many channels in one recording (a request names them one by one). */
export const MAX_RECORD_CHANNELS = 64;

/** Finds the schema of one segment (the inspector's lookup); null when none is known. */
export type SchemaFinder = (shmName: string, schemaPath: string | undefined) => Promise<ChannelSchema | null>;
/** Turns a channel name into its segment name (names that are segments already come back unchanged). */
export type SegmentOf = (name: string) => string;

interface Running {
  recorder: Recorder;
  startedAt: Date;
  loop: Promise<void>;
  stopping: boolean;
}

export class RecordSessions {
  private running: Running | null = null;
  private last: { startedAt: Date; endedAt: Date; summary: RecordingSummary } | null = null;
  private error: string | null = null;

  constructor(
    private readonly dir: string,
    private readonly findSchema: SchemaFinder,
    private readonly segmentOf: SegmentOf,
  ) {}

  async start(params: RecordStartParams): Promise<RecordingStatusDto> {
    if (this.running) {
      throw new ApiError(
        'BAD_REQUEST',
        `a recording is already running (${this.running.recorder.progress().files.join(', ')}); stop it first`,
      );
    }
    const sources: RecordSource[] = [];
    for (const name of params.channels) {
      const shmName = this.segmentOf(name).replace(/^\//, '');
      if (sources.some((s) => s.shmName === shmName)) continue;
      const schema = await this.findSchema(shmName, params.schemaPath);
      if (!schema) {
        throw new ApiError(
          'BAD_REQUEST',
          `no schema known for ${shmName}: its producer published none (descriptor file or broker); pick a schema file in the inspector first`,
        );
      }
      sources.push({ shmName, schema });
    }
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw new ApiError('UNAVAILABLE', `cannot create the recordings folder ${this.dir}: ${(err as Error).message}`);
    }
    const startedAt = new Date();
    const outPath = join(
      this.dir,
      recordingFileName(
        sources.map((s) => s.shmName),
        startedAt,
      ),
    );
    let recorder: Recorder;
    try {
      recorder = await Recorder.start(sources, { outPath, preBufferS: params.preBufferS ?? 0 });
    } catch (err) {
      throw new ApiError('UNAVAILABLE', `cannot start recording: ${(err as Error).message}`);
    }
    this.error = null;
    const running: Running = { recorder, startedAt, loop: Promise.resolve(), stopping: false };
    running.loop = this.pollLoop(running);
    this.running = running;
    return this.status();
  }

  /** One poll at a time (McapWriter calls must not overlap) until stop; a failure ends the recording. */
  private async pollLoop(running: Running): Promise<void> {
    while (!running.stopping) {
      try {
        await running.recorder.poll();
      } catch (err) {
        this.error = `recording stopped: ${(err as Error).message}`;
        running.stopping = true;
        await this.finish(running);
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private async finish(running: Running): Promise<void> {
    let summary: RecordingSummary;
    try {
      summary = await running.recorder.stop();
    } catch (err) {
      this.error ??= `the recording could not be finished: ${(err as Error).message}`;
      summary = running.recorder.progress();
    }
    if (this.running === running) this.running = null;
    this.last = { startedAt: running.startedAt, endedAt: new Date(), summary };
  }

  async stop(): Promise<RecordingStatusDto> {
    const running = this.running;
    if (!running) return this.status();
    running.stopping = true;
    await running.loop;
    // The loop ended by a failure has already finished the file.
    if (this.running === running) await this.finish(running);
    return this.status();
  }

  status(): RecordingStatusDto {
    const now = new Date();
    const shown = this.running
      ? { startedAt: this.running.startedAt, endedAt: null, summary: this.running.recorder.progress() }
      : this.last;
    const channels =
      shown?.summary.channels.map((c) => ({
        shmName: c.topic,
        recorded: c.recorded,
        lost: c.lost,
        stoppedBy: c.stoppedBy,
        preBuffered: c.preBuffered,
      })) ?? [];
    return {
      state: this.running ? 'recording' : 'idle',
      dir: this.dir,
      startedAt: shown ? shown.startedAt.toISOString() : null,
      endedAt: shown?.endedAt ? shown.endedAt.toISOString() : null,
      elapsedMs: shown ? (shown.endedAt ?? now).getTime() - shown.startedAt.getTime() : null,
      files: shown ? [...shown.summary.files] : [],
      channels,
      recorded: channels.reduce((sum, c) => sum + c.recorded, 0),
      error: this.error,
    };
  }

  /** Finishes a running recording (the file stays complete when the app quits). */
  async close(): Promise<void> {
    await this.stop();
  }
}

/** Checks the untrusted params of record.start. */
export function checkRecordStart(params: unknown): RecordStartParams {
  const p = params as { channels?: unknown; schemaPath?: unknown; preBufferS?: unknown } | null;
  const channels = p?.channels;
  if (
    !Array.isArray(channels) ||
    channels.length === 0 ||
    channels.length > MAX_RECORD_CHANNELS ||
    !channels.every((c): c is string => typeof c === 'string' && c.length > 0 && c.length <= 255)
  ) {
    throw new ApiError(
      'BAD_REQUEST',
      `record.start needs { channels: [...] }: 1 to ${MAX_RECORD_CHANNELS} segment or channel names (1 to 255 characters each).`,
    );
  }
  if (p?.schemaPath !== undefined && (typeof p.schemaPath !== 'string' || !p.schemaPath.endsWith('.json'))) {
    throw new ApiError('BAD_REQUEST', 'schemaPath must be the path of a schema file ending in .json.');
  }
  const pre = p?.preBufferS;
  if (pre !== undefined && (typeof pre !== 'number' || !Number.isFinite(pre) || pre < 0 || pre > MAX_PRE_BUFFER_S)) {
    throw new ApiError('BAD_REQUEST', `preBufferS must be a number of seconds from 0 to ${MAX_PRE_BUFFER_S}.`);
  }
  return {
    channels,
    ...(typeof p?.schemaPath === 'string' ? { schemaPath: p.schemaPath } : {}),
    ...(typeof pre === 'number' && pre > 0 ? { preBufferS: pre } : {}),
  };
}
