// The identity of one test run (one vitest invocation), shared by the global
// setup (which makes it), the tests' processes (which carry it) and the
// leftovers check (which looks for what still carries it).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** Environment variable set on every process of a test run; its value is the run id. */
export const RUN_ENV = 'HUBSCOPE_TEST_RUN';
/** Directory of the run's own files (temporary HOME, discovery dir, pid list). */
export const RUN_DIR_ENV = 'HUBSCOPE_TEST_RUN_DIR';

/** This run's id, or `local` when a file is run outside the configured global setup. */
export function runId(): string {
  return process.env[RUN_ENV] ?? 'local';
}

/** File listing every pid of this run (workers and children), one a line. */
export function pidListFile(runDir: string): string {
  return join(runDir, 'pids');
}

/** Records a pid as belonging to this run, so segments it leaves can be traced to the run. */
export function recordRunPid(pid: number | undefined): void {
  const dir = process.env[RUN_DIR_ENV];
  if (!dir || pid === undefined) return;
  try {
    appendFileSync(pidListFile(dir), `${pid}\n`);
  } catch {
    // the run directory is gone (teardown already ran): nothing left to trace
  }
}
