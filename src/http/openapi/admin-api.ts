/** The admin API (admin.ts, admin-tasks.ts) for the OpenAPI document, with zod schemas of its answers. */
import { z } from 'zod';
import type { ApiOperation, ErrorShape } from '../../dialects/api-doc.js';
import { plainErrorBody } from '../../dialects/errors.js';
import { adminTaskQuerySchema } from '../admin-tasks.js';
import { createKeySchema, creditSchema } from '../admin.js';
import { usageQuerySchema } from '../usage-query.js';
import { usageAnswer } from './account-api.js';
import { budgetView } from './user-views.js';

const REQUEST_ID = '5d0e3c52-8a57-4d67-9b0c-1f0c3a6b9e21';

export const plainErrorSchema = z.object({
  error: z.object({ code: z.string().describe('The error kind of the catalog.'), message: z.string(), field: z.string().nullable() }),
  request_id: z.string(),
});

/** The shape of the admin API and of paths outside the dialects: `{error: {code, message, field}, request_id}`. */
export const plainErrors: ErrorShape = {
  name: 'Plain',
  schema: { name: 'PlainError', schema: plainErrorSchema },
  render: (error) => ({ status: error.status, body: plainErrorBody(error, REQUEST_ID), headers: error.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(Math.ceil(error.retryAfterSeconds)) } }),
  description: '`{error: {code, message, field}, request_id}` with the catalog\'s kind as code.',
};

const iso = z.string().describe('ISO 8601');
const amount = z.string().describe('A decimal amount, like "10.00".');

export const keyView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  userId: z.string().describe('The user the key belongs to (GET /admin/v1/users/{id}).'),
  balance: amount.nullable().describe('The user\'s balance, shared by all their keys; null when unlimited.'),
  createdAt: iso,
  revokedAt: iso.nullable(),
  expiresAt: iso.nullable(),
  rateLimitPerMinute: z.number().int().nullable(),
  maxInFlight: z.number().int().nullable(),
  models: z.array(z.string()).nullable(),
  budget: budgetView,
});

export const createdKey = keyView.extend({ key: z.string().describe('The secret: shown only here.') });
export const creditAnswer = z.object({ id: z.string(), balance: amount });

const taskView = z.object({
  id: z.string(),
  keyId: z.string(),
  model: z.string(),
  kind: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']),
  origin: z.string(),
  engine: z.string().nullable(),
  prompt: z.string(),
  n: z.number().int(),
  size: z.string(),
  inputs: z.number().int(),
  outputs: z.number().int(),
  attempts: z.number().int(),
  createdAt: iso,
  startedAt: iso.nullable(),
  finishedAt: iso.nullable(),
  queuedMs: z.number().nullable(),
  runMs: z.number().nullable(),
  error: z.object({ kind: z.string(), message: z.string(), field: z.string().optional(), upstreamCode: z.string().optional() }).nullable(),
  warnings: z.array(z.string()),
  billing: z.object({ state: z.enum(['none', 'held', 'settled']), unitPrice: amount.nullable(), held: amount.nullable(), charged: amount.nullable(), currency: z.string() }),
});

const engineView = z.object({
  name: z.string(),
  type: z.string(),
  models: z.union([z.array(z.string()), z.literal('*')]),
  capabilities: z
    .object({ models: z.union([z.array(z.string()), z.literal('*')]), maxImagesPerCall: z.number().int(), watermark: z.boolean(), negativePrompt: z.boolean(), promptExtend: z.boolean(), seed: z.boolean(), cancelRunning: z.boolean() })
    .nullable(),
  routes: z.array(z.object({ model: z.string(), position: z.number().int(), of: z.number().int() })),
  health: z.object({
    state: z.enum(['closed', 'open', 'half-open']),
    consecutiveFailures: z.number().int(),
    retryAt: iso.nullable(),
    inFlight: z.number().int(),
    waiting: z.number().int(),
    maxConcurrent: z.number().int().nullable(),
    outputs: z.enum(['rehost', 'passthrough']),
  }),
});

const KEY = {
  id: 'key_3f9a1c',
  name: 'shop-a',
  prefix: 'sk-qig-3f9a',
  userId: 'usr_3f9a1c',
  balance: '10.00',
  createdAt: '2026-01-05T02:00:00.000Z',
  revokedAt: null,
  expiresAt: null,
  rateLimitPerMinute: 60,
  maxInFlight: null,
  models: null,
  budget: null,
};

export const json = (name: string, schema: z.ZodType, example?: unknown) => ({
  'application/json': { schema: { name, schema }, ...(example === undefined ? {} : { examples: { example: { summary: name, value: example } } }) },
});

const keyPath = z.object({ id: z.string().describe('A key id (key_…).') });

export function adminApi(): ApiOperation[] {
  const base = { tag: 'Admin', security: ['adminToken'] as const };
  return [
    {
      ...base,
      method: 'post',
      path: '/admin/v1/keys',
      operationId: 'adminCreateKey',
      summary: 'Create an API key (its secret is shown only in this answer)',
      description: 'Without userId the key gets a user of its own (in the default group) with the opening balance given. With userId it joins that user: it draws on their balance, so `balance` is refused (400 naming it; credit the user instead), and its limits may narrow the user\'s, never widen them. POST /admin/v1/users/{id}/keys does the same.',
      requestBody: { required: true, content: json('CreateKeyBody', createKeySchema, { name: 'shop-a', balance: '10.00', rateLimitPerMinute: 60 }) },
      responses: { '201': { description: 'The key, with its secret.', content: json('CreatedKey', createdKey, { ...KEY, key: 'sk-qig-3f9a8d0c2b7e4f61a5d9c3b2e1f0a7c6' }) } },
      errors: [{ shape: plainErrors, kinds: ['invalid_parameter', 'unauthorized', 'not_found', 'unavailable', 'internal'] }],
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/keys',
      operationId: 'adminListKeys',
      summary: 'Every key (never their secrets)',
      responses: { '200': { description: 'The keys.', content: json('KeyList', z.object({ data: z.array(keyView) }), { data: [KEY] }) } },
      errors: [{ shape: plainErrors, kinds: ['unauthorized', 'unavailable', 'internal'] }],
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/keys/{id}/credit',
      operationId: 'adminCreditKey',
      summary: 'Add to the balance of a key\'s user',
      parameters: { path: keyPath },
      requestBody: { required: true, content: json('CreditBody', creditSchema, { amount: '5.00' }) },
      responses: { '200': { description: 'The new balance.', content: json('CreditAnswer', creditAnswer, { id: 'key_3f9a1c', balance: '15.00' }) } },
      errors: [{ shape: plainErrors, kinds: ['invalid_parameter', 'unauthorized', 'not_found', 'unsupported_operation', 'unavailable', 'internal'] }],
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/keys/{id}',
      operationId: 'adminRevokeKey',
      summary: 'Revoke a key',
      parameters: { path: keyPath },
      responses: { '200': { description: 'The key, revoked.', content: json('KeyView', keyView, { ...KEY, revokedAt: '2026-01-06T09:30:00.000Z' }) } },
      errors: [{ shape: plainErrors, kinds: ['unauthorized', 'not_found', 'unavailable', 'internal'] }],
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/usage',
      operationId: 'adminUsage',
      summary: 'Charged tasks of every key, or one',
      parameters: { query: usageQuerySchema },
      responses: { '200': { description: 'One page of usage, with totals over the filter.', content: json('UsageAnswer', usageAnswer) } },
      errors: [{ shape: plainErrors, kinds: ['invalid_parameter', 'unauthorized', 'unavailable', 'internal'] }],
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/tasks',
      operationId: 'adminTasks',
      summary: 'Recent tasks of every key, with engine, timings, attempts, errors and charges',
      parameters: { query: adminTaskQuerySchema },
      responses: { '200': { description: 'One page of tasks.', content: json('AdminTaskList', z.object({ data: z.array(taskView), total: z.number().int(), limit: z.number().int(), offset: z.number().int() })) } },
      errors: [{ shape: plainErrors, kinds: ['invalid_parameter', 'unauthorized', 'unavailable', 'internal'] }],
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/engines',
      operationId: 'adminEngines',
      summary: 'Each engine with its capabilities, routes and circuit state',
      responses: {
        '200': { description: 'The engines and the configured routes.', content: json('EngineList', z.object({ data: z.array(engineView), routes: z.record(z.string(), z.array(z.string())) })) },
      },
      errors: [{ shape: plainErrors, kinds: ['unauthorized', 'internal'] }],
    },
  ];
}
