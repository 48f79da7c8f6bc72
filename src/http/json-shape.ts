/**
 * A scan of a JSON body before `JSON.parse`: it counts values and nesting outside strings, so a
 * body of a million tiny values is refused before it becomes a million objects in memory (a
 * 40 MB body of `{}` would be about a gigabyte of heap). Requests here are a few fields and at
 * most three images; the limits are far above any real one. Strings, where large bodies keep
 * their bytes (base64 images), are skipped with native searches, so the scan costs little.
 */
export const MAX_JSON_VALUES = 10_000;
export const MAX_JSON_DEPTH = 32;

const STRUCTURAL = /["[\]{},]/g;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_SQUARE = 0x5b;
const OPEN_CURLY = 0x7b;
const CLOSE_SQUARE = 0x5d;
const CLOSE_CURLY = 0x7d;

interface Scan {
  values: number;
  /** Escaped quotes cost a step each, so they count against the same budget. */
  escapedQuotes: number;
}

/** Index of the quote that closes the string opened at `open`; -1 when unclosed or over budget. */
function closingQuote(text: string, open: number, scan: Scan): number {
  let at = text.indexOf('"', open + 1);
  while (at !== -1) {
    let backslashes = 0;
    for (let k = at - 1; text.charCodeAt(k) === BACKSLASH; k -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return at;
    scan.escapedQuotes += 1;
    if (scan.escapedQuotes > MAX_JSON_VALUES) return -1;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

/** Why the body is refused before parsing, or null. Syntax errors are left to `JSON.parse`. */
export function jsonShapeProblem(text: string): string | null {
  const scan: Scan = { values: 1, escapedQuotes: 0 };
  let depth = 0;
  STRUCTURAL.lastIndex = 0;
  for (let match = STRUCTURAL.exec(text); match !== null; match = STRUCTURAL.exec(text)) {
    const code = text.charCodeAt(match.index);
    if (code === QUOTE) {
      const end = closingQuote(text, match.index, scan);
      if (scan.escapedQuotes > MAX_JSON_VALUES) return `the JSON holds more than ${MAX_JSON_VALUES} escaped quotes`;
      if (end === -1) return null;
      STRUCTURAL.lastIndex = end + 1;
      continue;
    }
    if (code === OPEN_SQUARE || code === OPEN_CURLY) {
      depth += 1;
      if (depth > MAX_JSON_DEPTH) return `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`;
    } else if (code === CLOSE_SQUARE || code === CLOSE_CURLY) {
      depth -= 1;
      continue;
    }
    scan.values += 1;
    if (scan.values > MAX_JSON_VALUES) return `the JSON holds more than ${MAX_JSON_VALUES} values`;
  }
  return null;
}
