// Child process for native-fault.test.ts: the reproduction of a crash seen on CPUs
// with memory protection keys. A segment is truncated under a mapping, every kind
// of access faults (SIGBUS, turned into errors by the native guard), and then the
// process runs WebAssembly (BLAKE2b through hash-wasm), whose code memory V8
// guards with protection keys. Before the fix the hashing died with SIGSEGV
// (SEGV_PKUERR) because the jump out of the signal handler left the thread with
// the handler's protection-key register.
// argv: mode ("reader" | "writer") name. Prints one JSON line; exits 0 on success.
import { truncateSync } from 'node:fs';
import { blake2b256 } from '../../main/datablock/blake2b.js';
import { listDataBlocks } from '../../main/datablock/list.js';
import { openDataBlock } from '../../main/datablock/reader.js';
import { createDataBlock } from '../../main/datablock/writer.js';
import { native } from '../../main/native/binding.js';

const [mode = 'reader', name = ''] = process.argv.slice(2);
const writer = createDataBlock(name, { capacity: 4, slotSize: 4096, checksumPolicy: 'None' });
for (let i = 0; i < 10; i++) writer.writeRaw(new Uint8Array(100).fill(i));
const reader = openDataBlock(name);
const keysBefore = native().protectionKeys();
truncateSync(`/dev/shm/${name}`, 4096);

const faults: string[] = [];
function expectFault(what: string, access: () => unknown): void {
  try {
    access();
  } catch (err) {
    const message = (err as Error).message;
    if (/bus error/.test(message)) faults.push(what);
    else throw new Error(`${what}: expected a bus error, got: ${message}`);
    return;
  }
  throw new Error(`${what}: the access past the truncated end did not fault`);
}

for (let i = 0; i < 50; i++) {
  if (mode === 'reader') {
    expectFault('latest', () => reader.latest());
    expectFault('recent', () => reader.recent(4));
    expectFault('slots', () => reader.slots());
  } else {
    expectFault('writeRaw', () => writer.writeRaw(new Uint8Array(100).fill(i)));
  }
}
// The header page is still mapped and readable; the listing uses pread, never the mapping.
reader.header();
listDataBlocks();
const keysAfter = native().protectionKeys();

// WebAssembly after the faults: this is what crashed.
const block = new Uint8Array(65536);
let digest: Uint8Array = new Uint8Array(32);
for (let i = 0; i < 200; i++) digest = blake2b256(block);

reader.close();
writer.close();
console.log(
  JSON.stringify({
    faults: faults.length,
    hashed: 200,
    digest: Buffer.from(digest).toString('hex'),
    keysSupported: keysBefore.supported,
    keysBefore: keysBefore.value.toString(),
    keysAfter: keysAfter.value.toString(),
  }),
);
