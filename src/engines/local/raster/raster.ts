/** Raw 8-bit pixels passed between operations, and the sharp round trips around them. */
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import type { Size } from '../../../domain/models.js';
import type { Ratio } from '../plan.js';
import type { Raster } from './raster-type.js';
import { enlarge } from './resample.js';

export type { Raster } from './raster-type.js';

const MAX_INPUT_PIXELS = 40_000_000;

export function fromRaster(raster: Raster): Sharp {
  const { width, height, channels } = raster;
  return sharp(raster.data, { raw: { width, height, channels } });
}

/** Runs a pipeline to raw sRGB bytes; alpha is kept only when `keepAlpha`. */
export async function toRaster(pipeline: Sharp, keepAlpha: boolean): Promise<Raster> {
  const shaped = keepAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
  const { data, info } = await shaped.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: keepAlpha ? 4 : 3 };
}

/** Applies a sharp step to a raster, keeping its channel layout. */
export function viaSharp(raster: Raster, step: (image: Sharp) => Sharp): Promise<Raster> {
  return toRaster(step(fromRaster(raster)), raster.channels === 4);
}

function isOpaque(data: Buffer): boolean {
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return false;
  return true;
}

/** Whether the raster has an alpha channel with at least one pixel not fully opaque. */
export function hasTransparency(raster: Raster): boolean {
  return raster.channels === 4 && !isOpaque(raster.data);
}

function dropAlpha(data: Buffer, pixels: number): Buffer {
  const out = Buffer.allocUnsafe(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 3) {
    out[o] = data[i]!;
    out[o + 1] = data[i + 1]!;
    out[o + 2] = data[i + 2]!;
  }
  return out;
}

export type DecodeTarget =
  /** Exactly this size: centre-cropped to each ratio of `crops` in turn, then to the size's shape, and resized. */
  | { kind: 'cover'; size: Size; crops?: readonly Ratio[] | undefined }
  /** Shrunk, if larger, to fit inside this size, keeping its shape. */
  | { kind: 'inside'; size: Size }
  /** Shrunk to fit inside a square of this side (for statistics). */
  | { kind: 'thumbnail'; side: number };

function open(bytes: Buffer): Sharp {
  return sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS });
}

/** Width and height as displayed (after the EXIF orientation), from the header. */
export async function orientedSize(bytes: Buffer): Promise<Size> {
  const { autoOrient } = await open(bytes).metadata();
  return { width: autoOrient.width, height: autoOrient.height };
}

/** The largest centred rectangle of each ratio in turn: crop to 16:9, then cover a square output. */
export function centredRegion(size: Size, ratios: ReadonlyArray<Ratio | Size>): { left: number; top: number; width: number; height: number } {
  let { width, height } = size;
  for (const ratio of ratios) {
    const shape = ratio.width / ratio.height;
    if (width / height > shape) width = Math.max(1, Math.min(width, Math.round(height * shape)));
    else height = Math.max(1, Math.min(height, Math.round(width / shape)));
  }
  return { left: Math.floor((size.width - width) / 2), top: Math.floor((size.height - height) / 2), width, height };
}

async function decoded(image: Sharp): Promise<Raster> {
  const { data, info } = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  if (info.channels === 3) return { data, width, height, channels: 3 };
  if (info.channels !== 4) throw new Error(`expected 3 or 4 channels after sRGB conversion, got ${info.channels}`);
  return isOpaque(data) ? { data: dropAlpha(data, width * height), width, height, channels: 3 } : { data, width, height, channels: 4 };
}

/**
 * Decodes an encoded image (EXIF orientation applied) to RGB, or RGBA if it has real transparency.
 * Covering a larger size than the picture's pixels enlarges with Lanczos-3 in resample.ts (faster
 * than libvips' enlargement); shrinking stays in libvips.
 */
export async function decodeImage(bytes: Buffer, target: DecodeTarget): Promise<Raster> {
  if (target.kind === 'thumbnail') return decoded(open(bytes).autoOrient().resize(target.side, target.side, { fit: 'inside', withoutEnlargement: true }));
  if (target.kind === 'inside') return decoded(open(bytes).autoOrient().resize(target.size.width, target.size.height, { fit: 'inside', withoutEnlargement: true }));
  const { size, crops = [] } = target;
  const full = await orientedSize(bytes);
  const region = centredRegion(full, [...crops, size]);
  if (region.width * region.height < size.width * size.height) {
    const part = await decoded(open(bytes).autoOrient().extract(region));
    return part.channels === 3 ? enlarge(part, size) : viaSharp(part, (image) => image.resize(size.width, size.height, { fit: 'fill' }));
  }
  // Without a crop, sharp's own cover keeps JPEG shrink-on-load.
  const image = crops.length === 0 ? open(bytes).autoOrient().resize(size.width, size.height, { fit: 'cover', position: 'centre' }) : open(bytes).autoOrient().extract(region).resize(size.width, size.height, { fit: 'fill' });
  return decoded(image);
}
