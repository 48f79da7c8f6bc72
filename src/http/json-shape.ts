/**
 * A scan of a JSON body as its text arrives, before `JSON.parse`: it counts values and nesting
 * outside strings, so a body of a million tiny values is refused before it becomes a million
 * objects in memory (a 40 MB body of `{}` would be about a gigabyte of heap), and it refuses keys
 * that would poison prototypes (`__proto__`, `constructor`) so the body can go to plain
 * `JSON.parse`. Requests here are a few fields and at most three images; the limits are far
 * above any real one. Strings, where large bodies keep their bytes (base64 images), are skipped
 * with native searches, and the text is fed piece by piece, so no large body is scanned in one go.
 */
export const MAX_JSON_VALUES = 10_000;
export const MAX_JSON_DEPTH = 32;

const STRUCTURAL = /["[\]{},:]/g;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_SQUARE = 0x5b;
const OPEN_CURLY = 0x7b;
const CLOSE_SQUARE = 0x5d;
const CLOSE_CURLY = 0x7d;
const COLON = 0x3a;
/** Keys longer than this (escapes included) cannot spell a poisoned name. */
const MAX_CHECKED_KEY = 64;
const POISONED = new Set(['__proto__', 'constructor']);

export class JsonShapeScanner {
  private values = 1;
  private escapedQuotes = 0;
  private depth = 0;
  private inString = false;
  /** Backslashes just before the end of the text fed so far, inside a string. */
  private trailingBackslashes = 0;
  /** The current string's text while it may still be a key to check; null once too long. */
  private token: string | null = null;
  /** The last string's text, until the next structural character says whether it was a key. */
  private lastString: string | null = null;

  /** Scans the next piece of the body; the reason it is refused, or null. */
  feed(text: string): string | null {
    let at = 0;
    while (at < text.length) {
      if (this.inString) {
        const end = this.closingQuote(text, at);
        if (end === -1) {
          this.extendToken(text, at, text.length);
          return this.escapedQuotes > MAX_JSON_VALUES ? `the JSON holds more than ${MAX_JSON_VALUES} escaped quotes` : null;
        }
        this.extendToken(text, at, end);
        this.inString = false;
        this.lastString = this.token;
        at = end + 1;
        continue;
      }
      STRUCTURAL.lastIndex = at;
      const match = STRUCTURAL.exec(text);
      if (match === null) return null;
      at = match.index + 1;
      const code = text.charCodeAt(match.index);
      if (code === QUOTE) {
        this.inString = true;
        this.trailingBackslashes = 0;
        this.token = '';
        continue;
      }
      const key = this.lastString;
      this.lastString = null;
      if (code === COLON) {
        if (key !== null && POISONED.has(decodeKey(key))) return `the key "${decodeKey(key)}" is not allowed`;
        continue;
      }
      if (code === OPEN_SQUARE || code === OPEN_CURLY) {
        this.depth += 1;
        if (this.depth > MAX_JSON_DEPTH) return `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`;
      } else if (code === CLOSE_SQUARE || code === CLOSE_CURLY) {
        this.depth -= 1;
        continue;
      }
      this.values += 1;
      if (this.values > MAX_JSON_VALUES) return `the JSON holds more than ${MAX_JSON_VALUES} values`;
    }
    return null;
  }

  /** Index of the quote that closes the current string from `from`, or -1 if not in this text. */
  private closingQuote(text: string, from: number): number {
    let at = text.indexOf('"', from);
    while (at !== -1) {
      let backslashes = 0;
      for (let k = at - 1; k >= from && text.charCodeAt(k) === BACKSLASH; k -= 1) backslashes += 1;
      // Backslashes that ended the previous piece count when they run up to this quote.
      if (backslashes === at - from) backslashes += this.trailingBackslashes;
      if (backslashes % 2 === 0) return at;
      this.escapedQuotes += 1;
      if (this.escapedQuotes > MAX_JSON_VALUES) return -1;
      at = text.indexOf('"', at + 1);
    }
    let run = 0;
    for (let k = text.length - 1; k >= from && text.charCodeAt(k) === BACKSLASH; k -= 1) run += 1;
    this.trailingBackslashes = run === text.length - from ? this.trailingBackslashes + run : run;
    return -1;
  }

  private extendToken(text: string, from: number, to: number): void {
    if (this.token === null) return;
    this.token = to - from + this.token.length > MAX_CHECKED_KEY ? null : this.token + text.slice(from, to);
  }
}

/** A short key's text with JSON escapes read (`\u005f_proto__` is `__proto__`). */
function decodeKey(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
