// Child process: creates a DataBlock, prints its name, then idles until a signal.
import { createDataBlock } from '../../main/datablock/writer.js';

const [name = ''] = process.argv.slice(2);
createDataBlock(name, { slotSize: 64, capacity: 2 });
console.log('ready');
setInterval(() => undefined, 1000);
