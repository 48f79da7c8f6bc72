/** Text drawn from the shipped fonts: the "add the text" edit and the placeholder card. */
import sharp from 'sharp';
import { lumaOf } from '../raster/colours.js';
import { FONT_FILE, FONT_NAME, dejavuDrawsAll } from '../raster/font.js';
import type { Align, Coverage } from '../raster/font-render.js';
import { renderCoverage } from '../raster/font-render.js';
import { anchor } from './compose.js';
import type { Rgb } from '../raster/palette.js';
import type { Position } from '../plan.js';
import type { Raster } from '../raster/raster.js';

export const MAX_TEXT_CHARS = 200;

/** The part of a text that is drawn: its first MAX_TEXT_CHARS code points (never half a surrogate pair). */
export function drawnText(text: string): { text: string; cut: boolean } {
  const chars = [...text];
  return chars.length <= MAX_TEXT_CHARS ? { text, cut: false } : { text: chars.slice(0, MAX_TEXT_CHARS).join(''), cut: true };
}

export interface TextPlacement {
  /** Box the text is fitted into, as fractions of the image's width and height. */
  boxWidth: number;
  boxHeight: number;
  position: Position;
  /** Glyph colour; white when not given. */
  colour?: Rgb | undefined;
}

/** Gap between the text and the edges it sits at, as a share of the shorter side. */
const MARGIN = 0.04;
/** Shadow (or halo) strength at full coverage. */
const SHADOW_OPACITY = 0.65;
/** Text darker than this gets a light halo instead of a dark shadow. */
const DARK_TEXT = 110;

function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * Renders the text as large as fits the box, returning its coverage: through Pango (which wraps on
 * words and handles right-to-left text) when DejaVu Sans has every character, else laid out from
 * DejaVu and the Noto Sans CJK fonts by fontkit.
 */
async function renderGlyphs(text: string, width: number, height: number, align: Align): Promise<Coverage> {
  if (!dejavuDrawsAll(text)) return renderCoverage(text, width, height, align);
  try {
    const { data, info } = await sharp({
      text: { text: escapeMarkup(text), font: FONT_NAME, fontfile: FONT_FILE, rgba: true, width, height, align, wrap: 'word' },
    })
      .extractChannel(3)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { alpha: data, width: info.width, height: info.height };
  } catch (error) {
    // Pango lays out nothing for text of only blank or zero-width characters; the instruction
    // reader refuses such text, and whatever slips past is drawn (as nothing) by fontkit instead.
    if (error instanceof Error && /no text to render/u.test(error.message)) return renderCoverage(text, width, height, align);
    throw error;
  }
}

interface Layer {
  coverage: Uint8Array;
  left: number;
  top: number;
  width: number;
  height: number;
  /** Colour the layer pulls pixels toward, and how far at full coverage. */
  colour: Rgb;
  opacity: number;
}

/**
 * Blends a coverage layer into `out` in one pass over its box in JS: sharp's composite works on
 * the whole picture in float and is several times slower for a 2048² image.
 */
export function blendLayer(out: Buffer, raster: Raster, layer: Layer): void {
  const { width, height, channels } = raster;
  const [r, g, b] = layer.colour;
  for (let ly = 0; ly < layer.height; ly++) {
    const y = layer.top + ly;
    if (y < 0 || y >= height) continue;
    for (let lx = 0; lx < layer.width; lx++) {
      const x = layer.left + lx;
      const a = layer.coverage[ly * layer.width + lx]!;
      if (x < 0 || x >= width || a === 0) continue;
      const t = (layer.opacity * a) / 255;
      const i = (y * width + x) * channels;
      out[i] = out[i]! + (r - out[i]!) * t + 0.5;
      out[i + 1] = out[i + 1]! + (g - out[i + 1]!) * t + 0.5;
      out[i + 2] = out[i + 2]! + (b - out[i + 2]!) * t + 0.5;
      if (channels === 4) out[i + 3] = Math.max(out[i + 3]!, 255 * t);
    }
  }
}

/**
 * Text in the placement's colour (white by default) over a soft shadow — dark and offset for
 * light text, a light halo for dark text — so it reads on light and dark pictures alike.
 */
export async function drawText(raster: Raster, text: string, placement: TextPlacement): Promise<Raster> {
  const { width, height } = raster;
  const { position } = placement;
  const align = position.endsWith('left') ? 'left' : position.endsWith('right') ? 'right' : 'centre';
  const boxWidth = Math.max(16, Math.round(width * placement.boxWidth));
  const boxHeight = Math.max(16, Math.round(height * placement.boxHeight));
  const glyphs = await renderGlyphs(drawnText(text).text, boxWidth, boxHeight, align);
  const pad = Math.max(2, Math.round(glyphs.height * 0.06));
  const shadow = await sharp(glyphs.alpha, { raw: { width: glyphs.width, height: glyphs.height, channels: 1 } })
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#000000' })
    .blur(Math.max(0.5, pad / 3))
    .extractChannel(0)
    .raw()
    .toBuffer();
  const margin = position === 'centre' ? 0 : Math.round(Math.min(width, height) * MARGIN);
  const { left, top } = anchor(position, raster, glyphs, margin);
  const colour = placement.colour ?? [255, 255, 255];
  const dark = lumaOf(colour) < DARK_TEXT;
  const offset = dark ? 0 : Math.max(1, Math.round(pad / 3));
  const out = Buffer.from(raster.data);
  const box = { width: glyphs.width + 2 * pad, height: glyphs.height + 2 * pad };
  blendLayer(out, raster, { coverage: shadow, left: left - pad + offset, top: top - pad + offset, ...box, colour: dark ? [255, 255, 255] : [0, 0, 0], opacity: SHADOW_OPACITY });
  blendLayer(out, raster, { coverage: glyphs.alpha, left, top, width: glyphs.width, height: glyphs.height, colour, opacity: 1 });
  return { ...raster, data: out };
}
