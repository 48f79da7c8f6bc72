/**
 * The subject's own colours at its soft edge. An edge pixel mixes subject and old background
 * (I = α·F + (1 − α)·B); put as it is on a new background it keeps a fringe of the old one. B is
 * estimated as the nearby background (a blur normalised by the background's weight, which sharp
 * does by premultiplying), and F solved from the equation, trusting α no lower than MIN_ALPHA.
 */
import type { Raster } from '../../raster/raster.js';
import { fromRaster, toRaster } from '../../raster/raster.js';
import type { Matte } from './matte.js';

const MIN_ALPHA = 0.2;

/**
 * The picture's colours with the background's weight (1 − α) as alpha: blurred by sharp, which
 * premultiplies by alpha, it gives the background's colours without the subject's.
 */
export function weightedByBackground(raster: Raster, matte: Matte): Buffer {
  const { data, width, height, channels } = raster;
  const n = width * height;
  const weighted = Buffer.allocUnsafe(n * 4);
  for (let p = 0, i = 0, o = 0; p < n; p++, i += channels, o += 4) {
    weighted[o] = data[i]!;
    weighted[o + 1] = data[i + 1]!;
    weighted[o + 2] = data[i + 2]!;
    weighted[o + 3] = 255 - matte.alpha[p]!;
  }
  return weighted;
}

/** The raster with edge pixels (0 < α < 1) replaced by their estimated subject colour; same layout. */
export async function subjectColours(raster: Raster, matte: Matte): Promise<Raster> {
  const { data, width, height, channels } = raster;
  const n = width * height;
  const weighted = weightedByBackground(raster, matte);
  const sigma = Math.max(2, 0.006 * Math.max(width, height));
  const behind = await toRaster(fromRaster({ data: weighted, width, height, channels: 4 }).blur(sigma), true);
  const out = Buffer.from(data);
  for (let p = 0, i = 0, j = 0; p < n; p++, i += channels, j += 4) {
    const alpha = matte.alpha[p]!;
    if (alpha === 0 || alpha === 255 || behind.data[j + 3] === 0) continue;
    const a = Math.max(MIN_ALPHA, alpha / 255);
    for (let c = 0; c < 3; c++) {
      const f = (data[i + c]! - (1 - a) * behind.data[j + c]!) / a;
      out[i + c] = f <= 0 ? 0 : f >= 255 ? 255 : f + 0.5;
    }
  }
  return { ...raster, data: out };
}
