/** Float planes for the matting: box means (running sums, O(1) per pixel at any radius), area downsampling, CIELAB. */
import { labOfLinear, linearOf } from '../../raster/lab.js';
import type { Raster } from '../../raster/raster.js';

/**
 * Mean over the (2r+1)² window, the window clipped at the edges (divided by the pixels it covers).
 * `out` may not be `src`.
 */
export function boxMean(src: Float32Array, width: number, height: number, radius: number, out = new Float32Array(src.length)): Float32Array {
  const rows = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    for (let x = 0; x <= Math.min(radius, width - 1); x++) sum += src[row + x]!;
    for (let x = 0; x < width; x++) {
      const lo = x - radius, hi = x + radius;
      rows[row + x] = sum / (Math.min(hi, width - 1) - Math.max(lo, 0) + 1);
      if (hi + 1 < width) sum += src[row + hi + 1]!;
      if (lo >= 0) sum -= src[row + lo]!;
    }
  }
  const columns = new Float64Array(width);
  for (let y = 0; y <= Math.min(radius, height - 1); y++) for (let x = 0; x < width; x++) columns[x]! += rows[y * width + x]!;
  for (let y = 0; y < height; y++) {
    const lo = y - radius, hi = y + radius;
    const count = Math.min(hi, height - 1) - Math.max(lo, 0) + 1;
    for (let x = 0; x < width; x++) out[y * width + x] = columns[x]! / count;
    if (hi + 1 < height) for (let x = 0, o = (hi + 1) * width; x < width; x++) columns[x]! += rows[o + x]!;
    if (lo >= 0) for (let x = 0, o = lo * width; x < width; x++) columns[x]! -= rows[o + x]!;
  }
  return out;
}

export interface Small {
  width: number;
  height: number;
  /** RGB in 0–1, 3 values per pixel. */
  rgb: Float32Array;
}

/** The raster averaged down to fit inside `side` (not enlarged), as 0–1 RGB. */
export function downsample(raster: Raster, side: number): Small {
  const { width: w, height: h, data, channels } = raster;
  const scale = Math.min(1, side / Math.max(w, h));
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  const rgb = new Float32Array(width * height * 3);
  const xEdges = Int32Array.from({ length: width + 1 }, (_, x) => Math.min(w, Math.round((x * w) / width)));
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * h) / height), y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / height));
    for (let x = 0; x < width; x++) {
      const x0 = xEdges[x]!, x1 = Math.max(x0 + 1, xEdges[x + 1]!);
      let r = 0, g = 0, b = 0;
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0, i = (sy * w + x0) * channels; sx < x1; sx++, i += channels) {
          r += data[i]!;
          g += data[i + 1]!;
          b += data[i + 2]!;
        }
      }
      const k = 1 / (255 * (y1 - y0) * (x1 - x0));
      const o = 3 * (y * width + x);
      rgb[o] = r * k;
      rgb[o + 1] = g * k;
      rgb[o + 2] = b * k;
    }
  }
  return { width, height, rgb };
}

/** CIELAB (D65) of 0–1 sRGB triples. */
export function toLab(rgb: Float32Array): Float32Array {
  const lab = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const [l, a, b] = labOfLinear(linearOf(rgb[i]!), linearOf(rgb[i + 1]!), linearOf(rgb[i + 2]!));
    lab[i] = l;
    lab[i + 1] = a;
    lab[i + 2] = b;
  }
  return lab;
}
