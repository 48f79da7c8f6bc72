/** Blur and sharpen. */
import type { Raster } from './raster.js';
import { viaSharp } from './raster.js';

export function blur(raster: Raster, sigma: number): Promise<Raster> {
  return viaSharp(raster, (image) => image.blur(Math.max(0.3, sigma)));
}

/**
 * Unsharp mask: out = x + amount · (x − blur(x)). The blur runs in sharp; the combination is one
 * typed-array pass (sharp's own sharpen goes through LAB and is several times slower here).
 */
export async function sharpen(raster: Raster, params: { sigma: number; amount: number }): Promise<Raster> {
  const blurred = await blur(raster, params.sigma);
  const { data, channels } = raster;
  const soft = blurred.data;
  const out = Buffer.allocUnsafe(data.length);
  const k = params.amount;
  for (let i = 0; i < data.length; i++) {
    if (channels === 4 && (i & 3) === 3) {
      out[i] = data[i]!;
      continue;
    }
    const v = data[i]!;
    const s = v + k * (v - soft[i]!);
    out[i] = s < 0 ? 0 : s > 255 ? 255 : s;
  }
  return { ...raster, data: out };
}
