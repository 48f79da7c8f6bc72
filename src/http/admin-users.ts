/**
 * The admin API for customers (behind the admin token): users with their keys and balances,
 * price groups, and batches of top-up codes. Per-user usage is GET /admin/v1/margins?groupBy=user
 * (JSON or CSV).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseOrThrow } from '../dialects/zod-errors.js';
import { present } from '../lib/present.js';
import { multiplierPpm } from '../domain/users.js';
import type { AccountService } from '../services/accounts.js';
import type { BillingService } from '../services/billing.js';
import { describeBatch, MAX_BATCH_CODES, type RedemptionService } from '../services/redemption.js';
import { describeGroup, describeOwnKey, describeUser, type UserService } from '../services/users.js';
import { ledgerQuery, ownKeyPatch } from './account.js';
import { guardAdmin } from './admin-guard.js';
import { csvText } from './csv.js';
import { amountText, budgetOf, limitsInput, newKeyOptions, ownKeyInput } from './limits-input.js';

const name = z.string({ error: 'is required' }).min(1, 'must not be empty').max(200);
const groupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1 to 64 letters, digits, _, . or -, starting with a letter or digit');
const multiplier = z.union([z.string(), z.number()], { error: 'must be a decimal multiplier like "0.8"' });
const instant = z.iso.datetime({ error: 'must be an ISO 8601 date-time' });

export const userInput = z
  .object({ name, email: z.string().max(320).nullable().optional(), group: groupName.optional(), balance: amountText.nullable().optional().describe('An opening balance (absent: 0.00, so the user tops up before spending); null: an unlimited user.'), ...limitsInput })
  .strict();
export const userPatch = z
  .object({ name: name.optional(), email: z.string().max(320).nullable().optional(), group: groupName.optional(), disabled: z.boolean().optional().describe('true refuses every key of the user.'), ...limitsInput })
  .strict();
export const userQuery = z
  .object({
    search: z.string().max(200).optional().describe('Part of the id, name or email.'),
    group: groupName.optional(),
    limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).optional(),
    offset: z.coerce.number({ error: 'must be a number' }).int().min(0).optional(),
  })
  .strict();
export const groupInput = z
  .object({
    description: z.string().max(500).optional(),
    multiplier: multiplier.describe('The price multiplier of every model, like "0.8".'),
    overrides: z.record(z.string().min(1).max(200), multiplier).refine((o) => Object.keys(o).length <= 200, 'at most 200 overrides').optional().describe('Model id or family → multiplier, over the group\'s.'),
  })
  .strict();
export const batchInput = z
  .object({
    name,
    amount: amountText.describe('What each code adds to a balance, like "50.00".'),
    count: z.number({ error: 'must be a whole number' }).int().min(1).max(MAX_BATCH_CODES),
    expiresAt: instant.nullable().optional(),
  })
  .strict();
export const pageQuery = z
  .object({ limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).optional(), offset: z.coerce.number({ error: 'must be a number' }).int().min(0).optional(), format: z.enum(['json', 'csv']).optional() })
  .strict();
export const creditInput = z.object({ amount: amountText }).strict();

export interface AdminUserDeps {
  adminToken: string;
  users: UserService;
  accounts: AccountService;
  billing: BillingService;
  redemptions: RedemptionService;
}

type Id = { Params: { id: string } };

export async function adminUserRoutes(app: FastifyInstance, deps: AdminUserDeps): Promise<void> {
  guardAdmin(app, deps.adminToken);
  const { users, billing, redemptions } = deps;
  const wantsCsv = (format: string | undefined, accept: string | undefined) => format === 'csv' || (format === undefined && /\btext\/csv\b/.test(accept ?? ''));

  app.get('/admin/v1/users', async (request) => {
    const query = parseOrThrow(userQuery, request.query);
    const { users: found, total } = await users.list({ search: query.search, group: query.group, limit: query.limit ?? 50, offset: query.offset ?? 0 });
    return { data: found.map(describeUser), total };
  });

  app.post('/admin/v1/users', async (request, reply) => {
    const body = parseOrThrow(userInput, request.body ?? {});
    const user = await users.create({
      name: body.name,
      email: body.email,
      group: body.group,
      // A customer pays unless the operator says otherwise: no balance given is 0.00; null is unlimited.
      balance: body.balance === undefined ? '0' : body.balance,
      limits: present({ rateLimitPerMinute: body.rateLimitPerMinute, maxInFlight: body.maxInFlight, models: body.models, budget: budgetOf(body.budget, billing) }),
    });
    return reply.code(201).send(describeUser(user));
  });

  app.get<Id>('/admin/v1/users/:id', async (request) => {
    const user = await users.require(request.params.id);
    const [{ held }, keys] = await Promise.all([billing.balance({ userId: user.id }), users.keysOf(user.id)]);
    return { ...describeUser(user), held, keys: keys.map(describeOwnKey) };
  });

  app.patch<Id>('/admin/v1/users/:id', async (request) => {
    const body = parseOrThrow(userPatch, request.body ?? {});
    return describeUser(await users.update(request.params.id, present({ ...body, budget: budgetOf(body.budget, billing) })));
  });

  app.get<Id>('/admin/v1/users/:id/ledger', async (request) => {
    const query = parseOrThrow(ledgerQuery, request.query);
    await users.require(request.params.id);
    return billing.ledger(request.params.id, query.limit ?? 50, query.offset ?? 0);
  });

  app.patch<Id>('/admin/v1/keys/:id', async (request) => {
    const body = parseOrThrow(ownKeyPatch, request.body ?? {});
    return describeOwnKey(await users.updateKey(request.params.id, present({ ...body, budget: budgetOf(body.budget, billing) })));
  });

  app.post<Id>('/admin/v1/users/:id/credit', async (request) => {
    const { amount } = parseOrThrow(creditInput, request.body ?? {});
    await users.require(request.params.id);
    return { id: request.params.id, balance: await billing.credit({ userId: request.params.id }, amount, 'credit') };
  });

  app.post<Id>('/admin/v1/users/:id/keys', async (request, reply) => {
    const body = parseOrThrow(ownKeyInput, request.body ?? {});
    const created = await deps.accounts.create({ ...newKeyOptions(body, billing), userId: request.params.id });
    return reply.code(201).send(created);
  });

  app.get('/admin/v1/groups', async () => ({ data: (await users.listGroups()).map(describeGroup) }));

  app.put<{ Params: { name: string } }>('/admin/v1/groups/:name', async (request) => {
    const groupNameParsed = parseOrThrow(groupName, request.params.name);
    const body = parseOrThrow(groupInput, request.body ?? {});
    const overrides = Object.fromEntries(Object.entries(body.overrides ?? {}).map(([model, value]) => [model, multiplierPpm(value, `overrides.${model}`)]));
    return describeGroup(await users.putGroup({ name: groupNameParsed, description: body.description ?? '', multiplierPpm: multiplierPpm(body.multiplier, 'multiplier'), overrides }));
  });

  app.delete<{ Params: { name: string } }>('/admin/v1/groups/:name', async (request, reply) => {
    await users.deleteGroup(request.params.name);
    return reply.code(204).send();
  });

  app.post('/admin/v1/codes', async (request, reply) => {
    const body = parseOrThrow(batchInput, request.body ?? {});
    const { batch, codes } = await redemptions.createBatch({ name: body.name, amount: body.amount, count: body.count, expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null });
    if (wantsCsv(undefined, request.headers.accept)) {
      const rows = codes.map((code) => [code, describeBatch(batch).amount, batch.id, describeBatch(batch).expiresAt ?? '']);
      return reply.code(201).type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="codes-${batch.id}.csv"`).send(csvText(['code', 'amount', 'batchId', 'expiresAt'], rows));
    }
    return reply.code(201).send({ ...describeBatch(batch), currency: billing.currency, codes });
  });

  app.get('/admin/v1/codes', async (request) => {
    const query = parseOrThrow(pageQuery.omit({ format: true }), request.query);
    const { batches, total } = await redemptions.listBatches(query.limit ?? 50, query.offset ?? 0);
    return { data: batches.map(describeBatch), total };
  });

  app.get<Id>('/admin/v1/codes/:id', async (request, reply) => {
    const query = parseOrThrow(pageQuery.pick({ format: true }), request.query);
    const [batch, codes] = await Promise.all([redemptions.batch(request.params.id), redemptions.codes(request.params.id)]);
    const described = codes.map((c) => ({ prefix: c.prefix, redeemedAt: c.redeemedAt === null ? null : new Date(c.redeemedAt).toISOString(), userId: c.userId, keyId: c.keyId }));
    if (wantsCsv(query.format, request.headers.accept)) {
      const rows = described.map((c) => [c.prefix, c.redeemedAt ?? '', c.userId ?? '', c.keyId ?? '']);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="redemptions-${batch.id}.csv"`).send(csvText(['codePrefix', 'redeemedAt', 'userId', 'keyId'], rows));
    }
    return { ...describeBatch(batch), codes: described };
  });

  app.delete<Id>('/admin/v1/codes/:id', async (request) => describeBatch(await redemptions.revokeBatch(request.params.id)));

}
