/**
 * Text to glyph coverage without Pango: laid out with fontkit (font-layout.ts), the glyph outlines
 * written as SVG paths and rasterised by sharp (librsvg), which needs no font at all.
 */
import type { Glyph } from 'fontkit';
import sharp from 'sharp';
import type { Line } from './font-layout.js';
import { ASCENT, LINE_PITCH, blockHeight, fit, rightToLeft, shape, visualOrder } from './font-layout.js';

export type Align = 'left' | 'centre' | 'right';

export interface Coverage {
  /** One byte per pixel. */
  alpha: Buffer;
  width: number;
  height: number;
}

/** Coordinates to a hundredth of a pixel; the scale keeps six significant digits (it is ~0.01). */
const round = (value: number): string => (Math.round(value * 100) / 100).toString();
const exact = (value: number): string => value.toPrecision(6);

/** Outlines as SVG path data, kept with the glyph (a glyph lives as long as its font slice is cached). */
const outlines = new WeakMap<Glyph, string>();

function outlineOf(glyph: Glyph): string {
  let d = outlines.get(glyph);
  if (d === undefined) {
    d = glyph.id === 0 ? '' : glyph.path.toSVG();
    outlines.set(glyph, d);
  }
  return d;
}

function svgOf(lines: readonly Line[], size: number, width: number, height: number, align: Align, rtl: boolean): string {
  const paths: string[] = [];
  lines.forEach((line, index) => {
    const free = width - line.width * size;
    let x = align === 'left' ? 0 : align === 'right' ? free : free / 2;
    const baseline = (ASCENT + index * LINE_PITCH) * size;
    for (const placed of visualOrder(line.glyphs, rtl)) {
      const d = outlineOf(placed.glyph);
      if (d !== '') {
        const scale = placed.unitScale * size;
        const left = x + placed.xOffset * size;
        const top = baseline - placed.yOffset * size;
        paths.push(`<path transform="matrix(${exact(scale)} 0 0 ${exact(-scale)} ${round(left)} ${round(top)})" d="${d}"/>`);
      }
      x += placed.advance * size;
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g fill="#fff">${paths.join('')}</g></svg>`;
}

/**
 * Renders the text as large as fits a `boxWidth` × `boxHeight` box (and at most `maxSize` pixels),
 * wrapped and aligned, and returns its coverage, cropped to the lines' extent (at most the box).
 */
export async function renderCoverage(text: string, boxWidth: number, boxHeight: number, align: Align, maxSize = Infinity): Promise<Coverage> {
  const atoms = await shape(text);
  const { lines, size } = fit(atoms, boxWidth, boxHeight, maxSize);
  const width = Math.max(1, Math.min(boxWidth, Math.ceil(Math.max(...lines.map((line) => line.width)) * size)));
  const height = Math.max(1, Math.min(boxHeight, Math.ceil(blockHeight(lines.length) * size)));
  const { data, info } = await sharp(Buffer.from(svgOf(lines, size, width, height, align, rightToLeft(text))))
    .extractChannel(3)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { alpha: data, width: info.width, height: info.height };
}
