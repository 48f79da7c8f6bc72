/**
 * A user's own account, signed in with any of their keys (account.ts): the account page's reads,
 * their keys and top-up codes, for the OpenAPI document. Errors in OpenAI's shape.
 */
import { z } from 'zod';
import type { ApiOperation } from '../../dialects/api-doc.js';
import { openAiErrors } from '../../dialects/openai/api.js';
import type { ErrorKind } from '../../domain/errors.js';
import { accountTasksQuery, ledgerQuery, ownKeyPatch, redeemInput, spendQuery } from '../account.js';
import { ownKeyInput } from '../limits-input.js';
import { AT, budgetPeriod, createdOwnKey, LEDGER_EXAMPLE, ledgerPage, OWN_KEY, ownKeyView, SECRET, USER_ID } from './user-views.js';

const iso = z.string().describe('ISO 8601');
const amount = z.string().describe('A decimal amount, like "10.00".');
const multiplier = z.string().describe('A price multiplier, like "0.8" (0.8× the list price).');

export const accountAnswer = z.object({
  user: z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), createdAt: iso }),
  key: z
    .object({ id: z.string(), name: z.string(), restricted: z.boolean().describe('true for a key with limits or an expiry of its own: it manages only itself (narrowing), not the account\'s other keys, and cannot create keys.') })
    .describe('The key this request was signed with.'),
  balance: amount.nullable().describe('The user\'s, shared by all their keys; null when unlimited.'),
  held: amount.describe('Reserved by tasks still running.'),
  currency: z.string(),
  group: z.object({ name: z.string(), multiplier, overrides: z.record(z.string(), multiplier).describe('Model id or family → multiplier, over the group\'s.') }).describe('The price group: its multipliers price each task at submit.'),
  limits: z
    .object({ rateLimitPerMinute: z.number().int().nullable(), maxInFlight: z.number().int().nullable(), models: z.array(z.string()).nullable().describe('The models this key may use: those both it and its user allow; null: every model.') })
    .describe('The user\'s limits (a key may narrow them: GET /v1/account/keys).'),
  budgets: z
    .array(z.object({ owner: z.enum(['user', 'key']), amount, period: budgetPeriod, spent: amount.describe('Charged or held in the current period.'), resetsAt: iso }))
    .describe('The budgets this key answers to: its user\'s and its own.'),
});

export const spendAnswer = z.object({
  currency: z.string(),
  from: iso,
  to: iso.describe('Exclusive: the end of today, UTC.'),
  data: z.array(z.object({ day: z.string().describe('YYYY-MM-DD, UTC.'), model: z.string(), tasks: z.number().int(), images: z.number().int(), amount })).describe('Charged usage of all the user\'s keys, by day and model.'),
  totals: z.object({ tasks: z.number().int(), images: z.number().int(), amount }),
});

export const accountTasksAnswer = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      keyId: z.string(),
      model: z.string(),
      status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']),
      prompt: z.string().describe('Cut to 200 characters.'),
      images: z.array(z.string()).describe('Signed, expiring URLs of the images (succeeded tasks only).'),
      charged: amount.nullable().describe('Null until the task is settled.'),
      unitPrice: amount,
      createdAt: iso,
      finishedAt: iso.nullable(),
    }),
  ),
  total: z.number().int(),
});

export const redeemAnswer = z.object({ credited: amount.describe('What the code added.'), balance: amount.describe('The user\'s balance after it.'), currency: z.string() });

const ownKeyList = z.object({ data: z.array(ownKeyView) });

const json = (name: string, schema: z.ZodType, example?: unknown) => ({
  'application/json': { schema: { name, schema }, ...(example === undefined ? {} : { examples: { example: { summary: name, value: example } } }) },
});

const READS: readonly ErrorKind[] = ['unauthorized', 'rate_limited', 'unavailable', 'internal'];
const QUERIES: readonly ErrorKind[] = ['invalid_parameter', ...READS];
const KEY_CHANGES: readonly ErrorKind[] = ['invalid_parameter', 'unauthorized', 'not_found', 'rate_limited', 'unavailable', 'internal'];

const ACCOUNT = {
  user: { id: USER_ID, name: 'Acme Studio', email: 'ops@acme.test', createdAt: AT },
  key: { id: 'key_3f9a1c', name: 'shop-a', restricted: false },
  balance: '96.40',
  held: '0.36',
  currency: 'CNY',
  group: { name: 'partners', multiplier: '0.8', overrides: { 'qwen-image-edit-plus': '0.5' } },
  limits: { rateLimitPerMinute: 120, maxInFlight: 8, models: null },
  budgets: [{ owner: 'user', amount: '500.00', period: 'month', spent: '103.60', resetsAt: '2027-01-01T00:00:00.000Z' }],
};

const TASK_ID = '0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43';

const keyPath = z.object({ id: z.string().describe('One of the user\'s key ids (key_…); another user\'s reads as absent (404).') });

export function ownAccountApi(): ApiOperation[] {
  const base = { tag: 'Account', security: ['bearerKey'] as const };
  return [
    {
      ...base,
      method: 'get',
      path: '/v1/account',
      operationId: 'account',
      summary: 'The user, their balance, price group, limits and budgets',
      responses: { '200': { description: 'The account as the key sees it.', content: json('AccountAnswer', accountAnswer, ACCOUNT) } },
      errors: [{ shape: openAiErrors, kinds: READS }],
    },
    {
      ...base,
      method: 'get',
      path: '/v1/account/spend',
      operationId: 'accountSpend',
      summary: 'Charged usage of all the user\'s keys, by UTC day and model',
      parameters: { query: spendQuery },
      responses: {
        '200': {
          description: 'Spend by day and model, with totals.',
          content: json('SpendAnswer', spendAnswer, {
            currency: 'CNY',
            from: '2026-11-05T00:00:00.000Z',
            to: '2026-12-05T00:00:00.000Z',
            data: [{ day: '2026-12-03', model: 'qwen-image-edit-plus', tasks: 40, images: 52, amount: '4.68' }, { day: '2026-12-04', model: 'qwen-image', tasks: 3, images: 3, amount: '0.48' }],
            totals: { tasks: 43, images: 55, amount: '5.16' },
          }),
        },
      },
      errors: [{ shape: openAiErrors, kinds: QUERIES }],
    },
    {
      ...base,
      method: 'get',
      path: '/v1/account/tasks',
      operationId: 'accountTasks',
      summary: 'The user\'s tasks (all their keys), newest first',
      parameters: { query: accountTasksQuery },
      responses: {
        '200': {
          description: 'One page of tasks (limit defaults to 20, at most 100).',
          content: json('AccountTaskList', accountTasksAnswer, {
            data: [{ id: TASK_ID, keyId: 'key_3f9a1c', model: 'qwen-image-edit-plus', status: 'succeeded', prompt: 'make it snow', images: [`https://gateway.example.com/files/${TASK_ID}-0.png?exp=1796428800&sig=Vb7dQ2`], charged: '0.09', unitPrice: '0.09', createdAt: '2026-12-04T10:12:09.881Z', finishedAt: '2026-12-04T10:12:15.302Z' }],
            total: 1,
          }),
        },
      },
      errors: [{ shape: openAiErrors, kinds: QUERIES }],
    },
    {
      ...base,
      method: 'get',
      path: '/v1/account/ledger',
      operationId: 'accountLedger',
      summary: 'The user\'s ledger: every movement of its balance (credits, codes, holds, releases), newest first',
      parameters: { query: ledgerQuery },
      responses: { '200': { description: 'One page of rows (limit defaults to 50).', content: json('LedgerPage', ledgerPage, LEDGER_EXAMPLE) } },
      errors: [{ shape: openAiErrors, kinds: QUERIES }],
    },
    {
      ...base,
      method: 'get',
      path: '/v1/account/keys',
      operationId: 'accountKeys',
      summary: 'The user\'s keys (never their secrets)',
      responses: { '200': { description: 'The keys, oldest first, revoked ones included.', content: json('OwnKeyList', ownKeyList, { data: [OWN_KEY] }) } },
      errors: [{ shape: openAiErrors, kinds: READS }],
    },
    {
      ...base,
      method: 'post',
      path: '/v1/account/keys',
      operationId: 'accountCreateKey',
      summary: 'Make another key for the user (its secret is shown only in this answer)',
      description: 'The key draws on the user\'s balance. Its limits may narrow the user\'s, never widen them: a wider one is refused with 400 naming the field.',
      requestBody: { required: true, content: json('OwnKeyInput', ownKeyInput, { name: 'ci', rateLimitPerMinute: 30, models: ['qwen-image-edit-plus'], budget: { amount: '20.00', period: 'day' } }) },
      responses: { '201': { description: 'The key, with its secret.', content: json('CreatedOwnKey', createdOwnKey, { ...OWN_KEY, key: SECRET }) } },
      errors: [{ shape: openAiErrors, kinds: KEY_CHANGES }],
    },
    {
      ...base,
      method: 'patch',
      path: '/v1/account/keys/{id}',
      operationId: 'accountUpdateKey',
      summary: 'Rename a key or change its limits (within the user\'s)',
      parameters: { path: keyPath },
      requestBody: { required: true, content: json('OwnKeyPatch', ownKeyPatch) },
      responses: { '200': { description: 'The key.', content: json('OwnKey', ownKeyView, { ...OWN_KEY, budget: null }) } },
      errors: [{ shape: openAiErrors, kinds: KEY_CHANGES }],
    },
    {
      ...base,
      method: 'delete',
      path: '/v1/account/keys/{id}',
      operationId: 'accountRevokeKey',
      summary: 'Revoke one of the user\'s keys (the signing key too, if asked)',
      parameters: { path: keyPath },
      responses: { '200': { description: 'The key, revoked.', content: json('OwnKey', ownKeyView, { ...OWN_KEY, revokedAt: '2026-12-04T09:30:00.000Z' }) } },
      errors: [{ shape: openAiErrors, kinds: KEY_CHANGES }],
    },
    {
      ...base,
      method: 'post',
      path: '/v1/redeem',
      operationId: 'redeemCode',
      summary: 'Top up the user\'s balance with a code (QIG-XXXXX-XXXXX-XXXXX-XXXXX)',
      description: 'Each code is redeemed once. An unknown, used, expired or withdrawn code is refused with 400 invalid_parameter naming `code`; an unlimited user, who has no balance to top up, with 400 unsupported_operation. Case, spaces and dashes do not matter.',
      requestBody: { required: true, content: json('RedeemInput', redeemInput) },
      responses: { '200': { description: 'What was credited and the new balance.', content: json('RedeemAnswer', redeemAnswer, { credited: '50.00', balance: '60.00', currency: 'CNY' }) } },
      errors: [{ shape: openAiErrors, kinds: ['invalid_parameter', 'unsupported_operation', 'unauthorized', 'rate_limited', 'unavailable', 'internal'] }],
    },
  ];
}
