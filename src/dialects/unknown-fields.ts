/**
 * Fields a dialect does not know are accepted and named in the task's warnings, as the vendors'
 * APIs ignore them; but only so many per request. Past the cap the request is refused, so a body
 * of a hundred thousand keys costs one loop and a 400, never a warning, a log line and a header
 * entry each.
 */
import { printableName } from '../domain/bounded-text.js';
import { AppError } from '../domain/errors.js';

export const MAX_UNKNOWN_FIELDS = 32;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The keys of `record` not in `known`, each as `${prefix}${key}` with the key made printable and
 * short; a 400 naming `where` once there are more than MAX_UNKNOWN_FIELDS.
 */
export function unknownFields(record: Readonly<Record<string, unknown>>, known: ReadonlySet<string>, prefix = '', where = prefix === '' ? 'body' : prefix.replace(/\.$/, '')): string[] {
  const unknown: string[] = [];
  for (const key of Object.keys(record)) {
    if (known.has(key)) continue;
    if (unknown.length === MAX_UNKNOWN_FIELDS) {
      throw new AppError(
        'invalid_parameter',
        `${where}: more than ${MAX_UNKNOWN_FIELDS} unknown fields (${unknown.slice(0, 3).join(', ')}, …); unknown fields are ignored, but at most ${MAX_UNKNOWN_FIELDS} are accepted.`,
        { field: where },
      );
    }
    unknown.push(`${prefix}${printableName(key)}`);
  }
  return unknown;
}
