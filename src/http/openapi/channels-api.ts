/** The catalog's admin API (admin-channels.ts) for the OpenAPI document, with zod schemas of its answers. */
import { z } from 'zod';
import type { ApiOperation } from '../../dialects/api-doc.js';
import type { ErrorKind } from '../../domain/errors.js';
import {
  auditQuerySchema,
  channelInputSchema,
  channelPatchSchema,
  channelTestSchema,
  credentialInputSchema,
  credentialPatchSchema,
  pricesSchema,
  routeBodySchema,
  routeEntrySchema,
} from '../admin-channels.js';
import { marginsQuerySchema } from '../margins-report.js';
import { json, plainErrors } from './admin-api.js';

const iso = z.string().describe('ISO 8601');
const amount = z.string().describe('A decimal amount, like "0.14".');
const amounts = z.record(z.string(), amount);

const health = z.object({
  state: z.enum(['closed', 'open', 'half-open']),
  inFlight: z.number().int(),
  waiting: z.number().int(),
  calls: z.number().int().describe('Calls over the last 5 minutes on the answering node.'),
  errors: z.number().int(),
  errorRate: z.number(),
  lastError: z.string().nullable(),
  lastLatencyMs: z.number().nullable(),
});

const credentialView = z.object({
  id: z.string(),
  label: z.string(),
  key: z.string().describe('The last 4 characters of the secret, like "…a1b2": all the API ever shows of it.'),
  source: z.enum(['config', 'stored']),
  region: z.enum(['beijing', 'singapore']).nullable(),
  qps: z.number().nullable(),
  maxConcurrent: z.number().int().nullable(),
  weight: z.number().int(),
  cost: amounts.nullable(),
  enabled: z.boolean(),
  disabled: z
    .object({ kind: z.enum(['auth', 'arrears', 'model_not_open']), code: z.string(), reason: z.string(), model: z.string().nullable(), at: iso, nextTestAt: iso, strikes: z.number().int() })
    .nullable()
    .describe('While automatically disabled: why, and when it is re-tested.'),
  usable: z.boolean(),
  health: health.describe('This node\'s live figures; in scale-out the workers make the calls, so see `recent` too.'),
  recent: z.object({ tasks: z.number().int(), images: z.number().int() }).describe('Tasks and images it made in the last 24 hours on every node (the usage records).'),
  createdAt: iso,
  updatedAt: iso,
});

const channelView = z.object({
  name: z.string(),
  type: z.string(),
  engine: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  cost: amounts,
  test: z.enum(['query', 'task']),
  models: z.union([z.array(z.string()), z.literal('*')]),
  usable: z.boolean(),
  health,
  credentials: z.array(credentialView),
  routes: z.array(z.string()),
  createdAt: iso,
  updatedAt: iso,
});

const routeEntry = z.object({ channel: z.string(), priority: z.number().int(), weight: z.number().int() });
const prices = z.object({ perImage: amounts, perEngine: z.record(z.string(), amounts) });
const priceAnswer = prices.extend({ currency: z.string() });
const catalogView = z.object({ version: z.number().int(), currency: z.string(), channels: z.array(channelView), routes: z.record(z.string(), z.array(routeEntry)), prices });

const testResult = z.object({
  ok: z.boolean(),
  channel: z.string(),
  credential: z.string().nullable(),
  model: z.string(),
  mode: z.enum(['query', 'task']),
  latencyMs: z.number(),
  answer: z.object({ images: z.number().int(), firstImage: z.string().nullable(), warnings: z.array(z.string()) }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

const auditList = z.object({
  data: z.array(z.object({ id: z.number().int(), at: iso, actor: z.string(), action: z.string(), subject: z.string(), before: z.unknown(), after: z.unknown() })),
  total: z.number().int(),
});

const figures = { tasks: z.number().int(), images: z.number().int(), revenue: amount, cost: amount, margin: amount, marginPercent: z.number().nullable().describe('margin / revenue × 100; null when nothing was charged.') };
const marginsList = z.object({
  currency: z.string(),
  from: iso,
  to: iso,
  groupBy: z.array(z.enum(['day', 'model', 'channel', 'credential', 'key', 'user'])),
  data: z.array(
    z.object({
      day: z.string().optional(),
      model: z.string().optional(),
      channel: z.string().nullable().optional(),
      credential: z.string().nullable().optional(),
      credentialName: z.string().nullable().optional().describe('The credential\'s label and key tail as the catalog has them now; null once removed.'),
      keyId: z.string().optional(),
      keyName: z.string().nullable().optional().describe('The API key\'s name.'),
      userId: z.string().nullable().optional().describe('The user charged (with groupBy user).'),
      userName: z.string().nullable().optional().describe('The user\'s name.'),
      ...figures,
    }),
  ),
  totals: z.object(figures).describe('Over the rows answered.'),
  truncated: z.boolean().describe('More groups matched than `limit`: the rows and totals are not all of them (raise limit, or narrow the range or grouping).'),
});

const HEALTH = { state: 'closed', inFlight: 1, waiting: 0, calls: 42, errors: 1, errorRate: 0.0238, lastError: null, lastLatencyMs: 5310 };
const AT = '2026-01-05T02:00:00.000Z';
const CREDENTIAL = { id: 'cr_7Hq2', label: 'account B', key: '…a1b2', source: 'stored', region: null, qps: 20, maxConcurrent: 4, weight: 2, cost: null, enabled: true, disabled: null, usable: true, health: HEALTH, recent: { tasks: 38, images: 41 }, createdAt: AT, updatedAt: AT };
const CHANNEL = {
  name: 'cloud',
  type: 'dashscope',
  engine: { type: 'dashscope', region: 'beijing' },
  enabled: true,
  cost: { '*': '0.14' },
  test: 'query',
  models: '*',
  usable: true,
  health: HEALTH,
  credentials: [CREDENTIAL],
  routes: ['*'],
  createdAt: AT,
  updatedAt: AT,
};
const ROUTE = [{ channel: 'cloud', priority: 10, weight: 3 }, { channel: 'local', priority: 0, weight: 1 }];
const PRICES = { perImage: { '*': '0.20' }, perEngine: { local: { '*': '0.00' } } };

const named = z.object({ name: z.string().describe('A channel (engine) name.') });
const credentialPath = named.extend({ id: z.string().describe('A credential id: cr_… (entered in the console) or <channel>~<8 hex digits> (a key of the config file, derived from the key).') });
const modelPath = z.object({ model: z.string().describe('A model id, family or "*" (write it %2A or as is).') });

const CHANGE_ERRORS: readonly ErrorKind[] = ['invalid_parameter', 'unauthorized', 'not_found', 'conflict', 'unavailable', 'internal'];
const READ_ERRORS: readonly ErrorKind[] = ['invalid_parameter', 'unauthorized', 'unavailable', 'internal'];
const noContent = { '204': { description: 'Done.' } };

export function channelsApi(): ApiOperation[] {
  const base = { tag: 'Admin: channels', security: ['adminToken'] as const };
  const changes = [{ shape: plainErrors, kinds: CHANGE_ERRORS }];
  const reads = [{ shape: plainErrors, kinds: READ_ERRORS }];
  return [
    { ...base, method: 'get', path: '/admin/v1/channels', operationId: 'adminCatalog', summary: 'The catalog: channels with credentials and health, routes, prices', responses: { '200': { description: 'The catalog.', content: json('CatalogView', catalogView, { version: 7, currency: 'CNY', channels: [CHANNEL], routes: { '*': ROUTE }, prices: PRICES }) } }, errors: reads },
    { ...base, method: 'post', path: '/admin/v1/channels', operationId: 'adminCreateChannel', summary: 'Add a channel (an engine), with credentials', requestBody: { required: true, content: json('ChannelInput', channelInputSchema) }, responses: { '201': { description: 'The channel.', content: json('ChannelView', channelView, CHANNEL) } }, errors: changes },
    { ...base, method: 'get', path: '/admin/v1/channels/{name}', operationId: 'adminGetChannel', summary: 'One channel', parameters: { path: named }, responses: { '200': { description: 'The channel.', content: json('ChannelView', channelView, CHANNEL) } }, errors: [{ shape: plainErrors, kinds: ['unauthorized', 'not_found', 'unavailable', 'internal'] }] },
    { ...base, method: 'patch', path: '/admin/v1/channels/{name}', operationId: 'adminUpdateChannel', summary: 'Change a channel: engine options, enabled, cost, re-test mode', parameters: { path: named }, requestBody: { required: true, content: json('ChannelPatch', channelPatchSchema) }, responses: { '200': { description: 'The channel.', content: json('ChannelView', channelView, { ...CHANNEL, enabled: false }) } }, errors: changes },
    { ...base, method: 'delete', path: '/admin/v1/channels/{name}', operationId: 'adminDeleteChannel', summary: 'Delete a channel (refused, 409, while a route names it or tasks still run on it: switch it off first)', parameters: { path: named }, responses: noContent, errors: changes },
    { ...base, method: 'post', path: '/admin/v1/channels/{name}/credentials', operationId: 'adminAddCredential', summary: 'Add an upstream account\'s key to a channel (stored encrypted; only its last 4 characters are shown)', parameters: { path: named }, requestBody: { required: true, content: json('CredentialInput', credentialInputSchema) }, responses: { '201': { description: 'The credential.', content: json('CredentialView', credentialView, CREDENTIAL) } }, errors: changes },
    { ...base, method: 'patch', path: '/admin/v1/channels/{name}/credentials/{id}', operationId: 'adminUpdateCredential', summary: 'Change a credential; enabled: true also clears an automatic disable', parameters: { path: credentialPath }, requestBody: { required: true, content: json('CredentialPatch', credentialPatchSchema) }, responses: { '200': { description: 'The credential.', content: json('CredentialView', credentialView, CREDENTIAL) } }, errors: changes },
    { ...base, method: 'delete', path: '/admin/v1/channels/{name}/credentials/{id}', operationId: 'adminRemoveCredential', summary: 'Remove a credential (refused, 409, while tasks still run on it: switch it off first)', parameters: { path: credentialPath }, responses: noContent, errors: changes },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/channels/{name}/test',
      operationId: 'adminTestChannel',
      summary: 'Try a channel, or one of its credentials, with a real one-image request (billed upstream)',
      parameters: { path: named },
      requestBody: { required: false, content: json('ChannelTestBody', channelTestSchema) },
      responses: { '200': { description: 'What the upstream answered (ok false with its error when it failed).', content: json('ChannelTestResult', testResult, { ok: true, channel: 'cloud', credential: 'cr_7Hq2', model: 'qwen-image-max', mode: 'task', latencyMs: 5184, answer: { images: 1, firstImage: 'https://dashscope-result.oss-cn-beijing.aliyuncs.com/1d/fake.png', warnings: [] }, error: null }) } },
      errors: [{ shape: plainErrors, kinds: ['invalid_parameter', 'unauthorized', 'not_found', 'unavailable', 'internal'] }],
    },
    { ...base, method: 'get', path: '/admin/v1/routes', operationId: 'adminRoutes', summary: 'Every route: channels by priority and weight, by model id, family or "*"', responses: { '200': { description: 'The routes.', content: json('RouteList', z.object({ routes: z.record(z.string(), z.array(routeEntry)) }), { routes: { '*': ROUTE } }) } }, errors: reads },
    { ...base, method: 'put', path: '/admin/v1/routes/{model}', operationId: 'adminSetRoute', summary: 'Set a route: the highest priority with a usable channel takes the traffic, spread by weight', parameters: { path: modelPath }, requestBody: { required: true, content: json('RouteBody', routeBodySchema) }, responses: { '200': { description: 'The route.', content: json('Route', z.object({ model: z.string(), entries: z.array(routeEntrySchema) }), { model: '*', entries: ROUTE }) } }, errors: changes },
    { ...base, method: 'delete', path: '/admin/v1/routes/{model}', operationId: 'adminDeleteRoute', summary: 'Delete a route', parameters: { path: modelPath }, responses: noContent, errors: changes },
    { ...base, method: 'get', path: '/admin/v1/prices', operationId: 'adminPrices', summary: 'The prices charged: per image, and per channel', responses: { '200': { description: 'The prices.', content: json('PriceSettings', priceAnswer, { ...PRICES, currency: 'CNY' }) } }, errors: reads },
    { ...base, method: 'put', path: '/admin/v1/prices', operationId: 'adminSetPrices', summary: 'Replace the prices', requestBody: { required: true, content: json('PriceInput', pricesSchema) }, responses: { '200': { description: 'The prices.', content: json('PriceSettings', priceAnswer, { ...PRICES, currency: 'CNY' }) } }, errors: changes },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/audit',
      operationId: 'adminAudit',
      summary: 'The catalog\'s changes, newest first (secrets as their last 4 characters)',
      parameters: { query: auditQuerySchema },
      responses: { '200': { description: 'One page of changes.', content: json('AuditList', auditList, { data: [{ id: 12, at: AT, actor: 'admin (127.0.0.1)', action: 'credential.add', subject: 'credential:cloud/cr_7Hq2', before: null, after: { label: 'account B', key: '…a1b2' } }], total: 1 }) } },
      errors: reads,
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/margins',
      operationId: 'adminMargins',
      summary: 'Revenue, upstream cost and margin of settled usage, grouped by day, model, channel, credential, key or user',
      parameters: { query: marginsQuerySchema },
      responses: {
        '200': {
          description: 'The groups with totals (groupBy=user gives each user\'s revenue; userId= narrows to one user); with format=csv (or Accept: text/csv) a CSV download named margins-<from>-<to>.csv, with the header X-Truncated: true when rows were cut by the limit.',
          content: {
            ...json('MarginList', marginsList, {
              currency: 'CNY',
              from: '2026-01-01T00:00:00.000Z',
              to: '2026-01-08T00:00:00.000Z',
              groupBy: ['day', 'model'],
              data: [{ day: '2026-01-05', model: 'qwen-image-edit-plus', tasks: 40, images: 52, revenue: '10.40', cost: '7.28', margin: '3.12', marginPercent: 30 }],
              totals: { tasks: 40, images: 52, revenue: '10.40', cost: '7.28', margin: '3.12', marginPercent: 30 },
              truncated: false,
            }),
            'text/csv': { schema: { raw: { type: 'string' } } },
          },
        },
      },
      errors: reads,
    },
  ];
}
