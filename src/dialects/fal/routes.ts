/**
 * The fal dialect (DESIGN.md §2.2): the queue under /fal (`POST /fal/{owner}/{app}[/{sub}]`,
 * `…/requests/{id}[/status[/stream]|/cancel]`), the synchronous form under /fal-run, and /fal/proxy, which serves what
 * `@fal-ai/client` sends with `proxyUrl: { url, when: 'always' }`: the original fal URL arrives
 * in `x-fal-target-url` and is answered by the same handlers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clip } from '../../domain/bounded-text.js';
import { AppError } from '../../domain/errors.js';
import { authHook, type DialectContext } from '../context.js';
import { errorHandler } from '../errors.js';
import { parseFalPath } from './endpoints.js';
import { falHandlers, type FalTarget } from './handlers.js';
import { renderFalError } from './render.js';

const METHODS = ['GET', 'POST', 'PUT'];

/** Where a proxied call was going: fal's queue, its sync host, or its storage API. */
export function proxyTarget(value: string | undefined): FalTarget | 'storage' {
  const field = 'x-fal-target-url';
  if (!value) throw new AppError('invalid_parameter', `${field}: the header is required on /fal/proxy (fal-js sends it with proxyUrl).`, { field });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('invalid_parameter', `${field}: not a valid URL.`, { field });
  }
  if (url.hostname === 'rest.fal.ai' && url.pathname.startsWith('/storage/')) return 'storage';
  const sync = url.hostname === 'fal.run';
  if (!sync && url.hostname !== 'queue.fal.run') {
    throw new AppError('invalid_parameter', `${field}: this proxy serves https://queue.fal.run/… and https://fal.run/… only (got ${clip(url.host, 100)}).`, { field });
  }
  const operation = parseFalPath(url.pathname);
  if (!operation || (sync && operation.kind !== 'submit')) throw new AppError('not_found', `${field}: ${clip(url.pathname, 120)} is not a fal queue path.`, { field });
  return { operation, query: url.searchParams, sync };
}

export async function falRoutes(app: FastifyInstance, context: DialectContext): Promise<void> {
  app.setErrorHandler(errorHandler(renderFalError));
  app.addHook('onRequest', authHook(context, ['Key', 'Bearer']));

  const { dispatch } = falHandlers(context);
  const bodyLimit = context.maxJsonBodyBytes;

  app.route<{ Params: { '*': string } }>({
    method: METHODS,
    url: '/fal/*',
    bodyLimit,
    handler: (request, reply) => {
      const operation = parseFalPath(request.params['*']);
      if (!operation) throw new AppError('not_found', `No fal route ${request.method} ${clip(request.url.split('?')[0] as string, 120)}.`);
      return dispatch(request, reply, { operation, query: new URL(request.url, 'http://local').searchParams, sync: false });
    },
  });

  // fal's synchronous host (`fal.run/{owner}/{app}`, beside `queue.fal.run`): one POST answered
  // with the result, for clients given a base URL (`createFal({ baseURL: …/fal-run })`).
  app.post<{ Params: { '*': string } }>('/fal-run/*', { bodyLimit }, (request, reply) => {
    const operation = parseFalPath(request.params['*']);
    if (operation?.kind !== 'submit') throw new AppError('not_found', `No fal app at ${clip(request.url.split('?')[0] as string, 120)}; POST /fal-run/{owner}/{app}.`);
    return dispatch(request, reply, { operation, query: new URL(request.url, 'http://local').searchParams, sync: true });
  });

  app.route({
    method: METHODS,
    url: '/fal/proxy',
    bodyLimit,
    handler: (request: FastifyRequest, reply: FastifyReply) => {
      const value = request.headers['x-fal-target-url'];
      const target = proxyTarget(Array.isArray(value) ? value[0] : value);
      if (target === 'storage') {
        throw new AppError(
          'unsupported_operation',
          'File uploads to fal storage are not supported by this server: pass images as http(s) URLs or data URIs (data:image/png;base64,…) in image_urls instead of Blob or File objects.',
          { field: 'x-fal-target-url' },
        );
      }
      return dispatch(request, reply, target);
    },
  });
}
