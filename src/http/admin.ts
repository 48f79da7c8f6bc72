/**
 * The admin API (DESIGN.md §2.2), behind `Authorization: Bearer $QIG_ADMIN_TOKEN`. Without a
 * token configured the admin API does not exist (404). Amounts are decimal strings.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { zodToAppError } from '../dialects/zod-errors.js';
import { guardAdmin } from './admin-guard.js';
import type { AccountService } from '../services/accounts.js';
import { usageQuerySchema, usageFilter } from './usage-query.js';

const amount = z.string({ error: 'must be a decimal amount as a string, like "10.00"' });

export const createKeySchema = z
  .object({
    name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(200),
    balance: amount.nullable().optional(),
    rateLimitPerMinute: z.number().int().min(1).nullable().optional(),
    maxInFlight: z.number().int().min(1).nullable().optional(),
    models: z.array(z.string()).min(1).nullable().optional(),
    expiresAt: z.iso.datetime({ error: 'must be an ISO 8601 date-time' }).nullable().optional(),
  })
  .strict();

export const creditSchema = z.object({ amount }).strict();


export async function adminRoutes(app: FastifyInstance, deps: { adminToken: string; accounts: AccountService }): Promise<void> {
  guardAdmin(app, deps.adminToken);
  const { accounts } = deps;

  app.post('/admin/v1/keys', async (request, reply) => {
    const parsed = createKeySchema.safeParse(request.body ?? {});
    if (!parsed.success) throw zodToAppError(parsed.error);
    const body = parsed.data;
    const created = await accounts.create({
      name: body.name,
      balance: body.balance,
      rateLimitPerMinute: body.rateLimitPerMinute,
      maxInFlight: body.maxInFlight,
      models: body.models,
      expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
    });
    return reply.code(201).send(created);
  });

  app.get('/admin/v1/keys', async () => ({ data: await accounts.list() }));

  app.post<{ Params: { id: string } }>('/admin/v1/keys/:id/credit', async (request) => {
    const parsed = creditSchema.safeParse(request.body ?? {});
    if (!parsed.success) throw zodToAppError(parsed.error);
    return accounts.credit(request.params.id, parsed.data.amount);
  });

  app.delete<{ Params: { id: string } }>('/admin/v1/keys/:id', async (request) => accounts.revoke(request.params.id));

  app.get('/admin/v1/usage', async (request) => {
    const parsed = usageQuerySchema.safeParse(request.query);
    if (!parsed.success) throw zodToAppError(parsed.error);
    return accounts.billing.usage(usageFilter(parsed.data, parsed.data.keyId));
  });
}
