// How every long-running `hubscope` shell stops: on the first SIGINT or SIGTERM
// it cleans up (endpoint files, descriptors, segments), then dies by that signal
// so a shell or supervisor sees how it ended.
//
// Further signals while stopping are ignored on purpose. Ctrl-C on `npm start`
// delivers SIGINT several times within milliseconds: once from the terminal to
// the whole process group, then again as npm and scripts/start.js forward it.
// With Node's default action for the second one, the process died before it had
// removed its broker endpoint file.

export interface StopSignal {
  /** Resolves with the first SIGINT or SIGTERM received since waitForStopSignal(). */
  readonly received: Promise<NodeJS.Signals>;
  /**
   * Stops listening and raises `signal` again, so the process ends by it. Other
   * listeners (the DataBlock cleanup registry) run first and re-raise it in turn.
   */
  exitBy(signal: NodeJS.Signals): void;
  /** Stops listening (startup failed; the process ends the ordinary way). */
  dispose(): void;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Starts listening now, so a signal during startup is not lost: it stops the shell once started. */
export function waitForStopSignal(): StopSignal {
  let first: NodeJS.Signals | undefined;
  let resolveReceived: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== undefined) return;
    first = signal;
    resolveReceived(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  const dispose = (): void => {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  };
  return {
    received,
    dispose,
    exitBy(signal) {
      dispose();
      process.kill(process.pid, signal);
      // With no listener left the kernel ends the process right here. A remaining
      // listener runs on the next turn of the event loop, so keep the loop alive
      // until then (an empty loop would end the process with status 0 first).
      setTimeout(() => undefined, 1000);
    },
  };
}
