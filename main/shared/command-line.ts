// What every `hubscope` subcommand shares, wherever it lives: the shape the
// dispatcher (main/cli/index.ts) routes to, and the error meant for the person at
// the terminal. Kept below every other layer so main/core and main/discovery can
// define options and subcommands without importing main/cli.

/** The shape every `hubscope <subcommand>` module exports. */
export interface CliCommand {
  /** Subcommand word, e.g. "serve". */
  name: string;
  /** One line for `hubscope --help`. */
  summary: string;
  /** Full text for `hubscope <name> --help`. */
  usage: string;
  /** Runs the command with the arguments after the subcommand; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** An error whose message is meant for the person at the terminal (no stack trace). */
export class UsageError extends Error {
  override name = 'UsageError';
}
