/**
 * Answer schemas shared by the account routes and the admin API for customers (users, their keys,
 * budgets), with the examples both draw on. Zod only, so either side imports it without a cycle.
 */
import { z } from 'zod';

const iso = z.string().describe('ISO 8601');
const amount = z.string().describe('A decimal amount, like "10.00".');

export const budgetPeriod = z.enum(['day', 'month']).describe('day or month, in UTC.');

export const budgetView = z
  .object({ amount: amount.describe('The most charged (or held) per period.'), period: budgetPeriod })
  .nullable()
  .describe('A spend budget per day or month; null for none. Past it, submits are refused with budget_exceeded until it resets.');

const limits = {
  rateLimitPerMinute: z.number().int().nullable().describe('Submits per minute; null: no limit of its own.'),
  maxInFlight: z.number().int().nullable().describe('Tasks queued or running at once; null: no limit of its own.'),
  models: z.array(z.string()).nullable().describe('The model ids allowed; null: every model.'),
  budget: budgetView,
};

/** A key as its user's list shows it: its own limits (which narrow the user's), never its secret. */
export const ownKeyView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('The secret\'s first characters, to tell keys apart.'),
  ...limits,
  createdAt: iso,
  revokedAt: iso.nullable(),
  expiresAt: iso.nullable(),
});

export const createdOwnKey = ownKeyView.extend({ key: z.string().describe('The secret: shown only here.') });

export const userView = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  group: z.string().describe('The price group (GET /admin/v1/groups).'),
  balance: amount.nullable().describe('Null for an unlimited user.'),
  ...limits,
  createdAt: iso,
  disabledAt: iso.nullable().describe('Set while the user is disabled: every key of theirs is refused.'),
});

export const AT = '2026-12-01T08:30:00.000Z';
export const USER_ID = 'usr_1XFjSlC0Vlmy';

export const OWN_KEY = {
  id: 'key_Gu_hdQsuablr',
  name: 'ci',
  prefix: 'sk-qig-NT6i',
  rateLimitPerMinute: 30,
  maxInFlight: null,
  models: ['qwen-image-edit-plus'],
  budget: { amount: '20.00', period: 'day' },
  createdAt: AT,
  revokedAt: null,
  expiresAt: null,
};

export const SECRET = 'sk-qig-NT6irkR6D1GWb2uVl3nB5OxTBSdmP1qFkAuwvxE1';

export const USER = {
  id: USER_ID,
  name: 'Acme Studio',
  email: 'ops@acme.test',
  group: 'partners',
  balance: '100.00',
  rateLimitPerMinute: 120,
  maxInFlight: 8,
  models: null,
  budget: { amount: '500.00', period: 'month' },
  createdAt: AT,
  disabledAt: null,
};

/** One page of a user's ledger: every movement of its balance, newest first. */
export const ledgerPage = z.object({
  data: z.array(
    z.object({
      id: z.number().int(),
      kind: z.enum(['credit', 'redeem', 'hold', 'release']).describe('credit: an operator\'s; redeem: a top-up code; hold: taken at submit; release: what a task did not use, given back when it ended.'),
      amount: z.string().describe('The change to the balance, signed: a hold is negative.'),
      note: z.string(),
      keyId: z.string().nullable().describe('The key that caused it; null for an operator\'s credit.'),
      taskId: z.string().nullable(),
      createdAt: iso,
    }),
  ),
  total: z.number().int(),
  currency: z.string(),
});

export const LEDGER_EXAMPLE = {
  data: [
    { id: 7, kind: 'release', amount: '0.00', note: 'settled: 2 of 2 image(s) produced at ¥0.144 by engine cloud, charged ¥0.288', keyId: 'key_3f9a1c', taskId: '0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43', createdAt: '2026-12-04T10:12:15.302Z' },
    { id: 6, kind: 'hold', amount: '-0.288', note: 'hold for 2 image(s) of qwen-image-edit-plus at ¥0.144', keyId: 'key_3f9a1c', taskId: '0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43', createdAt: '2026-12-04T10:12:09.881Z' },
    { id: 5, kind: 'redeem', amount: '50.00', note: 'top-up code QIG-7K3QM… (batch rcb_Xk3v9QpL2mWe)', keyId: 'key_3f9a1c', taskId: null, createdAt: '2026-12-04T09:00:00.000Z' },
    { id: 1, kind: 'credit', amount: '100.00', note: 'opening balance', keyId: null, taskId: null, createdAt: '2026-12-01T08:00:00.000Z' },
  ],
  total: 4,
  currency: 'CNY',
};
