/** Raw 8-bit pixels passed between operations, and the sharp round trips around them. */
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import type { Size } from '../../domain/models.js';

export interface Raster {
  data: Buffer;
  width: number;
  height: number;
  /** RGB, or RGBA when the input had meaningful transparency. */
  channels: 3 | 4;
}

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
  /** Exactly this size: resized to cover and centre-cropped. */
  | { kind: 'cover'; size: Size }
  /** Shrunk to fit inside a square of this side (for statistics). */
  | { kind: 'thumbnail'; side: number };

/** Decodes an encoded image (EXIF orientation applied) to RGB, or RGBA if it has real transparency. */
export async function decodeImage(bytes: Buffer, target: DecodeTarget): Promise<Raster> {
  let image = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS }).rotate();
  image =
    target.kind === 'cover'
      ? image.resize(target.size.width, target.size.height, { fit: 'cover', position: 'centre' })
      : image.resize(target.side, target.side, { fit: 'inside', withoutEnlargement: true });
  const { data, info } = await image.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  if (info.channels === 3) return { data, width, height, channels: 3 };
  if (info.channels !== 4) throw new Error(`expected 3 or 4 channels after sRGB conversion, got ${info.channels}`);
  return isOpaque(data) ? { data: dropAlpha(data, width * height), width, height, channels: 3 } : { data, width, height, channels: 4 };
}
