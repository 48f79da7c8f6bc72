/** How far apart two pictures are, to tell variants that look the same from ones that do not. */
import type { Raster } from './raster-type.js';

/** Pixels compared at most: a mean over a quarter-million evenly spread pixels is exact enough. */
const MAX_SAMPLES = 1 << 18;

/**
 * Mean absolute difference per colour channel (0–255) of two rasters of the same size; alpha
 * counts like a colour. Rasters of different shapes are as different as can be.
 */
export function meanAbsoluteDifference(a: Raster, b: Raster): number {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) return 255;
  const pixels = a.width * a.height;
  const stride = Math.max(1, Math.floor(pixels / MAX_SAMPLES));
  const { channels } = a;
  let sum = 0;
  let count = 0;
  for (let p = 0; p < pixels; p += stride) {
    const i = p * channels;
    for (let c = 0; c < channels; c++) sum += Math.abs(a.data[i + c]! - b.data[i + c]!);
    count += channels;
  }
  return count === 0 ? 0 : sum / count;
}
