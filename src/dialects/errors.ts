/**
 * The error kit every route plugin shares: anything thrown (an AppError, fastify's own request
 * errors, a bug) becomes a catalog error, internal ones are logged, and the plugin's renderer
 * draws it in its wire shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toAppError, type AppError } from '../domain/errors.js';
import { fastifyErrorToAppError } from './fastify-errors.js';

export interface RenderedError {
  status: number;
  headers?: Readonly<Record<string, string>> | undefined;
  body: unknown;
}

/** Draws a catalog error in one dialect's shape; the request tells e.g. which body style was sent. */
export type ErrorRenderer = (error: AppError, request: FastifyRequest) => RenderedError;

/** A thrown value in catalog terms: fastify's own request errors mapped, anything else `internal`. */
export function catalogError(thrown: unknown): AppError {
  return fastifyErrorToAppError(thrown) ?? toAppError(thrown);
}

/**
 * Sends `thrown` rendered by `render`; internal errors are logged with their cause, the
 * infrastructure's failures (an operator's concern, not a bug) as warnings with its message.
 */
export function sendError(render: ErrorRenderer, thrown: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = catalogError(thrown);
  if (error.kind === 'internal') request.log.error({ reqId: request.id, err: thrown }, 'unhandled error');
  else if (error.kind === 'unavailable') request.log.warn({ reqId: request.id, cause: thrown instanceof Error ? thrown.message : String(thrown) }, error.message);
  const { status, headers, body } = render(error, request);
  if (headers) reply.headers(headers);
  return reply.code(status).send(body);
}

/** A fastify error handler for a plugin whose errors `render` draws. */
export function errorHandler(render: ErrorRenderer): (thrown: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (thrown, request, reply) => sendError(render, thrown, request, reply);
}

/** The admin API's shape and the fallback for paths of no dialect: `{error: {code, message}}`. */
export const renderPlainError: ErrorRenderer = (error, request) => ({
  status: error.status,
  headers: retryAfterHeader(error),
  body: plainErrorBody(error, request.id),
});

export function plainErrorBody(error: AppError, requestId: string) {
  return { error: { code: error.kind, message: error.message, field: error.field ?? null }, request_id: requestId };
}

export function retryAfterHeader(error: AppError): Record<string, string> | undefined {
  return error.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(Math.ceil(error.retryAfterSeconds)) };
}

