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

/**
 * Canny edges of a one-byte-per-pixel luma: Sobel gradient, thinned to one pixel by non-maximum
 * suppression across the edge, then hysteresis — weak edges are kept only where they connect to
 * a strong one, which drops the isolated flecks a texture leaves. 1 marks an edge pixel.
 */
export function cannyEdges(luma: Uint8Array, width: number, height: number, low: number, high: number): Uint8Array {
  const magnitude = new Float32Array(width * height);
  const direction = new Uint8Array(width * height);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      const a = luma[p - width - 1]!, b = luma[p - width]!, c = luma[p - width + 1]!;
      const d = luma[p - 1]!, f = luma[p + 1]!;
      const g = luma[p + width - 1]!, h = luma[p + width]!, k = luma[p + width + 1]!;
      const gx = c + 2 * f + k - a - 2 * d - g;
      const gy = g + 2 * h + k - a - 2 * b - c;
      magnitude[p] = Math.sqrt(gx * gx + gy * gy);
      // 0: horizontal gradient, 1: vertical, 2: down-right diagonal, 3: down-left diagonal.
      const ax = Math.abs(gx), ay = Math.abs(gy);
      direction[p] = ay <= ax * 0.4142 ? 0 : ax <= ay * 0.4142 ? 1 : gx * gy > 0 ? 2 : 3;
    }
  }
  const steps = [1, width, width + 1, width - 1];
  const edges = new Uint8Array(width * height);
  const stack: number[] = [];
  for (let p = 0; p < magnitude.length; p++) {
    const m = magnitude[p]!;
    if (m < low) continue;
    const step = steps[direction[p]!]!;
    if (m < magnitude[p - step]! || m < magnitude[p + step]!) continue;
    edges[p] = m >= high ? 2 : 1;
    if (m >= high) stack.push(p);
  }
  // 2: strong or reached from a strong edge; 1: weak and not (yet) reached.
  const around = [-width - 1, -width, -width + 1, -1, 1, width - 1, width, width + 1];
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const offset of around) {
      const q = p + offset;
      if (edges[q] === 1) {
        edges[q] = 2;
        stack.push(q);
      }
    }
  }
  for (let p = 0; p < edges.length; p++) edges[p] = edges[p] === 2 ? 1 : 0;
  return edges;
}
