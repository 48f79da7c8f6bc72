/** What every admin plugin shares: the bearer-token check and the error shape. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';
import { errorHandler, renderPlainError } from '../dialects/errors.js';
import { credentialFrom } from '../services/keys.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Requires `Authorization: Bearer <QIG_ADMIN_TOKEN>` and renders errors as `{error: {code, message, field}}`. */
export function guardAdmin(app: FastifyInstance, adminToken: string): void {
  const expected = digest(adminToken);
  app.setErrorHandler(errorHandler(renderPlainError));
  app.addHook('onRequest', async (request) => {
    const token = credentialFrom(request.headers.authorization, ['Bearer']);
    if (token === null || !timingSafeEqual(digest(token), expected)) {
      throw new AppError('unauthorized', 'The admin API needs "Authorization: Bearer <QIG_ADMIN_TOKEN>".');
    }
  });
}
