/**
 * The admin API (DESIGN.md §2.2), behind `Authorization: Bearer $QIG_ADMIN_TOKEN`. Without a
 * token configured the admin API does not exist (404).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, toAppError } from '../domain/errors.js';
import { findModel } from '../domain/models.js';
import { credentialFrom, type KeyService } from '../services/keys.js';
import type { ApiKeyRecord } from '../store/key-store.js';
import { fastifyErrorToAppError } from '../dialects/fastify-errors.js';

const createKeySchema = z
  .object({
    name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(200),
    rateLimitPerMinute: z.number().int().min(1).nullable().optional(),
    maxInFlight: z.number().int().min(1).nullable().optional(),
    models: z.array(z.string()).min(1).nullable().optional(),
    expiresAt: z.string().datetime({ error: 'must be an ISO 8601 date-time' }).nullable().optional(),
  })
  .strict();

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function publicKey(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.keyPrefix,
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
    expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    rateLimitPerMinute: key.rateLimitPerMinute,
    maxInFlight: key.maxInFlight,
    models: key.models,
    balance: null,
  };
}

export async function adminRoutes(app: FastifyInstance, deps: { adminToken: string; keys: KeyService }): Promise<void> {
  const expected = digest(deps.adminToken);
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

  app.post('/admin/v1/keys', async (request, reply) => {
    const parsed = createKeySchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'body';
      throw new AppError('invalid_parameter', `${field}: ${issue?.message ?? 'is invalid'}.`, { field });
    }
    const body = parsed.data;
    for (const model of body.models ?? []) {
      if (!findModel(model)) throw new AppError('invalid_parameter', `models: unknown model ${model}.`, { field: 'models' });
    }
    const { record, secret } = await deps.keys.create({
      name: body.name,
      rateLimitPerMinute: body.rateLimitPerMinute,
      maxInFlight: body.maxInFlight,
      models: body.models,
      expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
    });
    return reply.code(201).send({ ...publicKey(record), key: secret });
  });

  app.get('/admin/v1/keys', async () => ({ data: (await deps.keys.list()).map(publicKey) }));

  app.delete<{ Params: { id: string } }>('/admin/v1/keys/:id', async (request) => {
    const key = await deps.keys.get(request.params.id);
    if (!key) throw new AppError('not_found', `No key with id ${request.params.id}.`);
    await deps.keys.revoke(key.id);
    return publicKey((await deps.keys.get(key.id)) ?? key);
  });
}
