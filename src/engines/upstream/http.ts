/**
 * One call to an upstream through the engine's URL guard. Transport failures become catalog
 * errors here; answers are handed back whatever their status, for each engine to read.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import { AppError, canceled, throwIfAborted } from '../../domain/errors.js';
import type { EngineCall } from '../engine.js';
import type { SafeFetch, SafeFetchRequest, SafeFetchResponse } from '../../lib/safe-fetch.js';
import { withTraceHeaders } from '../../lib/tracing.js';
import { SafeFetchError } from '../../lib/url-guard.js';

export type UpstreamRequest = SafeFetchRequest & { signal: AbortSignal; requestId?: string | undefined };

/** What an upstream call takes from the engine call it serves. */
export type UpstreamCall = Pick<EngineCall, 'signal' | 'requestId'>;

function transportError(label: string, error: unknown, signal: AbortSignal): AppError {
  if (signal.aborted) return canceled(error);
  if (!(error instanceof SafeFetchError)) return new AppError('engine_failed', `${label}: ${String(error)}`, { cause: error });
  const options = { cause: error };
  switch (error.reason) {
    case 'timeout':
      return new AppError('engine_timeout', `${label} did not answer in time (${error.message})`, options);
    case 'network':
      return new AppError('engine_unavailable', `${label} is unreachable (${error.message})`, options);
    // The upstream's address comes from the config: no retry will make it acceptable.
    case 'blocked_address':
    case 'bad_url':
    case 'bad_scheme':
      return new AppError('engine_unavailable', `${label} cannot be called: ${error.message}`, { ...options, retryable: false });
    case 'aborted':
      return canceled(error);
    case 'too_large':
    case 'too_many_redirects':
    case 'bad_status':
      return new AppError('engine_failed', `${label}: ${error.message}`, options);
  }
}

export async function upstreamFetch(fetch: SafeFetch, label: string, url: string, request: UpstreamRequest): Promise<SafeFetchResponse> {
  throwIfAborted(request.signal);
  const { requestId, ...rest } = request;
  // The client's request id travels on, so an upstream's logs can be matched with ours.
  // And the trace context (W3C traceparent) when tracing is on.
  const headers = withTraceHeaders({ ...rest.headers, ...(requestId === undefined ? {} : { 'x-request-id': requestId }) });
  const sent = { ...rest, headers };
  try {
    return await fetch(url, sent);
  } catch (error) {
    throw transportError(label, error, request.signal);
  }
}

/** The body as JSON, or undefined when it is not JSON. */
export function readJson(response: SafeFetchResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Parses an answer that must have a shape; anything else is the upstream's failure. */
export function parseAnswer<T>(label: string, value: unknown, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new AppError('engine_failed', `${label} answered with an unexpected body (${issue?.message ?? 'not JSON'}${where}).`);
}

/** Seconds from a Retry-After header (a number or an HTTP date), if any. */
export function retryAfterSeconds(headers: IncomingHttpHeaders, now: number = Date.now()): number | undefined {
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** A short, single-line excerpt of a non-JSON body for error messages. */
export function excerpt(body: Buffer, max = 120): string {
  const text = body.toString('utf8', 0, Math.min(body.length, max * 4)).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
