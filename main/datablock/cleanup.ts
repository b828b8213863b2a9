// One process-wide registry of segments this process created, so they are
// unlinked on close, on normal exit and on SIGINT/SIGTERM.
//
// Signals: adding a listener disables Node's default "exit on SIGINT". So our
// listener unlinks everything and then, if no one else listens for that
// signal, removes itself and re-raises it: the process dies from the signal as
// it would have without us. If the app has its own listener, it decides.
const cleanups = new Map<number, () => void>();
let nextKey = 1;
let installed = false;

function runAll(): void {
  for (const [key, fn] of [...cleanups]) {
    cleanups.delete(key);
    try {
      fn();
    } catch {
      // Best effort: one failing unlink must not stop the others.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  const handler = signal === 'SIGINT' ? onSigint : onSigterm;
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, handler);
    process.kill(process.pid, signal);
  }
}
const onSigint = (): void => onSignal('SIGINT');
const onSigterm = (): void => onSignal('SIGTERM');

function install(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('exit', runAll);
}

/** Registers `fn` to run once at exit or on SIGINT/SIGTERM; returns a function that unregisters it. */
export function registerCleanup(fn: () => void): () => void {
  install();
  const key = nextKey++;
  cleanups.set(key, fn);
  return () => {
    cleanups.delete(key);
  };
}

/** Runs every registered cleanup now (e.g. from an app's own shutdown path). */
export function runCleanups(): void {
  runAll();
}
