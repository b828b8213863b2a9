// Colour maps for images, as 256-entry lookup tables of packed RGBA (little-endian
// ABGR words, ready for a Uint32Array view of ImageData). Built from a few control
// points of the published maps by linear interpolation.
export const COLORMAPS = ['grey', 'viridis', 'inferno', 'jet'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

const STOPS: Record<ColormapName, [number, number, number][]> = {
  grey: [
    [0, 0, 0],
    [255, 255, 255],
  ],
  viridis: [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ],
  inferno: [
    [0, 0, 4],
    [87, 16, 110],
    [188, 55, 84],
    [249, 142, 9],
    [252, 255, 164],
  ],
  jet: [
    [0, 0, 131],
    [0, 60, 255],
    [0, 255, 255],
    [255, 255, 0],
    [255, 0, 0],
    [128, 0, 0],
  ],
};

const cache = new Map<ColormapName, Uint32Array>();

export function lookupTable(name: ColormapName): Uint32Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const stops = STOPS[name];
  const lut = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const pos = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(pos));
    const f = pos - k;
    const a = stops[k] as [number, number, number];
    const b = stops[k + 1] as [number, number, number];
    const [r, g, bl] = [0, 1, 2].map((c) => Math.round((a[c] as number) + ((b[c] as number) - (a[c] as number)) * f));
    lut[i] = (255 << 24) | ((bl as number) << 16) | ((g as number) << 8) | (r as number);
  }
  cache.set(name, lut);
  return lut;
}
