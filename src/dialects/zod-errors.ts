/** Shared helpers for dialects' zod wire schemas: errors that name the field as the client sent it. */
import type { z } from 'zod';
import { AppError } from '../domain/errors.js';

/** A zod error option: "is required" for a missing value, `message` for a wrong one. */
export const wireType = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message),
});

/** `a.b.0.c` → `a.b[0].c`, the way clients write paths. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), '');
}

/** The first issue as a 400 `invalid_parameter` naming the field and the rule. */
export function zodToAppError(error: z.ZodError, prefix = ''): AppError {
  const issue = error.issues[0];
  const whole = !issue || issue.path.length === 0;
  const field = `${prefix}${whole ? 'body' : fieldPath(issue.path)}`;
  // The body itself of the wrong type: say what it must be, not zod's generic phrase.
  const message = whole && issue?.code === 'invalid_type' ? 'must be a JSON object' : (issue?.message ?? 'is invalid');
  return new AppError('invalid_parameter', `${field}: ${message}.`.replace(/\.\.$/, '.'), { field });
}

/** The value as the schema reads it, or the 400 naming the first field at fault and its rule. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw zodToAppError(parsed.error);
  return parsed.data;
}
