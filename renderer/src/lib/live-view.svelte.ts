// One live view of a segment: opens a stream in main, then keeps CREDITS polls
// outstanding while the view is on screen and not paused. Main holds each until it
// has read something new and answers no sooner than the display interval after the
// previous answer (a wide window: no sooner than its pixel columns can change), so
// a record reaches the screen one ring check plus one transfer after its commit.
// Nothing is requested while the page is hidden (no animation frames run) or the
// view is scrolled out of sight; frames that arrive within one animation frame are
// drawn as one.
import type { LiveFrame, LivePollParams, LiveStreamInfo } from '../../../preload/contract.js';
import { api } from './api.js';
import { recordArrival, recordLatency, statsFor } from './live-stats.js';

export interface LiveRequest {
  width: number;
  windowSec: number;
  zoom: { from: number; to: number } | null;
  imageWidth: number;
  imageHeight: number;
}

/**
 * Polls a view keeps outstanding (its credits): one waits in main for the next record
 * while the answer to the other crosses and is drawn. Measured with three, the round trip
 * grew by a third at the same rate (frames queued behind a busy page): more only adds latency.
 */
const CREDITS = 2;
/** Main holds a poll at most this long when nothing is new (the state still refreshes twice a second). */
const HOLD_MS = 500;
/** Main answers a view at most this often: one frame per display refresh (60 Hz). */
const DISPLAY_MS = 16;

/** Two frames that arrived before one animation frame, as one: counts summed, the newest of the rest. */
function merged(older: LiveFrame, newer: LiveFrame): LiveFrame {
  return {
    ...newer,
    taken: older.taken + newer.taken,
    lost: older.lost + newer.lost,
    image: newer.image ?? older.image,
    traces: newer.traces.length > 0 ? newer.traces : older.traces,
    series: newer.series ?? older.series,
  };
}

export class LiveView {
  info: LiveStreamInfo | undefined = $state.raw();
  frame: LiveFrame | undefined = $state.raw();
  error: string | undefined = $state();
  /** When the last frame arrived (ms epoch), for "stale since". */
  receivedAt: number | null = $state(null);
  paused = $state(false);
  visible = $state(true);
  private stopped = false;
  /** A request that must be made even while paused (the zoom changed). */
  private dirty = true;
  private readonly stats;

  constructor(
    readonly name: string,
    private readonly schemaPath: () => string | undefined,
    private readonly request: () => LiveRequest,
  ) {
    this.stats = statsFor(name);
    void this.run();
  }

  /** Asks for one frame even when paused (after a zoom or pan). */
  refresh(): void {
    this.dirty = true;
  }

  close(): void {
    this.stopped = true;
    const id = this.info?.streamId;
    if (id !== undefined) void api.invoke('live.close', { streamId: id }).catch(() => undefined);
  }

  private async open(): Promise<LiveStreamInfo | undefined> {
    const schemaPath = this.schemaPath();
    try {
      const info = await api.invoke('live.open', { name: this.name, ...(schemaPath ? { schemaPath } : {}) });
      this.info = info;
      this.error = undefined;
      return info;
    } catch (err) {
      this.error = (err as Error).message;
      return undefined;
    }
  }

  /**
   * Each animation frame applies what arrived since the last one. Requests go out
   * at most once per animation frame, with up to CREDITS outstanding; main answers
   * each when there is news, so the rate follows the data up to the display rate.
   */
  private async run(): Promise<void> {
    let frameNo = 0;
    let lastPollFrame = -1;
    let inFlight = 0;
    let arrived: LiveFrame | undefined;

    const ask = (): void => {
      const info = this.info;
      if (this.stopped || !info || inFlight >= CREDITS || !this.visible || (this.paused && !this.dirty)) return;
      if (frameNo === lastPollFrame) return;
      const r = this.request();
      this.dirty = false;
      lastPollFrame = frameNo;
      inFlight++;
      // A frame asked for by the live window, not by a zoom: dropped if it arrives after a pause.
      const live = !r.zoom && !this.paused;
      const params: LivePollParams = {
        streamId: info.streamId,
        width: r.width,
        windowSec: r.windowSec,
        imageWidth: r.imageWidth,
        imageHeight: r.imageHeight,
        ...(r.zoom
          ? { from: r.zoom.from, to: r.zoom.to }
          : {
              waitMs: HOLD_MS,
              // A column of a wide window holds windowSec/width seconds: sooner shows nothing new.
              minIntervalMs: Math.max(DISPLAY_MS, (r.windowSec * 1000) / Math.max(1, r.width)),
            }),
      };
      const sentAt = performance.now();
      api.invoke('live.poll', params).then(
        (frame) => {
          inFlight--;
          const rtt = this.stats.pollMs;
          rtt.push(performance.now() - sentAt);
          if (rtt.length > 200) rtt.shift();
          if (frame.newestEpochMs !== null && (frame.taken > 0 || frame.image))
            recordArrival(this.stats, Date.now() - frame.newestEpochMs);
          if (live && this.paused) this.count(frame);
          else arrived = arrived ? merged(arrived, frame) : frame;
          ask();
        },
        async (err: Error & { code?: string }) => {
          this.error = err.message;
          // The stream timed out or main restarted: open a new one.
          if (err.code === 'NOT_FOUND' || err.code === 'DISCONNECTED') this.info = undefined;
          await sleep(500);
          inFlight--;
        },
      );
    };

    while (!this.stopped) {
      await nextFrame();
      if (this.stopped) return;
      frameNo++;
      if (arrived) {
        this.deliver(arrived);
        arrived = undefined;
      }
      if (!this.info && inFlight === 0) {
        inFlight++;
        const info = await this.open();
        inFlight--;
        if (!info) await sleep(1000);
        continue;
      }
      ask();
    }
  }

  /** What reached the page (read by tests and the benchmark), drawn or not: paused, main still reads every record. */
  private count(frame: LiveFrame): void {
    const s = this.stats;
    s.polls++;
    s.taken += frame.taken;
    s.lost += frame.lost;
  }

  private deliver(frame: LiveFrame): void {
    // Nothing new (a slow channel between records): keep the drawn frame, skip a redraw.
    const prev = this.frame;
    const same =
      prev !== undefined &&
      frame.taken === 0 &&
      frame.lost === 0 &&
      frame.image === null &&
      prev.series?.from === frame.series?.from &&
      prev.series?.to === frame.series?.to &&
      prev.state.gone === frame.state.gone &&
      prev.state.reason === frame.state.reason &&
      prev.state.problems.length === frame.state.problems.length;
    if (!same) this.frame = frame.image === null && prev?.image ? { ...frame, image: prev.image } : frame;
    this.error = undefined;
    this.receivedAt = Date.now();
    this.count(frame);
    const s = this.stats;
    if (frame.image && frame.image.frameId !== s.lastImageFrame) {
      s.imageFrames++;
      s.lastImageFrame = frame.image.frameId;
    }
    if (frame.series) {
      s.xMin = frame.series.from;
      s.xMax = frame.series.to;
    }
    const newest = frame.newestEpochMs;
    if (newest !== null && (frame.taken > 0 || frame.image)) {
      // Measured after the frame that draws it has been painted.
      requestAnimationFrame(() => recordLatency(s, Date.now() - newest));
    }
  }
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
