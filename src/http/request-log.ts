/**
 * One log line per answered request: its id, method, route template (never the URL, whose query
 * may carry a signature), status, time, dialect, the key's id (never the key) and, when the
 * services noted them, the model and the task. 5xx answers log as errors, the rest as info.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestNotes } from '../lib/request-notes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request was about, as the services noted it (lib/request-notes.ts); set on arrival. */
    notes: RequestNotes | null;
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

export function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const route = request.routeOptions.url;
  const notes = request.notes ?? {};
  const line = {
    reqId: request.id,
    method: request.method,
    route: route ?? null,
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime),
    dialect: notes.origin ?? dialectOf(route),
    ...(request.principal ? { keyId: request.principal.keyId } : {}),
    ...(notes.model === undefined ? {} : { model: notes.model }),
    ...(notes.taskId === undefined ? {} : { taskId: notes.taskId }),
  };
  if (reply.statusCode >= 500) request.log.error(line, 'request');
  else request.log.info(line, 'request');
}
