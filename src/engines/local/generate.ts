/**
 * Text-to-image without a generative model: an honest, seeded placeholder — soft gradients and
 * shapes in the prompt's colours, with its quoted title drawn large in the centre.
 */
import sharp from 'sharp';
import type { Size } from '../../domain/models.js';
import { missingGlyphs } from './raster/font.js';
import type { Rgb } from './raster/palette.js';
import { paletteFor } from './raster/palette.js';
import type { Rng } from './raster/prng.js';
import { between, rngFor } from './raster/prng.js';
import type { Raster } from './raster/raster.js';
import { toRaster } from './raster/raster.js';
import { MAX_TEXT_CHARS, drawText } from './ops/text.js';

export const PLACEHOLDER_WARNING =
  'the local engine renders a procedural placeholder for text-to-image; route this model to an upstream engine for real generation';

const QUOTED = /"([^"\n]+)"|“([^”\n]+)”|「([^」\n]+)」|『([^』\n]+)』|《([^》\n]+)》|‘([^’\n]+)’/u;
const TITLE_EN = /\b(?:titled|title|headline|heading|caption|the (?:words?|text))\s*(?:[:：]|is\b|reads\b|says\b|of\b)?\s*([^,.;!?\n]+)/iu;
const TITLE_ZH = /(?:大标题|标题|题目|字样|写着|写有)\s*(?:为|是|:|：)?\s*([^,，。.;；!！?？\n]+)/u;
/** An unquoted English title ends where the description goes on. */
const TITLE_END = /\s+(?:on|in|at|with|over|above|below|against|and|from|under|for)\s.*$/iu;

/** The title the prompt asks to show: quoted text first, else "title …" / 标题为…. */
export function titleOf(prompt: string): string | undefined {
  const quoted = QUOTED.exec(prompt);
  const fromQuotes = quoted?.slice(1).find((group) => group !== undefined);
  if (fromQuotes !== undefined) return fromQuotes.trim() || undefined;
  const zh = TITLE_ZH.exec(prompt)?.[1]?.trim();
  if (zh) return zh;
  const en = TITLE_EN.exec(prompt)?.[1]?.replace(TITLE_END, '').trim();
  return en || undefined;
}

/** Multi-stop gradient along a seeded direction. */
function gradientColour(stops: readonly Rgb[], t: number): Rgb {
  const scaled = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const index = Math.floor(scaled);
  const f = scaled - index;
  const a = stops[index]!;
  const b = stops[Math.min(stops.length - 1, index + 1)]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

interface Blob {
  x: number;
  y: number;
  radius: number;
  strength: number;
  colour: Rgb;
}

function seededBlobs(rng: Rng, colours: readonly Rgb[]): Blob[] {
  const count = 3 + Math.floor(rng() * 3);
  return Array.from({ length: count }, () => ({
    x: rng(),
    y: rng(),
    radius: between(rng, 0.12, 0.4),
    strength: between(rng, 0.35, 0.75),
    colour: colours[Math.floor(rng() * colours.length)] ?? [128, 128, 128],
  }));
}

/** The field is drawn at 1/FIELD_SCALE of the output size and enlarged. */
const FIELD_SCALE = 8;

async function paintField(size: Size, colours: readonly Rgb[], rng: Rng): Promise<Raster> {
  const w = Math.max(2, Math.ceil(size.width / FIELD_SCALE));
  const h = Math.max(2, Math.ceil(size.height / FIELD_SCALE));
  const angle = rng() * Math.PI * 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const reach = (Math.abs(cos) * size.width + Math.abs(sin) * size.height) / 2;
  const offset = Math.floor(rng() * colours.length);
  const stops = colours.map((_, i) => colours[(i + offset) % colours.length]!);
  const blobs = seededBlobs(rng, colours);
  const minSide = Math.min(w, h);
  const data = Buffer.allocUnsafe(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = ((x + 0.5) / w - 0.5) * size.width;
      const py = ((y + 0.5) / h - 0.5) * size.height;
      const colour = gradientColour(stops, 0.5 + (px * cos + py * sin) / (2 * reach));
      for (const blob of blobs) {
        const dx = x - blob.x * w;
        const dy = y - blob.y * h;
        const r = blob.radius * minSide;
        const weight = blob.strength * Math.exp(-(dx * dx + dy * dy) / (2 * r * r));
        for (let c = 0; c < 3; c++) colour[c]! += (blob.colour[c]! - colour[c]!) * weight;
      }
      const i = (y * w + x) * 3;
      data[i] = Math.round(colour[0]);
      data[i + 1] = Math.round(colour[1]);
      data[i + 2] = Math.round(colour[2]);
    }
  }
  // Nearest-neighbour blocks blurred by about their size: as smooth as a cubic enlargement here,
  // and several times faster in libvips.
  const field = sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' })
    .blur(FIELD_SCALE * 0.8);
  return toRaster(field, false);
}

export interface Placeholder {
  raster: Raster;
  description: string;
  warnings: string[];
}

export async function renderPlaceholder(prompt: string, size: Size, seed: number): Promise<Placeholder> {
  const palette = paletteFor(prompt);
  let raster = await paintField(size, palette.colours, rngFor(seed, 0));
  const warnings = [PLACEHOLDER_WARNING];
  const title = titleOf(prompt)?.slice(0, MAX_TEXT_CHARS);
  const missing = title === undefined ? [] : missingGlyphs(title);
  let drawn: string | undefined;
  if (title !== undefined && missing.length > 0) {
    warnings.push(`the shipped font cannot draw ${missing.slice(0, 8).join('')}; the title "${title}" was left out`);
  } else if (title !== undefined) {
    raster = await drawText(raster, title, { boxWidth: 0.8, boxHeight: 0.34, position: 'centre' });
    drawn = title;
  }
  const colours = palette.names.length > 0 ? `palette: ${palette.names.join(', ')}` : "palette from the prompt's hash";
  const description = `procedural placeholder (${colours}${drawn === undefined ? '' : `; title "${drawn}"`})`;
  return { raster, description, warnings };
}
