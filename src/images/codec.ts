/** Decoder and encoder settings shared by intake and output encoding. */
import sharp from 'sharp';
import type { Sharp } from 'sharp';

/** DashScope's pixel limit per input image; also what we decode at most. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/**
 * 'error' refuses truncated and corrupt data but tolerates libjpeg warnings such as
 * "extraneous bytes before marker", which many cameras and editors produce.
 */
export const FAIL_ON = 'error' as const;

/**
 * Measured on 1024×1024 photo-like images: level 3 with adaptive filtering is as fast as
 * levels 3–6 without it and 2–3× smaller; higher levels cost more for a few percent.
 */
export const PNG_OUTPUT = { compressionLevel: 3, adaptiveFiltering: true } as const;

/**
 * Opens an intaken (or engine-made) image for decoding: EXIF orientation applied, first frame
 * only, and no more than `maxPixels` decoded.
 */
export function openImage(data: Buffer, maxPixels: number = DEFAULT_MAX_PIXELS): Sharp {
  return sharp(data, { limitInputPixels: maxPixels, failOn: FAIL_ON, autoOrient: true });
}
