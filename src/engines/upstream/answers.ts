/**
 * Reading an upstream's answer: its JSON when it is a success; otherwise the error it carries,
 * read by the first of the engine's error shapes that fits, or failing that its HTTP status and
 * the start of its body — thrown in catalog terms (`upstreamError`). Upstreams put errors in 200
 * answers too, so the body decides before the status.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { SafeFetchResponse } from '../../lib/safe-fetch.js';
import { upstreamError, type UpstreamFailure } from './errors.js';
import { excerpt, readJson, retryAfterSeconds } from './http.js';

/** An error a body carries, in `upstreamError`'s terms; `status` defaults to the answer's. */
export type CarriedError = Omit<UpstreamFailure, 'label' | 'status' | 'retryAfterSeconds'> & { status?: number };

/** Reads one upstream's error shape from an answer; null when the body is not of that shape. */
export type ErrorShape = (json: unknown, response: SafeFetchResponse) => CarriedError | null;

/**
 * Whether a JSON value is an object with `key` set: every error shape requires its key, so a
 * success answer (read against each shape) is told apart without running a schema.
 */
function carries(json: unknown, key: string): boolean {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && (json as Record<string, unknown>)[key] !== undefined;
}

const dashscopeErrorSchema = z.object({ code: z.string().min(1), message: z.string().nullish(), msg: z.string().nullish() });

/** DashScope's `{code, message}` (some resellers write `msg`): an error whatever the status. */
export const dashscopeErrorShape: ErrorShape = (json) => {
  if (!carries(json, 'code')) return null;
  const parsed = dashscopeErrorSchema.safeParse(json);
  return parsed.success ? { code: parsed.data.code, message: parsed.data.message ?? parsed.data.msg ?? undefined } : null;
};

const openAiErrorSchema = z.object({
  error: z.object({
    message: z.string().nullish(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});

/** OpenAI's `{error: {message, type, param, code}}`. */
export const openAiErrorShape: ErrorShape = (json) => {
  if (!carries(json, 'error')) return null;
  const parsed = openAiErrorSchema.safeParse(json);
  if (!parsed.success) return null;
  const { error } = parsed.data;
  const code = error.code ?? error.type;
  return { code: code === null || code === undefined ? undefined : String(code), message: error.message ?? undefined, field: error.param ?? undefined };
};

const nebulaErrorSchema = z.object({ code: z.number().int().refine((code) => code !== 200), msg: z.string().nullish() });

/** The `{code, msg, data}` envelope whose numeric `code` is the real status. */
export const nebulaErrorShape: ErrorShape = (json) => {
  if (!carries(json, 'code')) return null;
  const parsed = nebulaErrorSchema.safeParse(json);
  return parsed.success ? { status: parsed.data.code, message: parsed.data.msg ?? undefined } : null;
};

/** The error a failed answer means: the one its body carries, else its HTTP status and the start of its body. */
export function answerFailure(label: string, response: SafeFetchResponse, shapes: readonly ErrorShape[], json: unknown = readJson(response)): AppError {
  const base = { label, status: response.status, retryAfterSeconds: retryAfterSeconds(response.headers) };
  for (const shape of shapes) {
    const carried = shape(json, response);
    if (carried) return upstreamError({ ...base, ...carried });
  }
  return upstreamError({ ...base, message: `HTTP ${response.status} ${excerpt(response.body)}`.trim() });
}

/** The answer's JSON when it is a success; throws the error it carries or its status means. */
export function readAnswer(label: string, response: SafeFetchResponse, shapes: readonly ErrorShape[]): unknown {
  const json = readJson(response);
  const ok = response.status >= 200 && response.status <= 299;
  if (!ok || shapes.some((shape) => shape(json, response) !== null)) throw answerFailure(label, response, shapes, json);
  if (json === undefined) throw new AppError('engine_failed', `${label} answered with a body that is not JSON: ${excerpt(response.body)}`);
  return json;
}
