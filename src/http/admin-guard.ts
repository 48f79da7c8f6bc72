/** What every admin plugin shares: the bearer-token check and the error shape. */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';
import { errorHandler, renderPlainError } from '../dialects/errors.js';
import { bearerCheck } from './bearer.js';

/** Requires `Authorization: Bearer <QIG_ADMIN_TOKEN>` and renders errors as `{error: {code, message, field}}`. */
export function guardAdmin(app: FastifyInstance, adminToken: string): void {
  const authorized = bearerCheck(adminToken);
  app.setErrorHandler(errorHandler(renderPlainError));
  app.addHook('onRequest', async (request) => {
    if (!authorized(request.headers.authorization)) {
      throw new AppError('unauthorized', 'The admin API needs "Authorization: Bearer <QIG_ADMIN_TOKEN>".');
    }
  });
}
