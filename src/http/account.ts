/**
 * A user's own account, signed in with any of their API keys (Bearer): balance and usage
 * (GET /v1/balance, GET /v1/usage, kept as they were), the account page's reads (GET /v1/account,
 * /v1/account/spend, /v1/account/tasks), their keys (/v1/account/keys), and top-up codes
 * (POST /v1/redeem). Errors in OpenAI's shape.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { authHook, principalOf, type DialectContext } from '../dialects/context.js';
import { errorHandler } from '../dialects/errors.js';
import { renderOpenAiError } from '../dialects/openai/render.js';
import { parseOrThrow, zodToAppError } from '../dialects/zod-errors.js';
import { present } from '../lib/present.js';
import { formatAmount } from '../domain/money.js';
import { formatMultiplier, isRestricted } from '../domain/users.js';
import type { TaskRecord } from '../domain/task.js';
import type { BillingService } from '../services/billing.js';
import type { RedemptionService } from '../services/redemption.js';
import { describeBudget, describeOwnKey, type UserService } from '../services/users.js';
import type { MarginFilter, MarginRow } from '../store/ports.js';
import { budgetOf, limitsInput, newKeyOptions, ownKeyInput } from './limits-input.js';
import { usageFilter, usageQuerySchema } from './usage-query.js';

const DAY_MS = 86_400_000;
const name = z.string({ error: 'is required' }).min(1, 'must not be empty').max(200);

export const ownKeyPatch = z.object({ name: name.optional(), ...limitsInput }).strict();
export const redeemInput = z.object({ code: z.string({ error: 'is required' }).min(1, 'must not be empty').max(100) }).strict();
export const spendQuery = z.object({ days: z.coerce.number({ error: 'must be a number' }).int().min(1).max(366).optional().describe('Days back from today, UTC (default 30).') }).strict();
export const ledgerQuery = z
  .object({
    limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).optional().describe('Rows, newest first (default 50).'),
    offset: z.coerce.number({ error: 'must be a number' }).int().min(0).max(10_000_000).optional(),
  })
  .strict();
export const accountTasksQuery = z
  .object({
    limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(100).optional(),
    offset: z.coerce.number({ error: 'must be a number' }).int().min(0).max(100_000).optional(),
  })
  .strict();

export interface AccountDeps {
  dialect: DialectContext;
  billing: BillingService;
  users: UserService;
  redemptions: RedemptionService;
  margins: (filter: MarginFilter) => Promise<MarginRow[]>;
}

type Id = { Params: { id: string } };

/** A task as the account page lists it: what, when, how it ended, its images and its charge. */
function describeTask(task: TaskRecord, urls: readonly string[]) {
  return {
    id: task.id,
    keyId: task.keyId,
    model: task.model,
    status: task.status,
    prompt: task.spec.prompt.length > 200 ? `${task.spec.prompt.slice(0, 200)}…` : task.spec.prompt,
    images: urls,
    charged: task.billing.chargedMicros === null ? null : formatAmount(task.billing.chargedMicros),
    unitPrice: formatAmount(task.billing.unitPriceMicros),
    createdAt: new Date(task.createdAt).toISOString(),
    finishedAt: task.finishedAt === null ? null : new Date(task.finishedAt).toISOString(),
  };
}

export async function accountRoutes(app: FastifyInstance, deps: AccountDeps): Promise<void> {
  const { billing, users, redemptions } = deps;
  app.setErrorHandler(errorHandler(renderOpenAiError));
  app.addHook('onRequest', authHook(deps.dialect));

  app.get('/v1/balance', async (request) => {
    const principal = principalOf(request);
    return { keyId: principal.keyId, userId: principal.userId, name: principal.name, ...(await billing.balance({ userId: principal.userId })) };
  });

  app.get('/v1/usage', async (request) => {
    const parsed = usageQuerySchema.omit({ keyId: true, userId: true }).safeParse(request.query);
    if (!parsed.success) throw zodToAppError(parsed.error);
    return billing.usage(usageFilter(parsed.data, principalOf(request).keyId));
  });

  app.get('/v1/account', async (request) => {
    const principal = principalOf(request);
    const user = await users.require(principal.userId);
    const budgets = (await billing.budgetUse(principal)).map((use) => ({ owner: use.owner, ...describeBudget(use.budget), spent: formatAmount(use.spentMicros), resetsAt: new Date(use.resetAt).toISOString() }));
    const { balance, held, currency } = await billing.balance({ userId: user.id });
    const group = principal.group;
    return {
      user: { id: user.id, name: user.name, email: user.email, createdAt: new Date(user.createdAt).toISOString() },
      // A restricted key (limits or an expiry of its own) manages only itself: the page says so.
      key: { id: principal.keyId, name: principal.name, restricted: isRestricted({ ...principal.keyLimits, expiresAt: principal.keyExpiresAt }) },
      balance,
      held,
      currency,
      group: {
        name: group.name,
        multiplier: formatMultiplier(group.multiplierPpm),
        overrides: Object.fromEntries(Object.entries(group.overrides).map(([model, ppm]) => [model, formatMultiplier(ppm)])),
      },
      limits: { rateLimitPerMinute: user.limits.rateLimitPerMinute, maxInFlight: user.limits.maxInFlight, models: principal.models },
      budgets,
    };
  });

  app.get('/v1/account/spend', async (request) => {
    const principal = principalOf(request);
    const days = parseOrThrow(spendQuery, request.query).days ?? 30;
    const to = (Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS;
    const from = to - days * DAY_MS;
    const rows = await deps.margins({ from, to, userId: principal.userId, groupBy: ['day', 'model'], limit: days * 200 });
    const amount = rows.reduce((sum, row) => sum + row.revenueMicros, 0);
    return {
      currency: billing.currency,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      data: rows.map((row) => ({ day: row.day, model: row.model, tasks: row.tasks, images: row.images, amount: formatAmount(row.revenueMicros) })),
      totals: { tasks: rows.reduce((sum, row) => sum + row.tasks, 0), images: rows.reduce((sum, row) => sum + row.images, 0), amount: formatAmount(amount) },
    };
  });

  app.get('/v1/account/tasks', async (request) => {
    const principal = principalOf(request);
    const query = parseOrThrow(accountTasksQuery, request.query);
    const { tasks, total } = await deps.dialect.tasks.listForUser(principal.userId, query.limit ?? 20, query.offset ?? 0);
    return { data: tasks.map((task) => describeTask(task, task.status === 'succeeded' ? deps.dialect.outputUrls(task) : [])), total };
  });

  app.get('/v1/account/ledger', async (request) => {
    const query = parseOrThrow(ledgerQuery, request.query);
    return billing.ledger(principalOf(request).userId, query.limit ?? 50, query.offset ?? 0);
  });

  app.get('/v1/account/keys', async (request) => ({ data: (await users.keysOf(principalOf(request).userId)).map(describeOwnKey) }));

  app.post('/v1/account/keys', async (request, reply) => {
    const principal = principalOf(request);
    const body = parseOrThrow(ownKeyInput, request.body ?? {});
    const { record, secret } = await users.createKey(principal.userId, newKeyOptions(body, billing), principal);
    return reply.code(201).send({ ...describeOwnKey(record), key: secret });
  });

  app.patch<Id>('/v1/account/keys/:id', async (request) => {
    const principal = principalOf(request);
    const body = parseOrThrow(ownKeyPatch, request.body ?? {});
    const patch = present({ ...body, budget: budgetOf(body.budget, billing) });
    return describeOwnKey(await users.updateKey(request.params.id, patch, principal));
  });

  app.delete<Id>('/v1/account/keys/:id', async (request) => describeOwnKey(await users.revokeKey(request.params.id, principalOf(request))));

  app.post('/v1/redeem', async (request) => {
    const principal = principalOf(request);
    const { code } = parseOrThrow(redeemInput, request.body ?? {});
    return redemptions.redeem(principal.userId, principal.keyId, code);
  });
}

