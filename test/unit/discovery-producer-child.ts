// Child process of the discovery tests: publishes one descriptor with a fast
// heartbeat, says "ready", and runs until killed.
import { publishDescriptor } from '../../main/discovery/publish.js';
import { sampleInput } from './discovery-helpers.js';

const [dir, channel, exitAfterMs] = process.argv.slice(2);
if (!dir || !channel) throw new Error('usage: discovery-producer-child.ts <dir> <channel>');
publishDescriptor(dir, sampleInput(channel), { heartbeatIntervalMs: 100 });
process.stdout.write('ready\n');
if (exitAfterMs)
  setTimeout(() => process.exit(0), Number(exitAfterMs)); // a normal exit: the exit hook removes the file
else setInterval(() => undefined, 1000); // stay alive until the test kills us
