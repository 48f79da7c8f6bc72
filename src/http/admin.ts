/**
 * The admin API (DESIGN.md §2.2), behind `Authorization: Bearer $QIG_ADMIN_TOKEN`. Without a
 * token configured the admin API does not exist (404). Amounts are decimal strings.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { zodToAppError } from '../dialects/zod-errors.js';
import { guardAdmin } from './admin-guard.js';
import type { AccountService } from '../services/accounts.js';
import { budgetOf, budgetInput } from './limits-input.js';
import { usageQuerySchema, usageFilter } from './usage-query.js';

const amount = z.string({ error: 'must be a decimal amount as a string, like "10.00"' });

export const createKeySchema = z
  .object({
    name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(200),
    userId: z.string({ error: 'must be a user id (usr_…)' }).min(1, 'must not be empty').max(200).optional().describe('An existing user the key joins (it draws on their balance and narrows their limits); absent: a user of its own is made with the key.'),
    balance: amount.nullable().optional().describe('An opening balance for a key with a user of its own (refused with userId: credit the user instead); absent or null: unlimited.'),
    rateLimitPerMinute: z.number().int().min(1).nullable().optional(),
    maxInFlight: z.number().int().min(1).nullable().optional(),
    models: z.array(z.string()).min(1).nullable().optional(),
    expiresAt: z.iso.datetime({ error: 'must be an ISO 8601 date-time' }).nullable().optional(),
    budget: budgetInput.nullable().optional().describe('A spend budget per day or month for this key; null for none.'),
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
      userId: body.userId,
      name: body.name,
      balance: body.balance,
      rateLimitPerMinute: body.rateLimitPerMinute,
      maxInFlight: body.maxInFlight,
      models: body.models,
      budget: budgetOf(body.budget, accounts.billing),
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
    return accounts.billing.usage(usageFilter(parsed.data, parsed.data.keyId, parsed.data.userId));
  });
}
