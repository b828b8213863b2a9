// Producer/consumer liveness (spec section 5): a heartbeat recent on this
// machine's CLOCK_MONOTONIC means alive; a stale one falls back to the pid.
import { native } from '../native/binding.js';

/** The C++ side treats a heartbeat older than this as stale and then checks the pid. */
export const STALE_AFTER_MS = 5000;

export type LivenessState = 'alive' | 'stale-but-pid-exists' | 'dead' | 'unknown';

export interface Liveness {
  state: LivenessState;
  /** alive or stale-but-pid-exists */
  alive: boolean;
  pid: number;
  heartbeatNs: bigint;
  /** Milliseconds since the heartbeat; null when no heartbeat or it lies in the future (another boot/machine). */
  heartbeatAgeMs: number | null;
  /** Whether the pid exists on this machine; null when no pid recorded. */
  pidExists: boolean | null;
  /** One line for people, e.g. "alive (heartbeat 120 ms ago, pid 4242)". */
  text: string;
}

/** CLOCK_MONOTONIC now, in ns (the producers' heartbeat clock). */
export function monotonicNs(): bigint {
  return native().monotonicNs();
}

/** Whether a process with this pid exists (EPERM counts as existing). */
export function pidExists(pid: number): boolean {
  // pid 0 and negatives would signal process groups; never pass them to kill().
  if (!Number.isInteger(pid) || pid <= 0 || pid > 0x3fffffff) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeLiveness(pid: number, heartbeatNs: bigint, nowNs: bigint): Liveness {
  const age = heartbeatNs > 0n && heartbeatNs <= nowNs ? Number(nowNs - heartbeatNs) / 1e6 : null;
  const exists = pid > 0 ? pidExists(pid) : null;
  const ageText = age === null ? 'no usable heartbeat' : `heartbeat ${formatAge(age)} ago`;
  const pidText = pid > 0 ? `pid ${pid}${exists ? '' : ' not running'}` : 'no pid';
  let state: LivenessState;
  if (age !== null && age <= STALE_AFTER_MS) state = 'alive';
  else if (exists === true) state = 'stale-but-pid-exists';
  else if (exists === false) state = 'dead';
  else state = 'unknown';
  const label = {
    alive: 'alive',
    'stale-but-pid-exists': 'stale heartbeat, process exists',
    dead: 'dead',
    unknown: 'unknown',
  }[state];
  return {
    state,
    alive: state === 'alive' || state === 'stale-but-pid-exists',
    pid,
    heartbeatNs,
    heartbeatAgeMs: age,
    pidExists: exists,
    text: `${label} (${ageText}, ${pidText})`,
  };
}

export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
