// Child process for datablock tests: abuses a /dev/shm file in a loop while a
// reader reads it: valid image, truncated, grown, garbage, unlinked and
// replaced. argv: name imagePath. Runs until killed; removes the file on SIGTERM.
import { closeSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const [name = '', imagePath = ''] = process.argv.slice(2);
const path = `/dev/shm/${name}`;
const image = readFileSync(imagePath);
process.on('SIGTERM', () => {
  rmSync(path, { force: true });
  process.exit(0);
});

function writeWhole(bytes: Uint8Array): number {
  const fd = openSync(path, 'w+', 0o666);
  writeSync(fd, bytes, 0, bytes.length, 0);
  return fd;
}

let round = 0;
console.log('ready');
// One abuse round per event-loop turn, so SIGTERM is noticed.
function abuse(): void {
  round++;
  const fd = writeWhole(image);
  // Shrink and regrow the same inode a few times (readers mapped it big).
  for (let k = 0; k < 20; k++) {
    ftruncateSync(fd, [0, 100, 4096, 8192, 12288][k % 5] ?? 0);
    ftruncateSync(fd, image.length);
    writeSync(fd, image, 0, image.length, 0);
  }
  // Garbage in the header and in the slots.
  writeSync(fd, randomBytes(64), 0, 64, (round * 64) % 4096);
  ftruncateSync(fd, image.length * 2);
  closeSync(fd);
  // Replace the name with a different file.
  rmSync(path, { force: true });
  const fd2 = writeWhole(round % 2 ? randomBytes(8192) : image.subarray(0, 4096));
  closeSync(fd2);
  rmSync(path, { force: true });
  setImmediate(abuse);
}
abuse();
