/**
 * Text taken from a request and written back out (in messages, warnings, headers, log lines) is
 * bounded here, so what a client sends is never echoed at its own size.
 */

/** At most `max` characters of `text` (UTF-16 units), and `ellipsis` when cut. */
export function clip(text: string, max: number, ellipsis = '…'): string {
  return text.length <= max ? text : `${text.slice(0, max)}${ellipsis}`;
}

/** A value as quoted in an error message: a string in quotes, at most `max` characters of it. */
export function quoteValue(value: unknown, max = 80): string {
  return typeof value === 'string' ? JSON.stringify(clip(value, max)) : clip(String(value), max);
}

// Printable ASCII only: names end up in HTTP headers, which allow nothing else.
const UNPRINTABLE = /[^\x20-\x7e]/g;

/** A field name a client chose, safe for messages and headers: printable ASCII, at most `max` characters. */
export function printableName(name: string, max = 64): string {
  return clip(name.slice(0, max + 1).replace(UNPRINTABLE, '?'), max, '...');
}

/**
 * Text for an HTTP header, which allows printable ASCII only: anything else as a `\uXXXX` escape
 * (readable, and JSON.parse of the quoted value gives the text back), at most `max` characters.
 */
export function headerText(text: string, max = 1024): string {
  return clip(text.slice(0, max + 1).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), max, '...');
}

/** A task keeps at most this many warnings, each at most MAX_WARNING_CHARS long. */
export const MAX_WARNINGS = 20;
export const MAX_WARNING_CHARS = 300;

/** Warnings as a task keeps them: each clipped, and past MAX_WARNINGS one line that counts the rest. */
export function boundWarnings(warnings: readonly string[]): string[] {
  const kept = warnings.slice(0, MAX_WARNINGS).map((warning) => clip(warning, MAX_WARNING_CHARS));
  if (warnings.length > MAX_WARNINGS) kept.push(`…and ${warnings.length - MAX_WARNINGS} more warnings.`);
  return kept;
}
