/** The shipped font (never a system font) and which characters it can draw. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export const FONT_FILE = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans-Bold.ttf');
/** The Pango description of FONT_FILE. */
export const FONT_NAME = 'DejaVu Sans Bold';

type Range = [number, number];

/** Code point ranges from the font's cmap (format 12 if present, else format 4). */
function readCmapRanges(font: Buffer): Range[] {
  const tables = font.readUInt16BE(4);
  let cmap = -1;
  for (let t = 0; t < tables; t++) {
    const record = 12 + t * 16;
    if (font.toString('latin1', record, record + 4) === 'cmap') cmap = font.readUInt32BE(record + 8);
  }
  if (cmap < 0) return [];
  const subtables = font.readUInt16BE(cmap + 2);
  let format4 = -1;
  for (let s = 0; s < subtables; s++) {
    const record = cmap + 4 + s * 8;
    const offset = cmap + font.readUInt32BE(record + 4);
    const format = font.readUInt16BE(offset);
    if (format === 12) {
      const groups = font.readUInt32BE(offset + 12);
      const ranges: Range[] = [];
      for (let g = 0; g < groups; g++) {
        const at = offset + 16 + g * 12;
        ranges.push([font.readUInt32BE(at), font.readUInt32BE(at + 4)]);
      }
      return ranges;
    }
    if (format === 4 && format4 < 0) format4 = offset;
  }
  if (format4 < 0) return [];
  const segments = font.readUInt16BE(format4 + 6) / 2;
  const ranges: Range[] = [];
  for (let s = 0; s < segments; s++) {
    const end = font.readUInt16BE(format4 + 14 + s * 2);
    const start = font.readUInt16BE(format4 + 16 + segments * 2 + s * 2);
    if (start !== 0xffff) ranges.push([start, end]);
  }
  return ranges;
}

let ranges: Range[] | undefined;

function covered(codePoint: number): boolean {
  ranges ??= readCmapRanges(readFileSync(FONT_FILE));
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = ranges[mid]!;
    if (codePoint < start) hi = mid - 1;
    else if (codePoint > end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The distinct characters of `text` the shipped font has no glyph for (they would print as boxes). */
export function missingGlyphs(text: string): string[] {
  const missing = new Set<string>();
  for (const char of text) {
    if (/\s/u.test(char)) continue;
    if (!covered(char.codePointAt(0)!)) missing.add(char);
  }
  return [...missing];
}
