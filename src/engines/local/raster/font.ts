/**
 * The shipped fonts (never a system font) and which characters they can draw: DejaVu Sans Bold,
 * drawn through Pango when it covers the whole text, and the Noto Sans CJK fonts beside it
 * (font-faces.ts) for Chinese, Japanese and Korean.
 */
import { DEJAVU_FILE, anyFontCovers, dejavuCovers } from './font-faces.js';

export const FONT_FILE = DEJAVU_FILE;
/** The Pango description of FONT_FILE. */
export const FONT_NAME = 'DejaVu Sans Bold';

/** The distinct characters of `text` no shipped font has a glyph for (they would print as boxes). */
export function missingGlyphs(text: string): string[] {
  const missing = new Set<string>();
  for (const char of text) {
    if (/\s/u.test(char)) continue;
    if (!anyFontCovers(char.codePointAt(0)!)) missing.add(char);
  }
  return [...missing];
}

/** Whether DejaVu Sans Bold alone has every character of `text`. */
export function dejavuDrawsAll(text: string): boolean {
  for (const char of text) {
    if (!/\s/u.test(char) && !dejavuCovers(char.codePointAt(0)!)) return false;
  }
  return true;
}
