// A grey-scale thumbnail of a record that holds an image: numeric `width` and
// `height` fields and a numeric array field of width x height elements, row-major
// (the layout of the camera-style channels). Sent to the UI as 8-bit pixels,
// stretched between the frame's min and max, at most MAX_SIDE on a side.
import type { ImagePreviewDto } from '../../preload/contract.js';
import type { DecodedValue } from '../datablock/schema.js';

const MAX_SIDE = 256;

type NumericArray = Exclude<DecodedValue, number | bigint | boolean | string | Uint8Array> | Uint8Array;

function dimension(value: DecodedValue | undefined): number | null {
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 1 << 16 ? n : null;
}

function isNumericArray(value: DecodedValue): value is NumericArray {
  return ArrayBuffer.isView(value) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}

export function imagePreviewOf(fields: Record<string, DecodedValue>): ImagePreviewDto | null {
  const width = dimension(fields.width);
  const height = dimension(fields.height);
  if (width === null || height === null) return null;
  const entry = Object.entries(fields).find(([, v]) => isNumericArray(v) && v.length === width * height);
  if (!entry) return null;
  const [field, pixels] = entry as [string, NumericArray];

  const step = Math.max(1, Math.ceil(Math.max(width, height) / MAX_SIDE));
  const outW = Math.ceil(width / step);
  const outH = Math.ceil(height / step);
  const sampled = new Float64Array(outW * outH);
  let min = Infinity;
  let max = -Infinity;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const v = Number(pixels[y * step * width + x * step]);
      sampled[y * outW + x] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const span = max - min || 1;
  const grey = new Uint8Array(sampled.length);
  for (let i = 0; i < sampled.length; i++) grey[i] = Math.round((((sampled[i] ?? min) - min) / span) * 255);
  return {
    field,
    width: outW,
    height: outH,
    sourceWidth: width,
    sourceHeight: height,
    min,
    max,
    pixels: Buffer.from(grey).toString('base64'),
  };
}
