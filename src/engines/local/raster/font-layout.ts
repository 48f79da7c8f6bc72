/**
 * Lays text out from the shipped fonts with fontkit: picks a font per character (DejaVu Sans Bold
 * first, then the Noto Sans CJK family that suits the text), shapes each run, breaks lines between
 * words and between CJK characters (keeping closing punctuation off a line's start and opening
 * punctuation off its end), and finds the largest size at which the text fits a box.
 */
import type { Glyph } from 'fontkit';
import type { CjkFamily } from './font-faces.js';
import { CJK_FAMILIES, DEJAVU, cjkSliceFor, dejavuCovers, loadFace } from './font-faces.js';

/** One shaped glyph; lengths are in ems. */
export interface PlacedGlyph {
  glyph: Glyph;
  /** The face it comes from: 'dejavu' or a Noto slice (`sc:118`). */
  face: string;
  /** Part of a right-to-left run (Arabic, Hebrew): glyphs are kept in logical order until drawn. */
  rtl: boolean;
  /** Multiplies font units into ems. */
  unitScale: number;
  advance: number;
  xOffset: number;
  yOffset: number;
}

/** A piece of text no line break may fall inside. */
interface Atom {
  glyphs: PlacedGlyph[];
  width: number;
  kind: 'text' | 'space' | 'newline';
}

const KANA = /[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]/u;
const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/u;
/** Characters a line may break before or after: CJK ideographs, kana, Hangul, CJK punctuation and fullwidth forms. */
const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u{20000}-\u{3ffff}]/u;
const CLOSING = /[、。，．：；！？）］｝〉》」』】〕〗〙〛’”…‥・ー々ゝゞヽヾ!),.:;?\]}]/u;
const OPENING = /[（［｛〈《「『【〔〖〘〚‘“([{]/u;

/**
 * The Noto families to try, in order: Japanese forms when the text has kana, Korean when it has
 * Hangul, else Chinese (Simplified, then Traditional).
 */
export function familyOrder(text: string): CjkFamily[] {
  const first: CjkFamily = KANA.test(text) ? 'jp' : HANGUL.test(text) ? 'kr' : 'sc';
  return [first, ...CJK_FAMILIES.filter((family) => family !== first)];
}

/** The face to draw a character from, or undefined when no shipped font has it. */
function faceFor(codePoint: number, order: readonly CjkFamily[]): string | undefined {
  if (dejavuCovers(codePoint)) return DEJAVU;
  for (const family of order) {
    const slice = cjkSliceFor(family, codePoint);
    if (slice !== undefined) return slice;
  }
  return undefined;
}

interface Run {
  face: string;
  text: string;
  rtl: boolean;
}

/** Letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo and their presentation forms). */
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe]/u;
const LETTER = /\p{L}/u;

/** Whether the text's first letter is right-to-left. */
export function rightToLeft(text: string): boolean {
  for (const char of text) if (LETTER.test(char)) return RTL.test(char);
  return false;
}

/**
 * Consecutive characters from one face and of one direction (a character that is no letter goes
 * with the run before it); characters no font has are left out.
 */
function runsOf(text: string): Run[] {
  const order = familyOrder(text);
  const runs: Run[] = [];
  for (const char of text) {
    if (char === '\n') {
      runs.push({ face: '\n', text: char, rtl: false });
      continue;
    }
    const face = faceFor(char.codePointAt(0)!, order);
    if (face === undefined) continue;
    const last = runs.at(-1);
    const rtl = LETTER.test(char) ? RTL.test(char) : (last?.rtl ?? false);
    if (last?.face === face && last.rtl === rtl) last.text += char;
    else runs.push({ face, text: char, rtl });
  }
  return runs;
}

function isSpace(glyph: Glyph): boolean {
  return glyph.codePoints.length > 0 && glyph.codePoints.every((codePoint) => /\s/u.test(String.fromCodePoint(codePoint)));
}

function matches(glyph: PlacedGlyph | undefined, pattern: RegExp): boolean {
  return glyph !== undefined && glyph.glyph.codePoints.some((codePoint) => pattern.test(String.fromCodePoint(codePoint)));
}

/** Whether a line may break between two glyphs of one word-like stretch. */
function breakBetween(before: PlacedGlyph, after: PlacedGlyph): boolean {
  if (matches(after, CLOSING) || matches(before, OPENING)) return false;
  return matches(before, CJK) || matches(after, CJK);
}

/** Shapes the text into atoms (loading the font slices it needs). */
export async function shape(text: string): Promise<Atom[]> {
  const atoms: Atom[] = [];
  let current: PlacedGlyph[] = [];
  const flush = (): void => {
    if (current.length > 0) atoms.push({ glyphs: current, width: current.reduce((sum, g) => sum + g.advance, 0), kind: 'text' });
    current = [];
  };
  for (const run of runsOf(text)) {
    if (run.face === '\n') {
      flush();
      atoms.push({ glyphs: [], width: 0, kind: 'newline' });
      continue;
    }
    const font = await loadFace(run.face);
    const unitScale = 1 / font.unitsPerEm;
    const laid = font.layout(run.text);
    // fontkit gives a right-to-left run in drawing order; lines are broken in logical order.
    const indices = laid.glyphs.map((_, i) => i);
    if (laid.direction === 'rtl') indices.reverse();
    indices.forEach((i) => {
      const glyph = laid.glyphs[i]!;
      const position = laid.positions[i]!;
      const placed: PlacedGlyph = { glyph, face: run.face, rtl: laid.direction === 'rtl', unitScale, advance: position.xAdvance * unitScale, xOffset: position.xOffset * unitScale, yOffset: position.yOffset * unitScale };
      if (isSpace(glyph)) {
        flush();
        atoms.push({ glyphs: [placed], width: placed.advance, kind: 'space' });
        return;
      }
      const before = current.at(-1);
      if (before !== undefined && breakBetween(before, placed)) flush();
      current.push(placed);
    });
  }
  flush();
  return atoms;
}

/**
 * A line's glyphs in drawing order (a simplified bidi): in a left-to-right paragraph each stretch of
 * right-to-left glyphs is reversed; in a right-to-left one the whole line is, then each
 * left-to-right stretch back. Spaces at a stretch's ends stay where they are.
 */
export function visualOrder(glyphs: readonly PlacedGlyph[], rtlParagraph: boolean): PlacedGlyph[] {
  const out = rtlParagraph ? [...glyphs].reverse() : [...glyphs];
  const backwards = (g: PlacedGlyph): boolean => g.rtl !== rtlParagraph;
  let i = 0;
  while (i < out.length) {
    if (!backwards(out[i]!) || isSpace(out[i]!.glyph)) {
      i++;
      continue;
    }
    let end = i;
    for (let j = i; j < out.length && (backwards(out[j]!) || isSpace(out[j]!.glyph)); j++) if (!isSpace(out[j]!.glyph)) end = j;
    out.splice(i, end - i + 1, ...out.slice(i, end + 1).reverse());
    i = end + 1;
  }
  return out;
}

export interface Line {
  glyphs: PlacedGlyph[];
  /** Advance width in ems, without trailing spaces. */
  width: number;
}

/** Greedy line breaking at `maxWidth` ems; an atom wider than a line is split between glyphs. */
export function wrap(atoms: readonly Atom[], maxWidth: number): Line[] {
  const lines: Line[] = [];
  let line: Line = { glyphs: [], width: 0 };
  let pending: PlacedGlyph[] = [];
  const newLine = (): void => {
    lines.push(line);
    line = { glyphs: [], width: 0 };
    pending = [];
  };
  const add = (glyphs: readonly PlacedGlyph[], width: number): void => {
    for (const space of pending) line.width += space.advance;
    line.glyphs.push(...pending, ...glyphs);
    line.width += width;
    pending = [];
  };
  for (const atom of atoms) {
    if (atom.kind === 'newline') newLine();
    else if (atom.kind === 'space') pending.push(...(line.glyphs.length > 0 ? atom.glyphs : []));
    else {
      const spaces = pending.reduce((sum, g) => sum + g.advance, 0);
      if (line.glyphs.length > 0 && line.width + spaces + atom.width > maxWidth) newLine();
      if (atom.width <= maxWidth || line.glyphs.length > 0) {
        add(atom.glyphs, atom.width);
        continue;
      }
      for (const glyph of atom.glyphs) {
        if (line.glyphs.length > 0 && line.width + glyph.advance > maxWidth) newLine();
        add([glyph], glyph.advance);
      }
    }
  }
  lines.push(line);
  return lines;
}

/** Baseline of the first line below the block's top, the depth below the last, and the line pitch, in ems. */
export const ASCENT = 0.95;
export const DESCENT = 0.27;
export const LINE_PITCH = 1.3;

export function blockHeight(lines: number): number {
  return ASCENT + DESCENT + (lines - 1) * LINE_PITCH;
}

export interface Fitted {
  lines: Line[];
  /** Font size in pixels. */
  size: number;
}

/** The largest size (to a tenth of a pixel, 4 px to `maxSize`) at which the wrapped text fits the box. */
export function fit(atoms: readonly Atom[], width: number, height: number, maxSize = Infinity): Fitted {
  const fits = (size: number): Line[] | undefined => {
    const lines = wrap(atoms, width / size);
    const widest = Math.max(...lines.map((line) => line.width));
    return widest * size <= width && blockHeight(lines.length) * size <= height ? lines : undefined;
  };
  let lo = 4;
  let hi = Math.max(lo, Math.min(maxSize, height / blockHeight(1)));
  let best: Fitted = { lines: wrap(atoms, width / lo), size: lo };
  while (hi - lo > 0.1) {
    const mid = (lo + hi) / 2;
    const lines = fits(mid);
    if (lines === undefined) hi = mid;
    else {
      best = { lines, size: mid };
      lo = mid;
    }
  }
  const top = fits(hi);
  return top === undefined ? best : { lines: top, size: hi };
}
