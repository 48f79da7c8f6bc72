/**
 * Answers for requests that no route takes, in the dialect of their path: 404, or 405 with
 * `Allow` when the path exists under other methods; fastify's own URL errors (bad
 * percent-encoding, an over-long path segment), which it raises before routing; and requests
 * Node's HTTP parser refuses before there is a request at all (those in the plain shape).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/**
 * Fastify's `clientErrorHandler` option: Node's parser refused the request (headers over 16 KB
 * → 431, headers too slow → 408, anything not HTTP/1.1 → 400). Written on the socket, which closes.
 */
export function clientErrorAnswer(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'payload_too_large', 'The request headers are larger than the server accepts (16 KB).']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request headers did not arrive in time.']
        : [400, 'invalid_parameter', `The request is not valid HTTP/1.1 (${error.code ?? 'malformed'}).`];
  const body = JSON.stringify({ error: { code, message, field: null }, request_id: randomUUID() });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
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
 * Registers the 404/405 answer, and the error handler of everything no plugin renders itself;
 * call before any route is added, so every route is seen. The returned function gives the error
 * of a request no route takes (setting `Allow` on a 405), for the onRequest hook to answer before
 * any of its body is read.
 */
export function answerUnmatched(app: FastifyInstance): (request: FastifyRequest, reply: FastifyReply) => AppError {
  app.setErrorHandler((thrown, request, reply) => sendError(errorRendererForPath(pathOf(request.url)), thrown, request, reply));
  const routes = new RouteMap();
  app.addHook('onRoute', (route) => routes.add(route));
  const unmatched = (request: FastifyRequest, reply: FastifyReply): AppError => {
    const path = pathOf(request.url);
    const allowed = routes.allowed(path);
    if (allowed.length === 0) return new AppError('not_found', `No route ${request.method} ${quoted(path)}.`);
    reply.header('allow', allowed.join(', '));
    return new AppError('method_not_allowed', `${request.method} is not allowed on ${quoted(path)}; use ${allowed.join(', ')}.`);
  };
  app.setNotFoundHandler((request, reply) => answer(request, reply, unmatched(request, reply)));
  return unmatched;
}
