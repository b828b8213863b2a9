// Runs the user's command on each alert (`--alert-command CMD`). The command line
// is the user's own and runs through /bin/sh; the alert itself never becomes part
// of it: it arrives as JSON in $HUBSCOPE_ALERT and on stdin, so nothing a producer
// names a channel can be interpreted by a shell.
import { spawn } from 'node:child_process';
import type { AlertEvent, AlertNotifier } from './alert-engine.js';

/** A command still running after this is killed: a stuck hook must not pile up. */
export const COMMAND_TIMEOUT_MS = 30_000;

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function runAlertCommand(
  command: string,
  event: AlertEvent,
  log: (line: string) => void = (line) => console.error(line),
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<CommandResult> {
  const json = JSON.stringify(event);
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, HUBSCOPE_ALERT: json },
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => {
      log(`hubscope alerts: the alert command ran longer than ${timeoutMs / 1000} s and was stopped`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      log(`hubscope alerts: cannot run the alert command: ${err.message}`);
      resolve({ code: null, signal: null });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) log(`hubscope alerts: the alert command ended with ${signal ?? `exit code ${code}`}`);
      resolve({ code, signal });
    });
    // A command that does not read stdin closes it early: that is not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${json}\n`);
  });
}

export function commandNotifier(command: string, log?: (line: string) => void): AlertNotifier {
  return async (event) => {
    await runAlertCommand(command, event, log);
  };
}
