/**
 * Image size from the header alone, before anything is decoded: a 20000×20000 PNG can be a
 * few kilobytes, and the pixel limit must be checked before it is inflated.
 */
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { readBmpHeader } from './bmp.js';
import { brokenImage } from './rejection.js';
import type { ImageFormat } from './sniff.js';

export interface ImageHeader {
  format: ImageFormat;
  /** As stored. */
  width: number;
  height: number;
  /** As shown, after the EXIF orientation. */
  orientedWidth: number;
  orientedHeight: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  /** Frames of an animated GIF/WebP, pages of a TIFF; 1 otherwise. */
  pages: number;
}

/** Reads the header of an image whose format was sniffed; throws ImageRejection when broken. */
export async function probeImage(bytes: Buffer, format: ImageFormat): Promise<ImageHeader> {
  if (format === 'bmp') {
    const { width, height } = readBmpHeader(bytes);
    return { format, width, height, orientedWidth: width, orientedHeight: height, orientation: 1, pages: 1 };
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw brokenImage(error);
  }
  const { width, height } = meta;
  if (!(width > 0 && height > 0)) throw brokenImage(`the header gives an impossible size ${width}×${height}`);
  const orientation = meta.orientation !== undefined && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1;
  const turned = orientation >= 5;
  return {
    format,
    width,
    height,
    orientedWidth: turned ? height : width,
    orientedHeight: turned ? width : height,
    orientation,
    pages: meta.pages ?? 1,
  };
}
