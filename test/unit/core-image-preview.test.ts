import { describe, expect, it } from 'vitest';
import { imagePreviewOf } from '../../main/core/image-preview.js';

describe('image preview of a record', () => {
  it('turns a width x height array into an 8-bit thumbnail stretched between min and max', () => {
    const width = 1024;
    const height = 512;
    const pixels = new Uint16Array(width * height);
    for (let y = 0; y < height; y++) pixels.fill(y < height / 2 ? 100 : 4095, y * width, (y + 1) * width);
    const preview = imagePreviewOf({ frame: 7n, width, height, pixels });
    expect(preview).toMatchObject({ field: 'pixels', width: 256, height: 128, sourceWidth: 1024, sourceHeight: 512 });
    expect(preview).toMatchObject({ min: 100, max: 4095 });
    const grey = Buffer.from(preview!.pixels, 'base64');
    expect(grey.length).toBe(256 * 128);
    expect(grey[0]).toBe(0); // top half: the minimum → black
    expect(grey[grey.length - 1]).toBe(255); // bottom half: the maximum → white
  });

  it('keeps small images at their size', () => {
    const preview = imagePreviewOf({ width: 4, height: 2, img: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]) });
    expect(preview).toMatchObject({ width: 4, height: 2, min: 0, max: 7 });
    expect([...Buffer.from(preview!.pixels, 'base64')]).toEqual([0, 36, 73, 109, 146, 182, 219, 255]);
  });

  it('finds no image without both dimensions and a matching array', () => {
    expect(imagePreviewOf({ width: 4, pixels: new Uint16Array(8) })).toBeNull();
    expect(imagePreviewOf({ width: 4, height: 2, pixels: new Uint16Array(9) })).toBeNull();
    expect(imagePreviewOf({ width: 0, height: 0, pixels: new Uint16Array(0) })).toBeNull();
    expect(imagePreviewOf({ width: 2, height: 1, wide: new BigInt64Array(2) })).toBeNull();
  });
});
