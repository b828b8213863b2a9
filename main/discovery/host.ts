// Facts about this machine that decide whether a discovery file's writer is
// local (and so can be checked by pid) or remote (checked by heartbeat age).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

let cachedBootId: string | undefined | null = null;

export function localHost(): string {
  return hostname();
}

/** Linux boot id (changes on every reboot), or undefined where there is none. */
export function localBootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBootId = undefined;
    }
  }
  return cachedBootId;
}

/**
 * Whether a process with this pid exists on this host. EPERM means it exists
 * but belongs to another user: alive.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** A killed process whose parent has not reaped it yet still answers kill(0). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 follows the parenthesised command name, which may itself hold ")".
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (not Linux) or the process just went away
  }
}

/** The liveness facts of this machine, for assessLiveness. */
export function defaultLivenessEnv(): { localHost: string; localBootId?: string; pidAlive: (pid: number) => boolean } {
  const bootId = localBootId();
  return { localHost: localHost(), ...(bootId ? { localBootId: bootId } : {}), pidAlive };
}
