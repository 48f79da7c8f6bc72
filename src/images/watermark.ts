/**
 * The "Qwen-Image" mark DashScope draws bottom-right when `watermark` is true. The font comes
 * from the dejavu-fonts-ttf package, never from the system, so every host draws the same glyphs
 * (a host's fontconfig hinting can still move edges by a pixel). White at 70% over a soft dark
 * halo: readable on white and on black.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { LruCache } from '../lib/lru.js';

export interface WatermarkOverlay {
  /** Raw RGBA pixels; pass the whole object to `sharp().composite([overlay])`. */
  input: Buffer;
  raw: { width: number; height: number; channels: 4 };
  left: number;
  top: number;
}

interface RenderedMark {
  data: Buffer;
  width: number;
  height: number;
  /** Halo space around the glyphs' ink box. */
  pad: number;
}

export const WATERMARK_TEXT = 'Qwen-Image';

const FONT_FILE = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');
const TEXT_OPACITY = 0.7;
const HALO_OPACITY = 0.45;
/** Font size relative to the shorter side, and its floor. */
const FONT_RATIO = 0.035;
const MIN_FONT_PX = 14;
/** Below this the text is unreadable; such thumbnails get no mark. */
const LEGIBLE_FONT_PX = 6;
/** Rendered width of the text per pixel of font size (DejaVu Sans Bold: ~7.0), with slack. */
const TEXT_WIDTH_PER_PX = 7.4;
const CACHE_LIMIT = 32;

const cache = new LruCache<number, Promise<RenderedMark>>(CACHE_LIMIT);

async function renderMark(fontPx: number): Promise<RenderedMark> {
  const text = await sharp({
    text: { text: WATERMARK_TEXT, font: `DejaVu Sans Bold ${fontPx}`, fontfile: FONT_FILE, dpi: 72 },
  })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pad = Math.max(2, Math.round(fontPx * 0.1));
  const width = text.info.width + 2 * pad;
  const height = text.info.height + 2 * pad;
  const glyphs = await sharp(text.data, { raw: { width: text.info.width, height: text.info.height, channels: 1 } })
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#000' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  const halo = await sharp(glyphs, { raw: { width, height, channels: 1 } })
    .blur(Math.max(0.6, fontPx / 18))
    .extractChannel(0)
    .raw()
    .toBuffer();
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const textAlpha = ((glyphs[i] ?? 0) / 255) * TEXT_OPACITY;
    const haloAlpha = Math.min(1, ((halo[i] ?? 0) / 255) * 1.8) * HALO_OPACITY;
    // White text over a black halo ("over" compositing, unpremultiplied result).
    const alpha = textAlpha + haloAlpha * (1 - textAlpha);
    if (alpha === 0) continue;
    const grey = Math.round((255 * textAlpha) / alpha);
    data[i * 4] = grey;
    data[i * 4 + 1] = grey;
    data[i * 4 + 2] = grey;
    data[i * 4 + 3] = Math.round(alpha * 255);
  }
  return { data, width, height, pad };
}

function cachedMark(fontPx: number): Promise<RenderedMark> {
  let mark = cache.get(fontPx);
  if (!mark) {
    mark = renderMark(fontPx);
    mark.catch(() => cache.delete(fontPx));
    cache.set(fontPx, mark);
  }
  return mark;
}

/**
 * The overlay for an image of this size, placed bottom-right with a ~2% margin; null when the
 * image is too small to carry a legible mark.
 */
export async function watermarkOverlay(width: number, height: number): Promise<WatermarkOverlay | null> {
  const short = Math.min(width, height);
  const wanted = Math.max(MIN_FONT_PX, Math.round(short * FONT_RATIO));
  const fontPx = Math.min(wanted, Math.floor((width * 0.9) / TEXT_WIDTH_PER_PX), Math.floor(height / 3));
  if (fontPx < LEGIBLE_FONT_PX) return null;
  const mark = await cachedMark(fontPx);
  const margin = Math.max(mark.pad, Math.round(short * 0.02));
  const left = width - margin - mark.width + mark.pad;
  const top = height - margin - mark.height + mark.pad;
  if (left < 0 || top < 0) return null;
  return { input: mark.data, raw: { width: mark.width, height: mark.height, channels: 4 }, left, top };
}
