// Writes build-resources/icon.png, the desktop packages' icon (electron-builder.yml):
// a 512x512 rounded dark tile with a live trace across three channel bars.
// Drawn here, not by an image tool, so it can be remade on any machine with Node.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'build-resources', 'icon.png');
const px = Buffer.alloc(SIZE * SIZE * 4);

function put(x, y, [r, g, b], a = 255) {
  if (x < 0 || y < 0 || x >= SIZE || y >= SIZE) return;
  const i = (y * SIZE + x) * 4;
  const k = a / 255;
  px[i] = px[i] * (1 - k) + r * k;
  px[i + 1] = px[i + 1] * (1 - k) + g * k;
  px[i + 2] = px[i + 2] * (1 - k) + b * k;
  px[i + 3] = Math.max(px[i + 3], a);
}

// Rounded tile.
const R = 96;
for (let y = 0; y < SIZE; y++)
  for (let x = 0; x < SIZE; x++) {
    const dx = Math.max(R - x, x - (SIZE - 1 - R), 0);
    const dy = Math.max(R - y, y - (SIZE - 1 - R), 0);
    const d = Math.hypot(dx, dy);
    if (d <= R) put(x, y, [22, 30, 46], Math.round(255 * Math.min(1, R - d + 0.5)));
  }
// Three channel bars.
const BARS = [
  { color: [56, 189, 248], length: 320 },
  { color: [52, 211, 153], length: 250 },
  { color: [251, 191, 36], length: 180 },
];
for (const [i, bar] of BARS.entries())
  for (let y = 330 + i * 44; y < 358 + i * 44; y++) for (let x = 96; x < 96 + bar.length; x++) put(x, y, bar.color);
// The trace: a thick anti-aliased sine.
for (let x = 80; x < 432; x++) {
  const yc = 200 - 80 * Math.sin(((x - 80) / 352) * Math.PI * 3) * Math.exp(-(x - 80) / 500);
  for (let y = Math.floor(yc - 14); y <= yc + 14; y++) {
    const d = Math.abs(y - yc);
    if (d <= 10) put(x, y, [226, 232, 240], Math.round(255 * Math.min(1, 10.5 - d)));
  }
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  let c = ~0;
  for (const byte of body) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(~c >>> 0);
  return Buffer.concat([len, body, crc]);
}
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) px.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
writeFileSync(
  out,
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]),
);
console.log(`make-icon: ${out}`);
