// What a test run left behind: processes still carrying the run's marker,
// /dev/shm segments of the run, discovery files. Compared with a snapshot from
// before the run, counting only what can be traced to this run (other people's
// test runs go on in parallel on the same machine): the run id in a name or an
// environment, or a pid the run recorded.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RUN_ENV, pidListFile } from './run-marker.js';

export interface RunPlaces {
  id: string;
  /** The run's own directory (temporary HOME, XDG_RUNTIME_DIR and discovery dir are inside). */
  runDir: string;
  /** The user's real discovery directories, which no test may write to. */
  userDirs: string[];
}

export interface Snapshot {
  shm: Set<string>;
  userFiles: Set<string>;
}

export interface Leftovers {
  /** Things this run left: the run fails naming them (they have been removed). */
  problems: string[];
  /** New things that look like test leftovers but cannot be traced to this run. */
  notes: string[];
}

const SHM = '/dev/shm';
const MAGIC = 0x504c4842; // 'PLHB', first word of a DataBlock header
const PRODUCER_PID = 0xa40; // main/datablock/format.ts H.producerPid

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every file below `dir` (paths), without following symlinks. */
function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const name of listDir(dir)) {
    const path = join(dir, name);
    try {
      if (statSync(path).isDirectory()) out.push(...filesBelow(path));
      else out.push(path);
    } catch {
      // vanished meanwhile
    }
  }
  return out;
}

export function takeSnapshot(places: RunPlaces): Snapshot {
  return { shm: new Set(listDir(SHM)), userFiles: new Set(places.userDirs.flatMap(filesBelow)) };
}

/** Processes (other than this one and its own workers) whose environment carries the run marker. */
export function markedProcesses(id: string): Array<{ pid: number; command: string }> {
  const marker = `${RUN_ENV}=${id}`;
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of listDir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!environ.includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) continue; // a vitest worker of this run, ended by vitest itself
      const command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid, command });
    } catch {
      // not ours to read (another user), or gone meanwhile
    }
  }
  return found;
}

function runPids(runDir: string): Set<number> {
  try {
    return new Set(readFileSync(pidListFile(runDir), 'utf8').split('\n').filter(Boolean).map(Number));
  } catch {
    return new Set();
  }
}

/** The producer pid in a DataBlock header, or undefined for anything else. */
function producerPidOf(path: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = Buffer.alloc(PRODUCER_PID + 8);
    if (readSync(fd, header, 0, header.length, 0) < header.length) return undefined;
    if (header.readUInt32LE(0) !== MAGIC) return undefined;
    return Number(header.readBigUInt64LE(PRODUCER_PID));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The pid a discovery file names (broker.<host>.<pid>.json or a descriptor's "pid" on this host). */
function pidOfDiscoveryFile(path: string): number | undefined {
  const byName = /\.(\d+)\.json$/.exec(path);
  if (byName) return Number(byName[1]);
  try {
    if (statSync(path).size > 65536) return undefined;
    const json = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof json.pid === 'number' && json.host === hostname() ? json.pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
}

/** Kills and removes what the run left, and says what it was. */
export async function collectLeftovers(places: RunPlaces, before: Snapshot): Promise<Leftovers> {
  const problems: string[] = [];
  const notes: string[] = [];

  const procs = markedProcesses(places.id);
  for (const p of procs) {
    problems.push(`process ${p.pid} still running: ${p.command}`);
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  await waitGone(
    procs.map((p) => p.pid),
    2000,
  );
  const pids = runPids(places.runDir);
  for (const p of procs) pids.add(p.pid);

  for (const name of listDir(SHM)) {
    if (before.shm.has(name)) continue;
    const path = join(SHM, name);
    const producer = producerPidOf(path);
    if (name.includes(places.id) || (producer !== undefined && pids.has(producer))) {
      problems.push(`segment ${path} left behind`);
      rmSync(path, { force: true });
    } else if (/^(hs-test-|hubscope-disc-|lab\.demo\.)/.test(name)) {
      notes.push(`new segment ${path} looks like a test's, but not this run's (another run?)`);
    }
  }

  // HubScope's own places inside the run's temporary HOME and runtime dir. Other
  // programs' files there (Chromium's profile and dconf in HOME) are not leftovers.
  const ownDirs = ['discovery', join('home', '.hubscope'), join('xdg', 'hubscope')].map((d) => join(places.runDir, d));
  for (const path of ownDirs.flatMap(filesBelow)) {
    problems.push(`file ${path} left in the run's temporary discovery or HubScope directory`);
  }
  for (const path of places.userDirs.flatMap(filesBelow)) {
    if (before.userFiles.has(path)) continue;
    const pid = pidOfDiscoveryFile(path);
    if (pid !== undefined && pids.has(pid)) {
      problems.push(`file ${path} written into the user's discovery directory`);
      rmSync(path, { force: true });
    } else {
      notes.push(`new file ${path} in the user's discovery directory, not traced to this run`);
    }
  }
  return { problems, notes };
}
