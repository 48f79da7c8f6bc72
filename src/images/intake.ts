/**
 * Input images, checked and normalised once on arrival by DashScope's rules: JPEG, PNG, BMP,
 * TIFF, WebP or GIF (first frame); at most 10 MB and `maxPixels`; sides brought into
 * [minSide, maxSide]. Order matters for safety: sniff, read the header, check the pixel count,
 * and only then decode.
 */
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { AppError } from '../domain/errors.js';
import { MAX_IMAGE_BYTES } from '../domain/image-ref.js';
import { decodeBmp } from './bmp.js';
import { DEFAULT_MAX_PIXELS, FAIL_ON, PNG_OUTPUT, openImage } from './codec.js';
import { probeImage } from './probe.js';
import type { ImageHeader } from './probe.js';
import { ImageRejection, brokenImage } from './rejection.js';
import { CONTENT_TYPES, SUPPORTED_FORMATS_TEXT, sniffImage } from './sniff.js';
import type { ImageFormat } from './sniff.js';

export { openImage } from './codec.js';

export interface IntakeOptions {
  /** The client's name for the image, e.g. `input.messages[0].content[1].image`. */
  field: string;
  /** How notes name the image, e.g. "image 2"; defaults to the field. */
  label?: string;
  maxPixels?: number;
  minSide?: number;
  maxSide?: number;
  maxBytes?: number;
}

export interface IntakenImage {
  /** The original bytes when acceptable as they are, otherwise a PNG (or JPEG for JPEG input). */
  data: Buffer;
  contentType: string;
  format: ImageFormat;
  /** As shown (after EXIF orientation) and as stored in `data`. */
  width: number;
  height: number;
  /** As shown, before any rescale. */
  originalWidth: number;
  originalHeight: number;
  /** What intake changed, for the task log and client warnings. */
  notes: string[];
}

interface Size {
  width: number;
  height: number;
}

/** Rounded up, so that a size just over the limit never reads as equal to it. */
function megabytes(bytes: number): string {
  return `${Math.ceil((bytes / (1024 * 1024)) * 100) / 100} MB`;
}

const FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'JPEG',
  png: 'PNG',
  gif: 'GIF',
  webp: 'WebP',
  tiff: 'TIFF',
  bmp: 'BMP',
};

/** The size to store, or undefined when the sides are already in range. */
export function targetSize(width: number, height: number, minSide: number, maxSide: number): Size | undefined {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (short >= minSide && long <= maxSide) return undefined;
  if (long / short > maxSide / minSide) {
    throw new ImageRejection(
      'aspect_ratio',
      `${width}×${height} has an aspect ratio of ${Number((long / short).toFixed(1))}:1; sides must be ` +
        `${minSide}–${maxSide} pixels, so the ratio can be at most ${Number((maxSide / minSide).toFixed(2))}:1`,
    );
  }
  const scale = long > maxSide ? maxSide / long : minSide / short;
  const side = (value: number): number => Math.min(maxSide, Math.max(minSide, Math.round(value * scale)));
  return { width: side(width), height: side(height) };
}

/** Decodes just enough to prove the data is whole; JPEG decodes at 1/8 scale (shrink-on-load). */
async function validate(bytes: Buffer, header: ImageHeader, maxPixels: number): Promise<void> {
  let pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: FAIL_ON });
  if (header.format === 'jpeg') {
    pipeline = pipeline.resize({
      width: Math.ceil(header.width / 8),
      height: Math.ceil(header.height / 8),
      fit: 'fill',
      kernel: 'nearest',
    });
  }
  await pipeline.raw().toBuffer();
}

function reencodeSource(bytes: Buffer, header: ImageHeader, maxPixels: number): Sharp {
  if (header.format === 'bmp') {
    const bmp = decodeBmp(bytes);
    const image = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 4 } });
    return bmp.opaque ? image.removeAlpha() : image;
  }
  return openImage(bytes, maxPixels);
}

async function intake(bytes: Buffer, options: IntakeOptions): Promise<IntakenImage> {
  const label = options.label ?? options.field;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxBytes = options.maxBytes ?? MAX_IMAGE_BYTES;
  const { minSide = 384, maxSide = 3072 } = options;
  if (bytes.length === 0) throw new ImageRejection('empty', 'the image data is empty');
  if (bytes.length > maxBytes) {
    throw new ImageRejection('too_large', `the image is ${megabytes(bytes.length)}, more than the limit of ${megabytes(maxBytes)}`);
  }
  const sniffed = sniffImage(bytes);
  if (sniffed.kind === 'unsupported') {
    throw new ImageRejection('unsupported_format', `the file is ${sniffed.name}; supported formats are ${SUPPORTED_FORMATS_TEXT}`);
  }
  if (sniffed.kind === 'unknown') {
    throw new ImageRejection('not_an_image', `the data is not an image in a known format; supported formats are ${SUPPORTED_FORMATS_TEXT}`);
  }

  const header = await probeImage(bytes, sniffed.format);
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    throw new ImageRejection('too_many_pixels', `${header.width}×${header.height} is ${pixels} pixels, more than the limit of ${maxPixels}`);
  }
  const { orientedWidth, orientedHeight } = header;
  const target = targetSize(orientedWidth, orientedHeight, minSide, maxSide);
  const animated = header.pages > 1 && (header.format === 'gif' || header.format === 'webp');
  const original = { originalWidth: orientedWidth, originalHeight: orientedHeight };

  if (!target && !animated && header.format !== 'bmp') {
    await validate(bytes, header, maxPixels);
    const { format } = header;
    return { data: bytes, contentType: CONTENT_TYPES[format], format, width: orientedWidth, height: orientedHeight, ...original, notes: [] };
  }

  const notes: string[] = [];
  if (animated) {
    notes.push(`${label} is an animated ${FORMAT_NAMES[header.format]} with ${header.pages} frames; only the first frame is used`);
  }
  let pipeline = reencodeSource(bytes, header, maxPixels);
  if (target) {
    pipeline = pipeline.resize(target.width, target.height, { fit: 'fill' });
    notes.push(
      `${label} was ${orientedWidth}×${orientedHeight}; rescaled to ${target.width}×${target.height} (sides must be ${minSide}–${maxSide})`,
    );
  }
  const format = header.format === 'jpeg' ? 'jpeg' : 'png';
  pipeline = format === 'jpeg' ? pipeline.jpeg({ quality: 92, mozjpeg: false }) : pipeline.png(PNG_OUTPUT);
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { data, contentType: CONTENT_TYPES[format], format, width: info.width, height: info.height, ...original, notes };
}

/**
 * Checks and normalises one input image. Throws a 400 `invalid_image` naming `field` and the
 * reason in plain words.
 */
export async function intakeImage(bytes: Buffer, options: IntakeOptions): Promise<IntakenImage> {
  const { field } = options;
  try {
    return await intake(bytes, options);
  } catch (error) {
    const rejection = error instanceof ImageRejection ? error : brokenImage(error);
    // The rejection is the cause (its own cause the decoder's error), so callers can read its rule.
    throw new AppError('invalid_image', `${field}: ${rejection.message}`, { field, cause: rejection });
  }
}
