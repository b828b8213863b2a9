// Child process of the alert tests: creates a segment, writes one record, says
// "ready" and idles (heartbeating) until killed, so the test can kill it and
// leave its segment behind with a dead producer.
import { createDataBlock } from '../../main/datablock/writer.js';

const [name] = process.argv.slice(2);
if (!name) throw new Error('usage: alerts-producer-child.ts <shm name>');
const writer = createDataBlock(name, { slotSize: 64, capacity: 4 });
writer.writeRaw(new Uint8Array(64));
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
