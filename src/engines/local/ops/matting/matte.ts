/**
 * The subject's matte (alpha) of a picture: segmentation at a reduced size, refined to soft edges
 * at full size. All variants of a call start from the same picture, so a matte is kept per
 * picture (weakly: it goes with the picture) and computed once. The work is synchronous, so a
 * process computes one matte at a time, and its memory is bounded by SEGMENT_SIDE² plus a few
 * bytes per output pixel.
 */
import type { Raster } from '../../raster/raster.js';
import { refineAlpha } from './guided.js';
import { downsample } from './planes.js';
import { segment } from './segment.js';

/** Long side of the picture the graph cut works on: at most 160k pixels, whatever the output size. */
export const SEGMENT_SIDE = 400;

export interface Matte {
  /** 0–255 per pixel: 255 on the subject. */
  alpha: Uint8Array;
  /** Why the matte is probably rough, if it is. */
  busy?: string | undefined;
}

const mattes = new WeakMap<Buffer, Matte>();

export function matteOf(raster: Raster): Matte {
  const known = mattes.get(raster.data);
  if (known !== undefined) return known;
  const small = downsample(raster, SEGMENT_SIDE);
  const { label, busy } = segment(small);
  const alpha = refineAlpha(raster, small, label);
  if (raster.channels === 4) {
    // A picture that was already partly transparent stays so.
    for (let p = 0; p < alpha.length; p++) alpha[p] = Math.round((alpha[p]! * raster.data[4 * p + 3]!) / 255);
  }
  const matte = { alpha, busy };
  mattes.set(raster.data, matte);
  return matte;
}

/** The warning of a rough matte. */
export function roughMatteWarning(busy: string): string {
  return `background: ${busy}, so the local engine's subject outline (colour models and a graph cut, no AI model) may be rough; an upstream Qwen-Image engine separates busy scenes properly`;
}
