// Child process for datablock tests: writes records as fast as it can.
// argv: name capacity stride [checksumPolicy]. Each slot is filled with u64
// words derived from the record id (word k = id * 0x9E3779B97F4A7C15 + k), so
// a reader can tell a torn copy from a consistent one.
// Prints "ready" once the segment exists; exits when stdin closes or on SIGTERM.
import { createDataBlock } from '../../main/datablock/writer.js';

export const MIX = 0x9e3779b97f4a7c15n;

const [name = '', capText = '4', strideText = '4096', checksumPolicy = 'None'] = process.argv.slice(2);
const stride = Number(strideText);
const writer = createDataBlock(name, {
  capacity: Number(capText),
  slotSize: stride,
  checksumPolicy: checksumPolicy as 'None' | 'Enforced',
});
const payload = new Uint8Array(stride);
const words = new BigUint64Array(payload.buffer);
let stop = false;
process.stdin.on('end', () => (stop = true));
process.stdin.on('close', () => (stop = true));
process.stdin.resume();
console.log('ready');

let id = 0n;
function burst(): void {
  // Write in bursts, yielding to the event loop so stdin/signals are noticed.
  const until = Date.now() + 20;
  while (Date.now() < until) {
    const base = id * MIX;
    for (let k = 0; k < words.length; k++) words[k] = BigInt.asUintN(64, base + BigInt(k));
    writer.writeRaw(payload);
    id++;
  }
  if (stop) {
    writer.close();
    process.exit(0);
  }
  setImmediate(burst);
}
burst();
