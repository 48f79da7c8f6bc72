/** Luma gradients shared by the looks that keep edges while flattening the rest (cartoon, watercolour). */
import type { Raster } from '../raster/raster.js';
import { fromRaster } from '../raster/raster.js';

/** 8-bit luma, blurred by `sigma` pixels, one byte per pixel. */
export function blurredLuma(raster: Raster, sigma: number): Promise<Buffer> {
  return fromRaster(raster).removeAlpha().greyscale().blur(Math.max(0.3, sigma)).raw({ depth: 'uchar' }).toBuffer();
}

/** Squared Sobel magnitude at pixel p (not on the border) of a one-byte-per-pixel image of the given width. */
export function sobelSquared(luma: Uint8Array, p: number, width: number): number {
  const a = luma[p - width - 1]!, b = luma[p - width]!, c = luma[p - width + 1]!;
  const d = luma[p - 1]!, f = luma[p + 1]!;
  const g = luma[p + width - 1]!, h = luma[p + width]!, k = luma[p + width + 1]!;
  const gx = c + 2 * f + k - a - 2 * d - g;
  const gy = g + 2 * h + k - a - 2 * b - c;
  return gx * gx + gy * gy;
}
