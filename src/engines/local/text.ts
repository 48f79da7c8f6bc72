/** Text drawn with the shipped font: the caption of an edit and the title of a placeholder. */
import sharp from 'sharp';
import { FONT_FILE, FONT_NAME } from './font.js';
import type { Raster } from './raster.js';

export const MAX_TEXT_CHARS = 200;

export interface TextPlacement {
  /** Box the text is fitted into, as fractions of the image's width and height. */
  boxWidth: number;
  boxHeight: number;
  /** Vertical centre of the text, as a fraction of the image height. */
  centreY: number;
}

function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

interface Glyphs {
  /** Coverage of the rendered text, one byte per pixel. */
  alpha: Buffer;
  width: number;
  height: number;
}

/** Renders the text as large as fits the box (Pango wraps on words), returning its coverage. */
async function renderGlyphs(text: string, width: number, height: number): Promise<Glyphs> {
  const { data, info } = await sharp({
    text: {
      text: escapeMarkup(text),
      font: FONT_NAME,
      fontfile: FONT_FILE,
      rgba: true,
      width,
      height,
      align: 'centre',
      wrap: 'word',
    },
  })
    .extractChannel(3)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { alpha: data, width: info.width, height: info.height };
}

/** Shadow strength at full coverage. */
const SHADOW_OPACITY = 0.65;

/**
 * Blends white glyphs over a soft dark shadow into a copy of the raster. The blend is one pass over
 * the text box in JS: sharp's composite works on the whole picture in float and is several times
 * slower for a 2048² image.
 */
function blendText(raster: Raster, glyphs: Uint8Array, shadow: Uint8Array, box: { left: number; top: number; width: number; height: number; pad: number; offset: number }): Raster {
  const { width, height, channels } = raster;
  const out = Buffer.from(raster.data);
  const shadowWidth = box.width + 2 * box.pad;
  const shadowHeight = box.height + 2 * box.pad;
  const shadowLeft = box.left - box.pad + box.offset;
  const shadowTop = box.top - box.pad + box.offset;
  for (let sy = 0; sy < shadowHeight; sy++) {
    const y = shadowTop + sy;
    if (y < 0 || y >= height) continue;
    for (let sx = 0; sx < shadowWidth; sx++) {
      const x = shadowLeft + sx;
      const s = shadow[sy * shadowWidth + sx]!;
      if (x < 0 || x >= width || s === 0) continue;
      const keep = 1 - (SHADOW_OPACITY * s) / 255;
      const i = (y * width + x) * channels;
      out[i] = out[i]! * keep;
      out[i + 1] = out[i + 1]! * keep;
      out[i + 2] = out[i + 2]! * keep;
      if (channels === 4) out[i + 3] = Math.max(out[i + 3]!, SHADOW_OPACITY * s);
    }
  }
  for (let gy = 0; gy < box.height; gy++) {
    const y = box.top + gy;
    if (y < 0 || y >= height) continue;
    for (let gx = 0; gx < box.width; gx++) {
      const x = box.left + gx;
      const a = glyphs[gy * box.width + gx]!;
      if (x < 0 || x >= width || a === 0) continue;
      const i = (y * width + x) * channels;
      const t = a / 255;
      out[i] = out[i]! + (255 - out[i]!) * t + 0.5;
      out[i + 1] = out[i + 1]! + (255 - out[i + 1]!) * t + 0.5;
      out[i + 2] = out[i + 2]! + (255 - out[i + 2]!) * t + 0.5;
      if (channels === 4) out[i + 3] = Math.max(out[i + 3]!, a);
    }
  }
  return { ...raster, data: out };
}

/** White text over a soft dark shadow, so it reads on light and dark pictures alike. */
export async function drawText(raster: Raster, text: string, placement: TextPlacement): Promise<Raster> {
  const { width, height } = raster;
  const boxWidth = Math.max(16, Math.round(width * placement.boxWidth));
  const boxHeight = Math.max(16, Math.round(height * placement.boxHeight));
  const glyphs = await renderGlyphs(text.slice(0, MAX_TEXT_CHARS), boxWidth, boxHeight);
  const pad = Math.max(2, Math.round(glyphs.height * 0.06));
  const shadow = await sharp(glyphs.alpha, { raw: { width: glyphs.width, height: glyphs.height, channels: 1 } })
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#000000' })
    .blur(Math.max(0.5, pad / 3))
    .extractChannel(0)
    .raw()
    .toBuffer();
  return blendText(raster, glyphs.alpha, shadow, {
    left: Math.round((width - glyphs.width) / 2),
    top: Math.round(height * placement.centreY - glyphs.height / 2),
    width: glyphs.width,
    height: glyphs.height,
    pad,
    offset: Math.max(1, Math.round(pad / 3)),
  });
}
