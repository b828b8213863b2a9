import { parseArgs, type ParseArgsConfig } from 'node:util';

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

/**
 * node:util parseArgs (strict), with its errors turned into UsageError so the
 * dispatcher prints them with the command's usage instead of a stack trace.
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
