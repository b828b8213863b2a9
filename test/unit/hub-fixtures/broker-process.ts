// Child process: `hubscope broker` with the given arguments (tests kill it with SIGKILL or SIGTERM).
import { runBroker } from '../../../main/cli/broker.js';

runBroker(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`broker-process: ${(err as Error).message}`);
    process.exit(1);
  },
);
