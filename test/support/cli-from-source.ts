// Runs the hubscope CLI from source in a child process (tests only).
import { runCli } from '../../main/cli/index.js';

runCli(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
