/** What is done with the subject's matte: a cut-out, a plain backdrop, another picture behind it, a blurred background. */
import type { Rgb } from '../../raster/palette.js';
import type { Raster } from '../../raster/raster.js';
import { fromRaster, toRaster } from '../../raster/raster.js';
import type { Matte } from './matte.js';
import { gaussianLike } from './planes.js';

/** The subject with a transparent background (RGBA). */
export function cutOut(raster: Raster, matte: Matte): Raster {
  const { data, width, height, channels } = raster;
  const out = Buffer.allocUnsafe(width * height * 4);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += channels, o += 4) {
    out[o] = data[i]!;
    out[o + 1] = data[i + 1]!;
    out[o + 2] = data[i + 2]!;
    out[o + 3] = matte.alpha[p]!;
  }
  return { data: out, width, height, channels: 4 };
}

/** subject · α + backdrop · (1 − α), where `backdrop(p, c)` is the new background's channel c at pixel p. */
function composite(raster: Raster, matte: Matte, backdrop: (p: number, c: number) => number): Raster {
  const { data, width, height, channels } = raster;
  const out = Buffer.allocUnsafe(width * height * 3);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += channels, o += 3) {
    const a = matte.alpha[p]! / 255;
    for (let c = 0; c < 3; c++) out[o + c] = data[i + c]! * a + backdrop(p, c) * (1 - a) + 0.5;
  }
  return { data: out, width, height, channels: 3 };
}

export interface ShadowParams {
  /** Darkening under the subject at its densest, 0–1. */
  opacity: number;
  /** Softness in pixels. */
  sigma: number;
  /** How far below the subject it falls, in pixels. */
  drop: number;
}

/** The subject on a plain colour (a product shot), with a soft contact shadow below it. */
export function onColour(raster: Raster, matte: Matte, colour: Rgb, shadow: ShadowParams): Raster {
  const { width, height } = raster;
  const shifted = new Float32Array(width * height);
  const drop = Math.round(shadow.drop);
  for (let y = drop; y < height; y++) {
    for (let x = 0, p = y * width, q = (y - drop) * width; x < width; x++) shifted[p + x] = matte.alpha[q + x]! / 255;
  }
  const shade = gaussianLike(shifted, width, height, shadow.sigma);
  return composite(raster, matte, (p, c) => colour[c]! * (1 - shadow.opacity * shade[p]!));
}

export interface SceneParams {
  /** Blur of the new background in pixels (a touch of depth keeps the subject in front). */
  soften: number;
  /** Share of the way the subject's mean colour moves towards the background's, so it sits in the light. */
  harmonise: number;
}

/** The subject over another picture, which covers the output (centred). */
export async function onImage(raster: Raster, matte: Matte, scene: Raster, params: SceneParams): Promise<Raster> {
  const { width, height } = raster;
  const fitted = await toRaster(fromRaster(scene).resize(width, height, { fit: 'cover', position: 'centre' }), false);
  const planes = [0, 1, 2].map((c) => {
    const plane = Float32Array.from({ length: width * height }, (_, p) => fitted.data[3 * p + c]!);
    return params.soften >= 0.5 ? gaussianLike(plane, width, height, params.soften) : plane;
  });
  const shift = [0, 0, 0];
  let weight = 0;
  for (let p = 0; p < width * height; p++) {
    const a = matte.alpha[p]! / 255;
    weight += a;
    for (let c = 0; c < 3; c++) shift[c]! += a * raster.data[p * raster.channels + c]!;
  }
  for (let c = 0; c < 3; c++) {
    const sceneMean = planes[c]!.reduce((sum, v) => sum + v, 0) / (width * height);
    shift[c] = weight > 0 ? params.harmonise * (sceneMean - shift[c]! / weight) : 0;
  }
  const lifted = { ...raster, data: Buffer.from(raster.data) };
  for (let i = 0; i < lifted.data.length; i += raster.channels) {
    for (let c = 0; c < 3; c++) lifted.data[i + c] = Math.max(0, Math.min(255, Math.round(raster.data[i + c]! + shift[c]!)));
  }
  return composite(lifted, matte, (p, c) => planes[c]![p]!);
}

/**
 * The background blurred behind a sharp subject. The blur is normalised by the background's own
 * weight (1 − α), so the subject's colours do not bleed into a halo around it.
 */
export function blurBackground(raster: Raster, matte: Matte, sigma: number): Raster {
  const { data, width, height, channels } = raster;
  const n = width * height;
  const weight = Float32Array.from(matte.alpha, (a) => 1 - a / 255);
  const spread = gaussianLike(weight, width, height, sigma);
  const planes = [0, 1, 2].map((c) => gaussianLike(Float32Array.from(weight, (w, p) => w * data[p * channels + c]!), width, height, sigma));
  const out = Buffer.from(data);
  for (let p = 0, i = 0; p < n; p++, i += channels) {
    const a = matte.alpha[p]! / 255;
    const s = spread[p]!;
    for (let c = 0; c < 3; c++) {
      const behind = s > 1e-3 ? planes[c]![p]! / s : data[i + c]!;
      out[i + c] = Math.max(0, Math.min(255, data[i + c]! * a + behind * (1 - a) + 0.5));
    }
  }
  return { ...raster, data: out };
}
