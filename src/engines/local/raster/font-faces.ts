/**
 * The fonts text is drawn from, all shipped in npm packages (never a system font): DejaVu Sans Bold
 * for the scripts it covers, and Noto Sans SC, TC, JP and KR (SIL OFL 1.1, from Fontsource) for
 * Chinese, Japanese and Korean. The Noto fonts come split by Unicode range into ~120 small WOFF2
 * files each; a file is decoded only when a character it holds is drawn, and only a bounded number
 * of decoded files are kept.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as fontkit from 'fontkit';
import { decompress } from 'wawoff2';

const require = createRequire(import.meta.url);

export const DEJAVU_FILE = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', 'DejaVuSans-Bold.ttf');

/** The CJK families, each the variable Noto Sans of one region. */
export type CjkFamily = 'sc' | 'tc' | 'jp' | 'kr';
export const CJK_FAMILIES: readonly CjkFamily[] = ['sc', 'tc', 'jp', 'kr'];

/** The weight the Noto fonts are drawn at, to sit beside DejaVu Sans Bold. */
const WEIGHT = 700;
/**
 * Decoded Noto slices kept. Each holds ~0.1–0.3 MB of font data and tables, plus fontkit's cached
 * outline (~15 kB) of every glyph drawn from it; the most common characters sit in a few slices.
 */
const MAX_CACHED_SLICES = 16;

type Range = [number, number];

interface Slice {
  /** Key into the cache: family and the slice's name in the package (`sc:118`, `kr:latin`). */
  id: string;
  file: string;
  ranges: Range[];
}

/** Code point ranges of a CSS `unicode-range` value (`U+4e00-4e0f,U+3001`). */
export function parseUnicodeRange(value: string): Range[] {
  const ranges: Range[] = [];
  for (const part of value.split(',')) {
    const match = /^\s*U\+([0-9a-f]+)(?:-([0-9a-f]+))?\s*$/iu.exec(part);
    if (match) ranges.push([parseInt(match[1]!, 16), parseInt(match[2] ?? match[1]!, 16)]);
  }
  return ranges;
}

function inRanges(ranges: readonly Range[], codePoint: number): boolean {
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

/** Code point ranges from a TrueType font's cmap (format 12 if present, else format 4), sorted. */
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

let dejavuRanges: Range[] | undefined;

/** Whether DejaVu Sans Bold has a glyph for the code point. */
export function dejavuCovers(codePoint: number): boolean {
  dejavuRanges ??= readCmapRanges(readFileSync(DEJAVU_FILE));
  return inRanges(dejavuRanges, codePoint);
}

const slicesByFamily = new Map<CjkFamily, Slice[]>();

/** A family's slices, read from the `unicode.json` its package ships (slice name → unicode-range). */
function slicesOf(family: CjkFamily): Slice[] {
  let slices = slicesByFamily.get(family);
  if (slices === undefined) {
    const root = dirname(require.resolve(`@fontsource-variable/noto-sans-${family}/package.json`));
    const table = JSON.parse(readFileSync(join(root, 'unicode.json'), 'utf8')) as Record<string, string>;
    slices = Object.entries(table).map(([key, value]) => {
      const name = key.replace(/^\[(\d+)\]$/u, '$1');
      const ranges = parseUnicodeRange(value).sort((a, b) => a[0] - b[0]);
      return { id: `${family}:${name}`, file: join(root, 'files', `noto-sans-${family}-${name}-wght-normal.woff2`), ranges };
    });
    slicesByFamily.set(family, slices);
  }
  return slices;
}

/** The slice of a family that holds the code point, if any. */
export function cjkSliceFor(family: CjkFamily, codePoint: number): string | undefined {
  return slicesOf(family).find((slice) => inRanges(slice.ranges, codePoint))?.id;
}

/** Whether any shipped font can draw the code point. */
export function anyFontCovers(codePoint: number): boolean {
  return dejavuCovers(codePoint) || CJK_FAMILIES.some((family) => cjkSliceFor(family, codePoint) !== undefined);
}

/** The id of DejaVu Sans Bold among the faces. */
export const DEJAVU = 'dejavu';

let dejavu: fontkit.Font | undefined;
/** Decoded slices, oldest use first (a Map keeps insertion order). */
const loaded = new Map<string, Promise<fontkit.Font>>();

async function loadSlice(id: string): Promise<fontkit.Font> {
  const family = id.slice(0, id.indexOf(':')) as CjkFamily;
  const slice = slicesOf(family).find((candidate) => candidate.id === id);
  if (slice === undefined) throw new Error(`no font slice ${id}`);
  // fontkit cannot vary the weight of a WOFF2 font's transformed glyphs: decode to TrueType first.
  const ttf = Buffer.from(await decompress(readFileSync(slice.file)));
  return (fontkit.create(ttf) as fontkit.Font).getVariation({ wght: WEIGHT });
}

/** The face with that id (DEJAVU or a slice id), decoding it on first use. */
export async function loadFace(id: string): Promise<fontkit.Font> {
  if (id === DEJAVU) {
    dejavu ??= fontkit.create(readFileSync(DEJAVU_FILE)) as fontkit.Font;
    return dejavu;
  }
  let face = loaded.get(id);
  if (face === undefined) {
    face = loadSlice(id);
    face.catch(() => loaded.delete(id));
  } else {
    loaded.delete(id);
  }
  loaded.set(id, face);
  while (loaded.size > MAX_CACHED_SLICES) loaded.delete(loaded.keys().next().value!);
  return face;
}
