/**
 * Answers for requests that no route takes, in the dialect of their path: 404, or 405 with
 * `Allow` when the path exists under other methods; and fastify's own URL errors (bad
 * percent-encoding, an over-long path segment), which it raises before routing.
 */
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../domain/errors.js';
import { errorRendererForPath } from '../dialects/error-routing.js';
import { sendError } from '../dialects/errors.js';

const METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Paths quoted in messages are cut here: the rest of a long URL says nothing more. */
const QUOTED_PATH_CHARS = 120;

function pathOf(url: string): string {
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

function quoted(path: string): string {
  return path.length > QUOTED_PATH_CHARS ? `${path.slice(0, QUOTED_PATH_CHARS)}…` : path;
}

/** A second router holding only the registered paths, to tell a wrong method from a wrong path. */
class RouteMap {
  private readonly router = FindMyWay({ maxParamLength: Number.MAX_SAFE_INTEGER });

  add(route: RouteOptions): void {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m): m is HTTPMethod => METHODS.includes(m as HTTPMethod));
    if (methods.length > 0) this.router.on(methods, route.url, () => {});
  }

  allowed(path: string): string[] {
    return METHODS.filter((method) => this.router.find(method, path) !== null);
  }
}

function answer(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  reply.header('x-request-id', request.id);
  return sendError(errorRendererForPath(pathOf(request.url)), error, request, reply);
}

/** Fastify's `frameworkErrors` option: URL errors raised before routing, in the path's dialect. */
export function frameworkErrorAnswer(thrown: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = quoted(pathOf(request.raw.url ?? '/'));
  const error =
    thrown.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('invalid_parameter', `path: a segment of ${path} is too long to be an id here.`, { field: 'path' })
      : new AppError('invalid_parameter', `path: ${path} is not a valid URL path (bad percent-encoding).`, { field: 'path' });
  return answer(request, reply, error);
}

/**
 * Registers the 404/405 answer, and the error handler of everything no plugin renders itself
 * (a body refused on its way to a 404); call before any route is added, so every route is seen.
 */
export function answerUnmatched(app: FastifyInstance): void {
  app.setErrorHandler((thrown, request, reply) => sendError(errorRendererForPath(pathOf(request.url)), thrown, request, reply));
  const routes = new RouteMap();
  app.addHook('onRoute', (route) => routes.add(route));
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const allowed = routes.allowed(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return answer(request, reply, new AppError('method_not_allowed', `${request.method} is not allowed on ${quoted(path)}; use ${allowed.join(', ')}.`));
    }
    return answer(request, reply, new AppError('not_found', `No route ${request.method} ${quoted(path)}.`));
  });
}
