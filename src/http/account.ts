/** A key reads its own balance and usage: GET /v1/balance, GET /v1/usage (Bearer key). */
import type { FastifyInstance } from 'fastify';
import { authHook, principalOf, type DialectContext } from '../dialects/context.js';
import { errorHandler } from '../dialects/errors.js';
import { renderOpenAiError } from '../dialects/openai/render.js';
import { zodToAppError } from '../dialects/zod-errors.js';
import type { BillingService } from '../services/billing.js';
import { usageFilter, usageQuerySchema } from './usage-query.js';

export async function accountRoutes(app: FastifyInstance, deps: { dialect: DialectContext; billing: BillingService }): Promise<void> {
  app.setErrorHandler(errorHandler(renderOpenAiError));
  app.addHook('onRequest', authHook(deps.dialect));

  app.get('/v1/balance', async (request) => {
    const principal = principalOf(request);
    return { keyId: principal.keyId, name: principal.name, ...(await deps.billing.balance(principal.keyId)) };
  });

  app.get('/v1/usage', async (request) => {
    const parsed = usageQuerySchema.omit({ keyId: true }).safeParse(request.query);
    if (!parsed.success) throw zodToAppError(parsed.error);
    return deps.billing.usage(usageFilter(parsed.data, principalOf(request).keyId));
  });
}
