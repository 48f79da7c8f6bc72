/**
 * What is recorded of every answered request: one log line with its id, method, route template
 * (never the URL, whose query may carry a signature), status, time, dialect, the key's id (never
 * the key) and, when the services noted them, the model and the task — at info, a 503 at warn and
 * other 5xx at error; and, when tracing is on, its server span with the same facts.
 */
import { SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestNotes } from '../lib/request-notes.js';
import { startRequestSpan, tracingEnabled } from '../lib/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request was about, as the services noted it (lib/request-notes.ts); set on arrival. */
    notes: RequestNotes | null;
    /** The request's span and its context, when tracing is on. */
    trace: { span: Span; context: Context } | null;
  }
}

/** The API form a route belongs to, from its template (a task's own origin is more precise). */
const DIALECTS: ReadonlyArray<[prefix: string, dialect: string]> = [
  ['/api/v1/', 'dashscope'],
  ['/aliyun/', 'dashscope'],
  ['/v1/images/', 'openai'],
  ['/v1/queue/', 'seaart'],
  ['/fal', 'fal'],
  ['/admin/v1/', 'admin'],
  ['/v1/', 'account'],
  ['/files/', 'files'],
];

function dialectOf(route: string | undefined): string {
  if (route === undefined) return 'unmatched';
  return DIALECTS.find(([prefix]) => route.startsWith(prefix))?.[1] ?? 'server';
}

/**
 * Logs the answered request. `route` (null: none matched) and `elapsedMs` are read from the
 * request when not given; the onResponse hook reads them once for this line and the metrics
 * (`request.routeOptions` builds an object on each read).
 */
export function logRequest(request: FastifyRequest, reply: FastifyReply, route: string | null = request.routeOptions.url ?? null, elapsedMs = reply.elapsedTime): void {
  const notes = request.notes ?? {};
  // The optional fields are added in place (the same order as ever), without spreading objects.
  const line: Record<string, string | number | null> = {
    reqId: request.id,
    method: request.method,
    route,
    status: reply.statusCode,
    ms: Math.round(elapsedMs),
    dialect: notes.origin ?? dialectOf(route ?? undefined),
  };
  if (request.principal) line.keyId = request.principal.keyId;
  if (notes.model !== undefined) line.model = notes.model;
  if (notes.taskId !== undefined) line.taskId = notes.taskId;
  // A 503 is the server refusing for now (its limits, or its database or storage away): a
  // warning; any other 5xx is an error.
  if (reply.statusCode === 503) request.log.warn(line, 'request');
  else if (reply.statusCode >= 500) request.log.error(line, 'request');
  else request.log.info(line, 'request');
}

/** Starts the request's server span (null when tracing is off). */
export function startRequestTrace(request: FastifyRequest): { span: Span; context: Context } | null {
  if (!tracingEnabled()) return null;
  const route = request.routeOptions.url;
  return startRequestSpan(`${request.method} ${route ?? 'unmatched'}`, request.headers, {
    'http.request.method': request.method,
    ...(route === undefined ? {} : { 'http.route': route }),
    'qig.request_id': request.id,
  });
}

export function endRequestTrace(request: FastifyRequest, reply: FastifyReply): void {
  if (!request.trace) return;
  const { span } = request.trace;
  const notes = request.notes ?? {};
  span.setAttributes({
    'http.response.status_code': reply.statusCode,
    ...(request.principal ? { 'qig.key_id': request.principal.keyId } : {}),
    ...(notes.model === undefined ? {} : { 'qig.model': notes.model }),
    ...(notes.taskId === undefined ? {} : { 'qig.task_id': notes.taskId }),
  });
  if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
