/** Colour and tone operations: black and white, sepia, invert, brightness, temperature, posterise. */
import type { Raster } from '../raster/raster.js';
import { viaSharp } from '../raster/raster.js';

export type Weights = readonly [number, number, number];

/** Rec. 601 luma weights, the usual ones for "black and white". */
export const LUMA: Weights = [0.299, 0.587, 0.114];

/** Each pixel's weighted sum, scaled per channel by `tint`: one pass (sharp's recomb is slower here). */
function tintedLuma(raster: Raster, weights: Weights, tint: Weights): Raster {
  const { data, channels } = raster;
  const out = Buffer.allocUnsafe(data.length);
  const [wr, wg, wb] = weights;
  const [tr, tg, tb] = tint;
  for (let i = 0; i < data.length; i += channels) {
    const l = wr * data[i]! + wg * data[i + 1]! + wb * data[i + 2]!;
    const r = l * tr + 0.5, g = l * tg + 0.5, b = l * tb + 0.5;
    out[i] = r > 255 ? 255 : r;
    out[i + 1] = g > 255 ? 255 : g;
    out[i + 2] = b > 255 ? 255 : b;
    if (channels === 4) out[i + 3] = data[i + 3]!;
  }
  return { ...raster, data: out };
}

/**
 * Equal channels: every channel is the same weighted sum. Other weights than Rec. 601 act like a
 * photographer's colour filter in front of black-and-white film.
 */
export function grayscale(raster: Raster, weights: Weights = LUMA): Raster {
  return tintedLuma(raster, weights, [1, 1, 1]);
}

/** Luma tinted by `tint` (green and blue scales; red stays 1), a warm paper tone. */
export function sepia(raster: Raster, tint: { green: number; blue: number }): Raster {
  return tintedLuma(raster, LUMA, [1, tint.green, tint.blue]);
}

export function invert(raster: Raster): Promise<Raster> {
  return viaSharp(raster, (image) => image.negate({ alpha: false }));
}

/**
 * Maps every colour byte through a 256-entry table per channel (alpha untouched). One pass, no
 * allocation beyond the output.
 */
function applyLut(raster: Raster, red: Uint8Array, green = red, blue = red): Raster {
  const { data, channels } = raster;
  const out = Buffer.allocUnsafe(data.length);
  if (channels === 3 && red === green && green === blue) {
    for (let i = 0; i < data.length; i++) out[i] = red[data[i]!]!;
    return { ...raster, data: out };
  }
  for (let i = 0; i < data.length; i += channels) {
    out[i] = red[data[i]!]!;
    out[i + 1] = green[data[i + 1]!]!;
    out[i + 2] = blue[data[i + 2]!]!;
    if (channels === 4) out[i + 3] = data[i + 3]!;
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

/** Linear contrast around mid-grey plus an offset. */
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

/**
 * Colour temperature: `amount` > 0 warms (red up, blue down), < 0 cools. Each channel gets a gamma
 * curve rather than a gain, so black and white stay put and nothing clips into flat colour.
 */
export function temperature(raster: Raster, amount: number): Raster {
  const gain = (k: number) => buildLut((v) => 255 * Math.pow(v / 255, 1 / (1 + k)));
  return applyLut(raster, gain(amount), gain(amount * 0.25), gain(-amount));
}

/** Posterise: `levels` evenly spaced values per channel; `phase` is where between two levels a value rounds up. */
export function posterise(raster: Raster, levels: number, phase = 0.5): Raster {
  const steps = Math.max(1, Math.round(levels) - 1);
  return applyLut(raster, buildLut((v) => (Math.min(steps, Math.floor((v * steps) / 255 + 1 - phase)) * 255) / steps));
}
