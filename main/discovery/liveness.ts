// The staleness rule (docs/discovery.md, "Staleness"). Pure except for the
// pidAlive callback, so the watcher, the fallback resolver and the tests share it.
//
// - Same host (host name equal to ours): the writer is stale when its pid is
//   not running, or when its boot id differs from ours (written before a reboot).
//   A running pid with a heartbeat overdue is "unknown": the pid may have been
//   reused by another process, or the producer is hung.
// - Other host: stale when nothing was heard for more than STALE_MULTIPLE x
//   heartbeatIntervalMs. "Heard" is the later of the file's updatedAt and the
//   time this reader saw the file change, so a writer whose clock lags ours is
//   still live while its file keeps changing. A heartbeat interval of 0 means
//   the writer promises none: its liveness on another host is unknown.

export const STALE_MULTIPLE = 3;
/** updatedAt further ahead of our clock than this is treated as clock skew. */
export const CLOCK_SKEW_TOLERANCE_MS = 2_000;

export type Liveness = 'live' | 'stale' | 'unknown';

export interface WriterFacts {
  host: string;
  pid: number;
  bootId?: string;
  updatedAt: string;
  heartbeatIntervalMs: number;
}

export interface LivenessContext {
  now: number;
  localHost: string;
  localBootId?: string;
  pidAlive(pid: number): boolean;
  /** Reader's clock when it last saw this file's content change (not the first read). */
  changeObservedAt?: number;
  /** Reader's clock when it first read this file. */
  firstSeenAt: number;
}

export interface LivenessVerdict {
  status: Liveness;
  reason: string;
  /** The writer runs on this host. */
  local: boolean;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

type TimeFacts = Pick<LivenessContext, 'now' | 'changeObservedAt' | 'firstSeenAt'>;

/** When the writer was last heard from on our clock; `skewed` when its updatedAt is in our future. */
function heardAt(w: WriterFacts, ctx: TimeFacts): { heard: number; updated: number; skewed: boolean } {
  const updated = Date.parse(w.updatedAt);
  if (updated > ctx.now + CLOCK_SKEW_TOLERANCE_MS) {
    return { heard: ctx.changeObservedAt ?? ctx.firstSeenAt, updated, skewed: true };
  }
  return { heard: Math.max(Math.min(updated, ctx.now), ctx.changeObservedAt ?? -Infinity), updated, skewed: false };
}

/** Time since the writer was last heard from, and a note when its clock is ahead of ours. */
function silence(w: WriterFacts, ctx: LivenessContext): { ms: number; note: string } {
  const { heard, updated, skewed } = heardAt(w, ctx);
  return {
    ms: ctx.now - heard,
    note: skewed
      ? ` (updatedAt is ${formatDuration(updated - ctx.now)} in the future: the clock of ${w.host} is ahead; judged by when this reader saw the file change)`
      : '',
  };
}

/**
 * The earliest time at which the passing of time alone can change the verdict
 * (the heartbeat becoming overdue, or a clock-skewed updatedAt coming within
 * tolerance); Infinity when it cannot. A new version of the file, or (same
 * host) its pid exiting, are separate triggers. Lets a reader re-assess only
 * the files that are due instead of all of them on every tick.
 */
export function verdictChangesAt(w: WriterFacts, ctx: TimeFacts): number {
  if (w.heartbeatIntervalMs <= 0) return Infinity;
  const { heard, updated, skewed } = heardAt(w, ctx);
  const overdueAt = heard + STALE_MULTIPLE * w.heartbeatIntervalMs + 1;
  const skewEndsAt = skewed ? updated - CLOCK_SKEW_TOLERANCE_MS : Infinity;
  // Once overdue, the verdict only changes again when the skew ends.
  return overdueAt > ctx.now ? Math.min(overdueAt, skewEndsAt) : skewEndsAt;
}

export function assessLiveness(w: WriterFacts, ctx: LivenessContext): LivenessVerdict {
  const local = w.host === ctx.localHost;
  const limit = STALE_MULTIPLE * w.heartbeatIntervalMs;
  const limitText = `limit ${STALE_MULTIPLE} × ${formatDuration(w.heartbeatIntervalMs)}`;
  if (local) {
    if (w.bootId && ctx.localBootId && w.bootId !== ctx.localBootId) {
      return {
        local,
        status: 'stale',
        reason: `written before this host's last reboot (boot id differs); pid ${w.pid} is not its writer`,
      };
    }
    if (!ctx.pidAlive(w.pid)) return { local, status: 'stale', reason: `pid ${w.pid} is not running on this host` };
    if (w.heartbeatIntervalMs > 0) {
      const quiet = silence(w, ctx);
      if (quiet.ms > limit) {
        return {
          local,
          status: 'unknown',
          reason: `pid ${w.pid} is running but its heartbeat is ${formatDuration(quiet.ms)} old (${limitText}): the pid may have been reused, or the producer is hung${quiet.note}`,
        };
      }
    }
    return { local, status: 'live', reason: `pid ${w.pid} is running on this host` };
  }
  if (w.heartbeatIntervalMs <= 0) {
    return {
      local,
      status: 'unknown',
      reason: `runs on ${w.host} and writes no heartbeat; liveness cannot be judged from here`,
    };
  }
  const quiet = silence(w, ctx);
  if (quiet.ms > limit) {
    return {
      local,
      status: 'stale',
      reason: `no heartbeat from ${w.host} for ${formatDuration(quiet.ms)} (${limitText})${quiet.note}`,
    };
  }
  return {
    local,
    status: 'live',
    reason: `heartbeat from ${w.host} ${formatDuration(Math.max(0, quiet.ms))} ago${quiet.note}`,
  };
}
