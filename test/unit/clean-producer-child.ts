// Child process of the clean tests: a producer that makes one DataBlock, publishes
// its descriptor, writes a record, says "ready" and runs until killed (SIGKILL in
// the tests, so nothing is cleaned up: it leaves orphans).
import { createDataBlock } from '../../main/datablock/writer.js';
import { publishDescriptor } from '../../main/discovery/publish.js';
import { sampleInput } from './discovery-helpers.js';

const [dir, name] = process.argv.slice(2);
if (!dir || !name) throw new Error('usage: clean-producer-child.ts <discovery dir> <segment name>');
const writer = createDataBlock(name, { slotSize: 64, capacity: 4 });
writer.writeRaw(new Uint8Array(64).fill(7));
publishDescriptor(dir, sampleInput(name), { heartbeatIntervalMs: 100 });
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
