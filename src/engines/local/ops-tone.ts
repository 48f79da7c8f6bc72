/** Colour and tone operations: black and white, sepia, invert, brightness and the variant jitter. */
import type { Raster } from './raster.js';
import { viaSharp } from './raster.js';

/** Rec. 601 luma weights, the usual ones for "black and white". */
const LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

function lumaRow(scale: number): [number, number, number] {
  return [LUMA[0] * scale, LUMA[1] * scale, LUMA[2] * scale];
}

/** Equal channels: every row of the matrix is the same luma row. */
export function grayscale(raster: Raster): Promise<Raster> {
  return viaSharp(raster, (image) => image.recomb([lumaRow(1), lumaRow(1), lumaRow(1)]));
}

/** Luma tinted by `tint` (green and blue scales; red stays 1), a warm paper tone. */
export function sepia(raster: Raster, tint: { green: number; blue: number }): Promise<Raster> {
  return viaSharp(raster, (image) => image.recomb([lumaRow(1), lumaRow(tint.green), lumaRow(tint.blue)]));
}

export function invert(raster: Raster): Promise<Raster> {
  return viaSharp(raster, (image) => image.negate({ alpha: false }));
}

/** Maps every colour byte through a 256-entry table (alpha untouched). One pass, no allocation beyond the output. */
function applyLut(raster: Raster, lut: Uint8Array): Raster {
  const { data, channels } = raster;
  const out = Buffer.allocUnsafe(data.length);
  if (channels === 3) {
    for (let i = 0; i < data.length; i++) out[i] = lut[data[i]!]!;
  } else {
    for (let i = 0; i < data.length; i += 4) {
      out[i] = lut[data[i]!]!;
      out[i + 1] = lut[data[i + 1]!]!;
      out[i + 2] = lut[data[i + 2]!]!;
      out[i + 3] = data[i + 3]!;
    }
  }
  return { ...raster, data: out };
}

function buildLut(curve: (v: number) => number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.min(255, Math.max(0, Math.round(curve(v))));
  return lut;
}

/**
 * A gamma curve: gamma < 1 brightens, > 1 darkens. Black and white points stay put, so
 * nothing clips, unlike a plain multiplication.
 */
export function brightness(raster: Raster, gamma: number): Raster {
  return applyLut(raster, buildLut((v) => 255 * Math.pow(v / 255, gamma)));
}

/** The gamma that moves mid-grey by `change` (0.2 → 20 % brighter, −0.2 → 20 % darker). */
export function gammaForChange(change: number): number {
  const target = Math.min(0.97, Math.max(0.03, 0.5 * (1 + change)));
  return Math.log(target) / Math.log(0.5);
}

/** Linear contrast around mid-grey plus an offset (also the gentle jitter of variants i > 0). */
export function linearTone(raster: Raster, tone: { contrast: number; offset: number }): Raster {
  return applyLut(raster, buildLut((v) => (v - 127.5) * tone.contrast + 127.5 + tone.offset));
}

/** Scales each pixel's distance from its own luma: > 1 more saturated, < 1 less. */
export function saturation(raster: Raster, factor: number): Raster {
  const { data, channels } = raster;
  const out = Buffer.from(data);
  for (let i = 0; i < data.length; i += channels) {
    const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    const l = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
    const nr = l + (r - l) * factor, ng = l + (g - l) * factor, nb = l + (b - l) * factor;
    out[i] = nr < 0 ? 0 : nr > 255 ? 255 : nr + 0.5;
    out[i + 1] = ng < 0 ? 0 : ng > 255 ? 255 : ng + 0.5;
    out[i + 2] = nb < 0 ? 0 : nb > 255 ? 255 : nb + 0.5;
  }
  return { ...raster, data: out };
}
