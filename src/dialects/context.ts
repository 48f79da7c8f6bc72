/**
 * What a dialect may use: the services that decide, never a store or an engine. Dialects
 * translate wire formats to these calls and the results back.
 */
import type { FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import { AppError } from '../domain/errors.js';
import type { TaskRecord } from '../domain/task.js';
import type { AuthScheme, KeyService, Principal } from '../services/keys.js';
import type { QueueRequestService } from '../services/queue-requests.js';
import type { TaskService } from '../services/tasks.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request authenticated with (set by a dialect's auth hook). */
    principal: Principal | null;
    /** An authentication failure kept until the body is read (see `authBeforeLargeBody`). */
    authFailure: Error | null;
  }
}

export interface DialectContext {
  tasks: TaskService;
  keys: KeyService;
  /** Submits of the queue dialects (fal, SeaArt): their options, webhooks, status events. */
  queueRequests: QueueRequestService;
  /** Signed, expiring URLs of a task's outputs, in order. */
  outputUrls(task: TaskRecord): string[];
  /** Changes when output URLs are signed anew (about hourly): answers rendered before carry old ones. */
  outputUrlEpoch(): number;
  /** The bytes of a task's outputs, in order (for base64 answers). */
  outputBytes(task: TaskRecord): Promise<Buffer[]>;
  /** How long sync routes wait for a task before answering with a timeout. */
  syncWaitMs: number;
  /** Largest JSON body accepted on submit routes. */
  maxJsonBodyBytes: number;
  /** Base of the absolute URLs we hand out (queue status URLs and the like). */
  publicUrl(): string;
  /** The currency prices and amounts are in (`prices.currency`). */
  currency: string;
}

/**
 * Authenticates the request. As an onRequest hook it runs before the body is read, so a bad key
 * never costs a large upload; as a preHandler it runs after, when the body decides the error shape.
 */
export function authHook(context: DialectContext, schemes?: readonly AuthScheme[]): onRequestHookHandler & preHandlerHookHandler {
  return (request, _reply, done) => {
    let result: Principal | Promise<Principal>;
    try {
      result = context.keys.authenticate(request.headers.authorization, schemes);
    } catch (error) {
      return done(error as Error);
    }
    if (!(result instanceof Promise)) {
      request.principal = result;
      return done();
    }
    result.then(
      (principal) => {
        request.principal = principal;
        done();
      },
      (error: Error) => done(error),
    );
  };
}

/** How much body a request that failed authentication may still send (to choose its error's shape). */
const UNAUTHENTICATED_BODY_BYTES = 64 * 1024;

/**
 * For a route whose error shape depends on its body: authenticates before the body is read, but
 * a failure with a small declared body is kept for the preHandler (which runs once the body is
 * parsed); with a large or chunked body it is answered at once, so a bad key never costs an upload.
 */
export function authBeforeLargeBody(context: DialectContext): { onRequest: onRequestHookHandler; preHandler: preHandlerHookHandler } {
  const authenticate = authHook(context);
  return {
    onRequest: (request, reply, done) => {
      authenticate.call(request.server, request, reply, (error?: Error) => {
        if (error === undefined) return done();
        const length = Number(request.headers['content-length']);
        const small = request.headers['transfer-encoding'] === undefined && Number.isFinite(length) && length <= UNAUTHENTICATED_BODY_BYTES;
        if (!small) return done(error);
        request.authFailure = error;
        done();
      });
    },
    preHandler: (request, _reply, done) => done(request.authFailure ?? undefined),
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'No API key provided.');
  return request.principal;
}

/** The client's Idempotency-Key header, if any. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  return Array.isArray(value) ? value[0] : value;
}
