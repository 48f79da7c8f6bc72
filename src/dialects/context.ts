/**
 * What a dialect may use: the services that decide, never a store or an engine. Dialects
 * translate wire formats to these calls and the results back.
 */
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { AppError } from '../domain/errors.js';
import type { TaskRecord } from '../domain/task.js';
import type { AuthScheme, KeyService, Principal } from '../services/keys.js';
import type { TaskService } from '../services/tasks.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request authenticated with (set by a dialect's auth hook). */
    principal: Principal | null;
  }
}

export interface DialectContext {
  tasks: TaskService;
  keys: KeyService;
  /** Signed, expiring URLs of a task's outputs, in order. */
  outputUrls(task: TaskRecord): string[];
  /** How long sync routes wait for a task before answering with a timeout. */
  syncWaitMs: number;
  /** Largest JSON body accepted on submit routes. */
  maxJsonBodyBytes: number;
  /** Base of the absolute URLs we hand out (queue status URLs and the like). */
  publicUrl(): string;
}

/** Authenticates before the body is read, so a bad key never costs a large upload. */
export function authHook(context: DialectContext, schemes?: readonly AuthScheme[]): onRequestHookHandler {
  return async (request) => {
    request.principal = await context.keys.authenticate(request.headers.authorization, schemes);
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'No API key provided.');
  return request.principal;
}
