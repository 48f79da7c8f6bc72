/** CSV as RFC 4180 writes it, safe to open in a spreadsheet. */

const NUMBER = /^-?\d+(\.\d+)?$/;
/** A spreadsheet reads a cell starting with one of these as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell: quoted when it holds a quote, comma or line break; a text cell a spreadsheet would read
 * as a formula (`=HYPERLINK(…)` in a model or key name) gets a leading `'` so it stays text.
 * Numbers, negative ones included, are written as they are.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value !== 'number' && !NUMBER.test(text) && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows joined with CRLF, the header first, ending with a line break. */
export function csvText(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
