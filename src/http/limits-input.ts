/**
 * Limits as the admin API and the account page take them (a user's, or a key's that narrows
 * them): zod shapes, and their conversion to the domain's (a budget's amount to micros).
 */
import { z } from 'zod';
import { BUDGET_PERIODS, type Budget } from '../domain/users.js';
import type { BillingService } from '../services/billing.js';

export const amountText = z.string({ error: 'must be a decimal amount as a string, like "10.00"' });

export const budgetInput = z
  .object({
    amount: amountText.describe('The most charged (or held) per period, like "100.00".'),
    period: z.enum(BUDGET_PERIODS as [string, ...string[]], { error: 'must be day or month' }).describe('day or month (UTC).'),
  })
  .strict();

export const limitsInput = {
  rateLimitPerMinute: z.number({ error: 'must be a whole number or null' }).int('must be a whole number').min(1, 'must be at least 1 (null: no limit of its own)').max(1_000_000).nullable().optional(),
  maxInFlight: z.number({ error: 'must be a whole number or null' }).int('must be a whole number').min(1, 'must be at least 1 (null: no limit of its own)').max(100_000).nullable().optional(),
  models: z.array(z.string().min(1).max(200)).min(1).max(100).nullable().optional().describe('Model ids allowed; null for all.'),
  budget: budgetInput.nullable().optional().describe('A spend budget per day or month; null for none.'),
};

type BudgetInput = z.infer<typeof budgetInput>;

/** A new key of a user (the admin's or the user's own): a name, limits that narrow the user's, an expiry. */
export const ownKeyInput = z
  .object({
    name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(200),
    ...limitsInput,
    expiresAt: z.iso.datetime({ error: 'must be an ISO 8601 date-time' }).nullable().optional(),
  })
  .strict();

/** The key's options as the services take them. */
export function newKeyOptions(body: z.infer<typeof ownKeyInput>, billing: BillingService) {
  return {
    name: body.name,
    rateLimitPerMinute: body.rateLimitPerMinute,
    maxInFlight: body.maxInFlight,
    models: body.models,
    budget: budgetOf(body.budget, billing),
    expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : null,
  };
}

/** The budget as stored (null: none; undefined: unchanged), its amount checked as a credit's. */
export function budgetOf(input: BudgetInput | null | undefined, billing: BillingService, field = 'budget'): Budget | null | undefined {
  if (input === undefined || input === null) return input;
  return { micros: billing.parseCredit(input.amount, { field: `${field}.amount`, opening: true }), period: input.period as Budget['period'] };
}
