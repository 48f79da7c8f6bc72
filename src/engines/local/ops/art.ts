/** Painterly looks: oil painting (Kuwahara filter), pencil sketch (colour dodge), watercolour. */
import sharp from 'sharp';
import { blurredLuma, sobelSquared } from './edges.js';
import { blur } from './filter.js';
import type { Raster } from '../raster/raster.js';

/** Sums kept per summed-area cell: luma, luma², R, G, B. */
const FIELDS = 5;

/**
 * Kuwahara filter: each pixel takes the mean colour of whichever of its four (r+1)² quadrants has
 * the least luma variance, which flattens texture into strokes while edges stay sharp. Box sums
 * come from summed-area rows kept in a ring of 2r + 2 rows (Int32, wrapping: differences of boxes
 * stay exact), so the cost does not depend on r and the memory is a few rows.
 */
export function kuwahara(raster: Raster, radius: number, saturation: number): Buffer {
  const { data, width, height, channels } = raster;
  const r = Math.max(1, Math.round(radius));
  const ringRows = 2 * r + 2;
  const stride = (width + 1) * FIELDS;
  const ring = new Int32Array(ringRows * stride);
  let filled = 0;
  const extend = (k: number): void => {
    // Row k of the summed-area table: sums over rows < k and columns < x.
    const at = (k % ringRows) * stride;
    const before = ((k - 1 + ringRows) % ringRows) * stride;
    let l = 0, l2 = 0, red = 0, green = 0, blue = 0;
    for (let x = 0; x < width; x++) {
      const i = ((k - 1) * width + x) * channels;
      const rv = data[i]!, gv = data[i + 1]!, bv = data[i + 2]!;
      const luma = (77 * rv + 150 * gv + 29 * bv) >> 8;
      l += luma; l2 += luma * luma; red += rv; green += gv; blue += bv;
      const o = at + (x + 1) * FIELDS, p = before + (x + 1) * FIELDS;
      ring[o] = (ring[p]! + l) | 0;
      ring[o + 1] = (ring[p + 1]! + l2) | 0;
      ring[o + 2] = (ring[p + 2]! + red) | 0;
      ring[o + 3] = (ring[p + 3]! + green) | 0;
      ring[o + 4] = (ring[p + 4]! + blue) | 0;
    }
  };
  const out = Buffer.allocUnsafe(data.length);
  const mix = 1 - saturation;
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r), y2 = Math.min(height, y + r + 1);
    while (filled < y2) extend(++filled);
    const rowTop = (y0 % ringRows) * stride, rowMid = (y % ringRows) * stride;
    const rowNext = ((y + 1) % ringRows) * stride, rowEnd = (y2 % ringRows) * stride;
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - r), x2 = Math.min(width, x + r + 1);
      let best = Infinity, count = 1, a = 0, b = 0, c = 0, d = 0;
      for (let q = 0; q < 4; q++) {
        const left = (q & 1 ? x : x0) * FIELDS, right = (q & 1 ? x2 : x + 1) * FIELDS;
        const top = q & 2 ? rowMid : rowTop, bottom = q & 2 ? rowEnd : rowNext;
        const n = ((right - left) / FIELDS) * (q & 2 ? y2 - y : y + 1 - y0);
        const ta = top + left, tb = top + right, tc = bottom + left, td = bottom + right;
        const sum = (ring[td]! - ring[tb]! - ring[tc]! + ring[ta]!) | 0;
        const sq = (ring[td + 1]! - ring[tb + 1]! - ring[tc + 1]! + ring[ta + 1]!) | 0;
        const variance = sq * n - sum * sum;
        // Compare variance per pixel² without dividing: n differs only at the borders.
        const score = variance / (n * n);
        if (score < best) {
          best = score; count = n; a = ta; b = tb; c = tc; d = td;
        }
      }
      const red = ((ring[d + 2]! - ring[b + 2]! - ring[c + 2]! + ring[a + 2]!) | 0) / count;
      const green = ((ring[d + 3]! - ring[b + 3]! - ring[c + 3]! + ring[a + 3]!) | 0) / count;
      const blue = ((ring[d + 4]! - ring[b + 4]! - ring[c + 4]! + ring[a + 4]!) | 0) / count;
      const grey = (0.299 * red + 0.587 * green + 0.114 * blue) * mix + 0.5;
      const o = (y * width + x) * channels;
      const rs = grey + red * saturation, gs = grey + green * saturation, bs = grey + blue * saturation;
      out[o] = rs > 255 ? 255 : rs < 0 ? 0 : rs;
      out[o + 1] = gs > 255 ? 255 : gs < 0 ? 0 : gs;
      out[o + 2] = bs > 255 ? 255 : bs < 0 ? 0 : bs;
      if (channels === 4) out[o + 3] = data[o + 3]!;
    }
  }
  return out;
}

export interface OilParams {
  /** Kuwahara radius in pixels: the brush size. */
  radius: number;
  /** Saturation factor; oil colours are rich. */
  saturation: number;
}

export async function oilPainting(raster: Raster, params: OilParams): Promise<Raster> {
  return { ...raster, data: kuwahara(raster, params.radius, params.saturation) };
}

export interface SketchParams {
  /** Blur of the dodge layer, in pixels: larger draws broader strokes. */
  strokeSigma: number;
  /** Exponent > 1 darkens the strokes. */
  darkness: number;
  /** Paper tint: added to red, taken from blue (a few levels, warm paper). */
  paper: number;
}

/**
 * Colour dodge of the luma by its own blur: flat areas go white, edges where a pixel is darker
 * than its surroundings stay as grey strokes — the classic pencil-sketch filter.
 */
export async function pencilSketch(raster: Raster, params: SketchParams): Promise<Raster> {
  const luma = await blurredLuma(raster, 0.6);
  const soft = await sharp(luma, { raw: { width: raster.width, height: raster.height, channels: 1 } })
    .blur(Math.max(0.5, params.strokeSigma))
    .extractChannel(0)
    .raw()
    .toBuffer();
  const curve = new Uint8Array(256);
  for (let v = 0; v < 256; v++) curve[v] = Math.round(255 * Math.pow(v / 255, params.darkness));
  const { data, channels } = raster;
  const out = Buffer.allocUnsafe(data.length);
  const warm = params.paper;
  for (let p = 0, o = 0; p < luma.length; p++, o += channels) {
    const dodged = (255 * luma[p]!) / Math.max(1, soft[p]!);
    const v = curve[dodged >= 255 ? 255 : dodged | 0]!;
    out[o] = v + warm > 255 ? 255 : v + warm;
    out[o + 1] = v;
    out[o + 2] = v - warm < 0 ? 0 : v - warm;
    if (channels === 4) out[o + 3] = data[o + 3]!;
  }
  return { ...raster, data: out };
}

export interface WatercolourParams {
  /** Blur of the washes, in pixels. */
  washSigma: number;
  /** Sobel magnitude above which the original edge is kept. */
  edgeThreshold: number;
  /** Share of the way to white paper (transparent pigment). */
  lightness: number;
  /** Darkening where pigment pools along edges, 0–1. */
  pooling: number;
  /** Low-frequency paper grain, in levels. */
  grain: number;
  /** Seeds the paper grain. */
  grainSeed: number;
}

/** A coarse seeded noise field enlarged smoothly: paper texture without fine detail. */
async function paperGrain(width: number, height: number, seed: number): Promise<Buffer> {
  const cell = 24;
  const w = Math.max(2, Math.ceil(width / cell)), h = Math.max(2, Math.ceil(height / cell));
  const noise = Buffer.allocUnsafe(w * h);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < noise.length; i++) {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    noise[i] = (state >>> 0) & 255;
  }
  return sharp(noise, { raw: { width: w, height: h, channels: 1 } }).resize(width, height, { fit: 'fill', kernel: 'nearest' }).blur(cell * 0.6).extractChannel(0).raw().toBuffer();
}

/**
 * Soft washes that keep the drawing: a strong blur mixed back toward the original where the
 * luma gradient is high, lightened toward the paper, darker where pigment pools at edges, on a
 * faint paper grain.
 */
export async function watercolour(raster: Raster, params: WatercolourParams): Promise<Raster> {
  const [washed, luma, grain] = await Promise.all([
    blur(raster, params.washSigma),
    blurredLuma(raster, params.washSigma * 0.75),
    paperGrain(raster.width, raster.height, params.grainSeed),
  ]);
  const { data, width, height, channels } = raster;
  const soft = washed.data;
  const t2 = params.edgeThreshold * params.edgeThreshold;
  const out = Buffer.allocUnsafe(data.length);
  const light = params.lightness;
  const pool = params.pooling;
  const grainScale = params.grain / 128;
  for (let y = 0; y < height; y++) {
    const inner = y > 0 && y < height - 1;
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const mag2 = inner && x > 0 && x < width - 1 ? sobelSquared(luma, p, width) : 0;
      const edge = mag2 >= t2 ? 1 : mag2 / t2;
      const shade = (1 - pool * edge) * (1 - light);
      const lift = 255 * light + (grain[p]! - 128) * grainScale;
      const i = p * channels;
      for (let c = 0; c < 3; c++) {
        const v = (soft[i + c]! + (data[i + c]! - soft[i + c]!) * edge) * shade + lift;
        out[i + c] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5;
      }
      if (channels === 4) out[i + 3] = data[i + 3]!;
    }
  }
  return { ...raster, data: out };
}
