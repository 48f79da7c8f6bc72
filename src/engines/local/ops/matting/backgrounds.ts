/** What is done with the subject's matte: a cut-out, a plain backdrop, another picture behind it, a blurred background. */
import sharp from 'sharp';
import type { Rgb } from '../../raster/palette.js';
import type { Raster } from '../../raster/raster.js';
import { fromRaster, toRaster } from '../../raster/raster.js';
import { subjectColours, weightedByBackground } from './foreground.js';
import type { Matte } from './matte.js';

/** The subject with a transparent background (RGBA), its edges freed of the old background's colour. */
export async function cutOut(raster: Raster, matte: Matte): Promise<Raster> {
  const { data, width, height, channels } = await subjectColours(raster, matte);
  const out = Buffer.allocUnsafe(width * height * 4);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += channels, o += 4) {
    out[o] = data[i]!;
    out[o + 1] = data[i + 1]!;
    out[o + 2] = data[i + 2]!;
    out[o + 3] = matte.alpha[p]!;
  }
  return { data: out, width, height, channels: 4 };
}

/**
 * subject · α + backdrop · (1 − α), the subject's picture at (left, top) of an RGB backdrop at least
 * its size (by default the same size). Written into the backdrop.
 */
async function composite(raster: Raster, matte: Matte, backdrop: Raster, left = 0, top = 0): Promise<Raster> {
  const { data, width, height, channels } = await subjectColours(raster, matte);
  for (let y = 0, p = 0, i = 0; y < height; y++) {
    for (let x = 0, o = 3 * ((top + y) * backdrop.width + left); x < width; x++, p++, i += channels, o += 3) {
      const a = matte.alpha[p]! / 255;
      for (let c = 0; c < 3; c++) backdrop.data[o + c] = data[i + c]! * a + backdrop.data[o + c]! * (1 - a) + 0.5;
    }
  }
  return backdrop;
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
export async function onColour(raster: Raster, matte: Matte, colour: Rgb, shadow: ShadowParams): Promise<Raster> {
  const { width, height } = raster;
  const n = width * height;
  // The matte moved down by the drop, blurred: where the shadow falls.
  const shifted = Buffer.alloc(n);
  const drop = Math.min(height, Math.round(shadow.drop));
  shifted.set(matte.alpha.subarray(0, n - drop * width), drop * width);
  // sharp's blur turns a 1-channel raw image into 3 channels: keep the first, one byte per pixel.
  const shade = await sharp(shifted, { raw: { width, height, channels: 1 } }).blur(Math.max(0.3, shadow.sigma)).extractChannel(0).raw().toBuffer();
  const backdrop = Buffer.allocUnsafe(n * 3);
  for (let p = 0, o = 0; p < n; p++, o += 3) {
    const light = 1 - (shadow.opacity * shade[p]!) / 255;
    backdrop[o] = colour[0] * light + 0.5;
    backdrop[o + 1] = colour[1] * light + 0.5;
    backdrop[o + 2] = colour[2] * light + 0.5;
  }
  return composite(raster, matte, { data: backdrop, width, height, channels: 3 });
}

export interface SceneParams {
  /** Blur of the new background in pixels (a touch of depth keeps the subject in front). */
  soften: number;
  /** Share of the way the subject's mean colour moves towards the background's, so it sits in the light. */
  harmonise: number;
}

/**
 * The output the new background covers: the scene's own size when the subject's picture fits in it
 * (framing.ts made it larger than the subject for an asked-for size of another shape), turned if
 * the subject was turned since; otherwise the subject's size.
 */
function stageFor(raster: Raster, scene: Raster): { width: number; height: number } {
  const fits = (width: number, height: number): boolean => raster.width <= width && raster.height <= height;
  if (fits(scene.width, scene.height)) return { width: scene.width, height: scene.height };
  if (fits(scene.height, scene.width)) return { width: scene.height, height: scene.width };
  return { width: raster.width, height: raster.height };
}

/** Where the subject's picture sits on a larger stage along one axis: against the frame edge(s) it touches, else centred. */
function offset(room: number, touchesStart: boolean, touchesEnd: boolean): number {
  if (touchesStart && !touchesEnd) return 0;
  if (touchesEnd && !touchesStart) return room;
  return Math.floor(room / 2);
}

/** Whether the subject (α ≥ ½) reaches each edge of its picture: a torso cut by the bottom edge stays on the bottom edge. */
function edgesTouched(matte: Matte, width: number, height: number): { left: boolean; right: boolean; top: boolean; bottom: boolean } {
  const on = (p: number): boolean => matte.alpha[p]! >= 128;
  const touched = { left: false, right: false, top: false, bottom: false };
  for (let x = 0; x < width; x++) {
    touched.top ||= on(x);
    touched.bottom ||= on((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    touched.left ||= on(y * width);
    touched.right ||= on(y * width + width - 1);
  }
  return touched;
}

/**
 * The subject over another picture, which covers the output (centred). The output is the scene's
 * size when the subject's picture fits inside it (then placed against the edges its subject
 * touches, else centred), otherwise the subject's.
 */
export async function onImage(raster: Raster, matte: Matte, scene: Raster, params: SceneParams): Promise<Raster> {
  const { width, height } = raster;
  const stage = stageFor(raster, scene);
  const resized = fromRaster(scene).resize(stage.width, stage.height, { fit: 'cover', position: 'centre' });
  const fitted = await toRaster(params.soften >= 0.5 ? resized.blur(params.soften) : resized, false);
  const shift = [0, 0, 0];
  let weight = 0;
  for (let p = 0; p < width * height; p++) {
    const a = matte.alpha[p]! / 255;
    weight += a;
    for (let c = 0; c < 3; c++) shift[c]! += a * raster.data[p * raster.channels + c]!;
  }
  const sceneSum = [0, 0, 0];
  for (let i = 0; i < fitted.data.length; i += 3) for (let c = 0; c < 3; c++) sceneSum[c]! += fitted.data[i + c]!;
  for (let c = 0; c < 3; c++) {
    const sceneMean = sceneSum[c]! / (stage.width * stage.height);
    shift[c] = weight > 0 ? params.harmonise * (sceneMean - shift[c]! / weight) : 0;
  }
  const lifted = { ...raster, data: Buffer.from(raster.data) };
  for (let i = 0; i < lifted.data.length; i += raster.channels) {
    for (let c = 0; c < 3; c++) lifted.data[i + c] = Math.max(0, Math.min(255, Math.round(raster.data[i + c]! + shift[c]!)));
  }
  const touched = edgesTouched(matte, width, height);
  const left = offset(stage.width - width, touched.left, touched.right);
  const top = offset(stage.height - height, touched.top, touched.bottom);
  return composite(lifted, matte, fitted, left, top);
}

/**
 * The background blurred behind a sharp subject. The background's weight (1 − α) rides as alpha
 * through sharp's blur, which premultiplies by it: the blur is normalised by the background's own
 * weight, so the subject's colours do not bleed into a halo around it.
 */
export async function blurBackground(raster: Raster, matte: Matte, sigma: number): Promise<Raster> {
  const { data, width, height, channels } = raster;
  const n = width * height;
  const weighted = weightedByBackground(raster, matte);
  const behind = await toRaster(fromRaster({ data: weighted, width, height, channels: 4 }).blur(Math.max(0.3, sigma)), true);
  const out = Buffer.from(data);
  for (let p = 0, i = 0, j = 0; p < n; p++, i += channels, j += 4) {
    const a = matte.alpha[p]! / 255;
    // Where no background is near (deep inside the subject) the blur has nothing to show: keep the pixel.
    const b = behind.data[j + 3]! > 0 ? 1 - a : 0;
    for (let c = 0; c < 3; c++) out[i + c] = data[i + c]! * (1 - b) + behind.data[j + c]! * b + 0.5;
  }
  return { ...raster, data: out };
}
