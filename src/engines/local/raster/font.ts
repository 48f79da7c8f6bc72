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

/**
 * Characters that draw nothing: white space, format and default-ignorable characters (U+200B,
 * U+200D, U+2060, U+00AD, U+200E, variation selectors, the Hangul fillers) and the blank braille cell.
 */
const INVISIBLE = /[\s\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** Whether `text` has at least one character that draws something. */
export function hasVisibleChars(text: string): boolean {
  return text.replace(INVISIBLE, '') !== '';
}

/**
 * Characters as named in a message: printable ones as they are, the others (lone surrogates,
 * controls, invisible characters) as U+XXXX, so that two halves of a pair are never joined into
 * a character the text does not have.
 */
export function nameChars(chars: readonly string[]): string {
  return chars
    .map((char) => (/^[\p{C}\p{Z}\p{Default_Ignorable_Code_Point}\u2800]$/u.test(char) ? ` U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} ` : char))
    .join('')
    .replace(/ {2,}/gu, ' ')
    .trim();
}

/** Whether DejaVu Sans Bold alone has every character of `text`. */
export function dejavuDrawsAll(text: string): boolean {
  for (const char of text) {
    if (!/\s/u.test(char) && !dejavuCovers(char.codePointAt(0)!)) return false;
  }
  return true;
}
