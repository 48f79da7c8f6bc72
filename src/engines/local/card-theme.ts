/** Colours, layouts and flat shapes of the text-to-image placeholder card (generate.ts). */
import type { Size } from '../../domain/models.js';
import { lumaOf } from './raster/colours.js';
import type { Rgb } from './raster/palette.js';
import type { Rng } from './raster/prng.js';
import { between } from './raster/prng.js';
import type { Raster } from './raster/raster.js';

export const LAYOUTS = ['centred', 'left-bar', 'banner'] as const;

export interface Theme {
  /** Top and bottom of a soft vertical gradient. */
  background: [Rgb, Rgb];
  ink: Rgb;
  /** The prompt and the label: between the ink and the background. */
  muted: Rgb;
  accent: Rgb;
  /** Text on the accent colour. */
  onAccent: Rgb;
}

const PAPER: Rgb = [250, 248, 243];
const NIGHT: Rgb = [17, 18, 24];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t].map(Math.round) as Rgb;
}

/**
 * A light or a dark card in one of the prompt's colours. Light and dark alternate with the seed,
 * so consecutive variants (seed, seed + 1, …) always differ at a glance.
 */
export function themeFor(colours: readonly Rgb[], seed: number, rng: Rng): Theme {
  const picked = colours[Math.floor(rng() * colours.length)] ?? [96, 96, 96];
  const dark = (seed & 1) === 1;
  const base = dark ? NIGHT : PAPER;
  // An accent too close to the background is pushed away from it.
  const luma = lumaOf(picked);
  const accent = dark && luma < 90 ? mix(picked, PAPER, 0.45) : !dark && luma > 190 ? mix(picked, NIGHT, 0.45) : picked;
  const tint = between(rng, 0.08, 0.16);
  const top = mix(base, accent, tint);
  const bottom = mix(base, accent, tint + between(rng, 0.04, 0.1));
  const ink = dark ? mix(PAPER, accent, 0.08) : mix(NIGHT, accent, 0.12);
  return {
    background: [top, bottom],
    ink,
    muted: mix(ink, top, 0.3),
    accent,
    onAccent: lumaOf(accent) > 150 ? NIGHT : PAPER,
  };
}

/** The card's background: a vertical gradient between the theme's two colours. */
export function paintBackground(size: Size, theme: Theme): Raster {
  const { width, height } = size;
  const data = Buffer.allocUnsafe(width * height * 3);
  const [top, bottom] = theme.background;
  for (let y = 0; y < height; y++) {
    const colour = Buffer.from(mix(top, bottom, height > 1 ? y / (height - 1) : 0));
    data.fill(colour, y * width * 3, (y + 1) * width * 3);
  }
  return { data, width, height, channels: 3 };
}

/** Fills a rectangle (clipped to the raster) with a colour. */
export function fillRect(raster: Raster, left: number, top: number, width: number, height: number, colour: Rgb): void {
  const x0 = Math.max(0, left);
  const x1 = Math.min(raster.width, left + width);
  if (x1 <= x0) return;
  const { channels } = raster;
  const pixel = Buffer.from(channels === 4 ? [...colour, 255] : colour);
  for (let y = Math.max(0, top); y < Math.min(raster.height, top + height); y++) {
    raster.data.fill(pixel, (y * raster.width + x0) * channels, (y * raster.width + x1) * channels);
  }
}
