/**
 * Anime/cartoon look, as a comic rendering: edge-preserving smoothing (a light blur, then a
 * Kuwahara filter, which flattens texture while keeping boundaries), a small palette chosen from
 * the picture (k-means in CIELAB), a majority filter that removes the specks quantisation leaves,
 * and clean dark outlines
 * (Canny on the picture's lightly blurred luma, so thin lines such as a mast's rigging survive the
 * smoothing: one pixel wide, only connected edges, thickened at large sizes).
 */
import { kuwahara } from './art.js';
import { blurredLuma, cannyEdges } from './edges.js';
import { blur } from './filter.js';
import { modeFilter, quantise } from '../raster/quantise.js';
import type { Rgb } from '../raster/palette.js';
import type { Raster } from '../raster/raster.js';

export interface CartoonParams {
  /** Palette size. */
  colours: number;
  /** Kuwahara radius of the smoothing, in pixels. */
  smoothRadius: number;
  /** Gaussian sigma of the luma the outlines are found on, in pixels. */
  edgeSigma: number;
  /** Canny thresholds on the Sobel magnitude of 8-bit luma: weak edges, strong edges. */
  edgeLow: number;
  edgeHigh: number;
  /** Outline width in pixels (1 or more). */
  outline: number;
  /** Seeds the palette's subsample. */
  seed: number;
}

/** Anime palettes are vivid. */
const SATURATION = 1.25;
/** An outline is its region's colour darkened to this share, plus a little: dark, never flat black. */
const INK = 0.22;
const INK_LIFT = 12;
/** Sum of channel differences above which two palette colours meeting get an outline. */
const COLOUR_EDGE = 180;

/** Grows the edge map by `radius` pixels (a square), so outlines read at large sizes. */
function thicken(edges: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (radius <= 0) return edges;
  const out = new Uint8Array(edges.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (edges[y * width + x] === 0) continue;
      for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy++) {
        out.fill(1, yy * width + Math.max(0, x - radius), yy * width + Math.min(width - 1, x + radius) + 1);
      }
    }
  }
  return out;
}

/** Pairs of palette colours far enough apart to be outlined where they meet: 1 in a k×k table. */
function paletteContrast(palette: readonly Rgb[]): Uint8Array {
  const k = palette.length;
  const table = new Uint8Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      const p = palette[a]!, q = palette[b]!;
      table[a * k + b] = Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]) > COLOUR_EDGE ? 1 : 0;
    }
  }
  return table;
}

export async function cartoon(raster: Raster, params: CartoonParams): Promise<Raster> {
  const { width, height, channels } = raster;
  // A light blur first, so fine texture (grass, grain) does not survive as Kuwahara's blotches.
  const soft = await blur(raster, params.smoothRadius / 2);
  const smooth: Raster = { ...raster, data: kuwahara(soft, params.smoothRadius, SATURATION) };
  const colours = Math.max(2, Math.min(32, Math.round(params.colours)));
  const { labels, palette } = quantise(smooth, colours, params.seed);
  // A window about as wide as the smoothing brush (at most 7×7) merges the blobs texture leaves;
  // then 3×3 tidies.
  const blobs = modeFilter(labels, width, height, palette.length, Math.max(1, Math.min(3, Math.round(params.smoothRadius / 2))));
  const flat = modeFilter(blobs, width, height, palette.length);
  const luma = await blurredLuma(raster, params.edgeSigma);
  const edges = thicken(cannyEdges(luma, width, height, params.edgeLow, params.edgeHigh), width, height, Math.round(params.outline) - 1);
  const contrast = paletteContrast(palette);
  const out = Buffer.allocUnsafe(raster.data.length);
  for (let p = 0, i = 0; p < flat.length; p++, i += channels) {
    const label = flat[p]!;
    const colour = palette[label]!;
    // Ink where the luma has an edge, and where two regions of very different colour meet
    // (a red shirt on green grass has almost no luma edge).
    const right = p % width < width - 1 ? flat[p + 1]! : label, below = p + width < flat.length ? flat[p + width]! : label;
    const ink = edges[p] === 1 || contrast[label * palette.length + right] === 1 || contrast[label * palette.length + below] === 1;
    out[i] = ink ? colour[0] * INK + INK_LIFT : colour[0];
    out[i + 1] = ink ? colour[1] * INK + INK_LIFT : colour[1];
    out[i + 2] = ink ? colour[2] * INK + INK_LIFT : colour[2];
    if (channels === 4) out[i + 3] = raster.data[i + 3]!;
  }
  return { ...raster, data: out };
}
