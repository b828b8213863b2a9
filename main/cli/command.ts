// The shape every `hubscope <subcommand>` module exports. The dispatcher in
// main/cli/index.ts lists them for --help and routes argv to run().
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
