/** What every admin plugin shares: the bearer-token check and the error shape. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError, toAppError } from '../domain/errors.js';
import { fastifyErrorToAppError } from '../dialects/fastify-errors.js';
import { credentialFrom } from '../services/keys.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Requires `Authorization: Bearer <QIG_ADMIN_TOKEN>` and renders errors as `{error: {code, message, field}}`. */
export function guardAdmin(app: FastifyInstance, adminToken: string): void {
  const expected = digest(adminToken);
  app.setErrorHandler((thrown, request, reply) => {
    const error = fastifyErrorToAppError(thrown) ?? toAppError(thrown);
    if (error.kind === 'internal') request.log.error({ reqId: request.id, err: thrown }, 'unhandled admin error');
    return reply.code(error.status).send({ error: { code: error.kind, message: error.message, field: error.field ?? null } });
  });
  app.addHook('onRequest', async (request) => {
    const token = credentialFrom(request.headers.authorization, ['Bearer']);
    if (token === null || !timingSafeEqual(digest(token), expected)) {
      throw new AppError('unauthorized', 'The admin API needs "Authorization: Bearer <QIG_ADMIN_TOKEN>".');
    }
  });
}
