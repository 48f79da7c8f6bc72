/**
 * The routes outside the dialects for the OpenAPI document: operations (ops.ts), signed files
 * (files.ts), the web pages (web.ts) and this description itself (routes.ts beside this module).
 */
import { z } from 'zod';
import type { ApiOperation } from '../../dialects/api-doc.js';
import { plainErrorSchema } from './admin-api.js';

export const healthAnswer = z.object({ status: z.literal('ok') });

export const readyAnswer = z.object({
  status: z.enum(['ready', 'degraded', 'not ready']),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), required: z.boolean(), error: z.string().optional() })),
  queue: z.object({ waiting: z.number().int(), delayed: z.number().int(), active: z.number().int() }).nullable(),
  engines: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      models: z.union([z.array(z.string()), z.literal('*')]),
      state: z.enum(['closed', 'open', 'half-open']),
      consecutiveFailures: z.number().int(),
      retryAt: z.number().nullable(),
      inFlight: z.number().int(),
      waiting: z.number().int(),
      maxConcurrent: z.number().int().nullable(),
      outputs: z.enum(['rehost', 'passthrough']),
    }),
  ),
  disabledCredentials: z
    .array(
      z.object({
        channel: z.string(),
        credential: z.string().describe('Its id; the admin console shows its label, key tail and the upstream\'s message.'),
        kind: z.enum(['auth', 'arrears', 'model_not_open']),
        code: z.string().describe('The upstream\'s error code: InvalidApiKey, Arrearage, Model.AccessDenied, …'),
        since: z.string(),
        nextTestAt: z.string(),
      }),
    )
    .describe('Upstream accounts taken out of rotation automatically, and why; re-tested at nextTestAt, or re-enabled in the admin console.'),
});

export const metricsRefusal = z.object({ error: z.object({ code: z.literal('unauthorized'), message: z.string() }) });

const html = (description: string) => ({ 'text/html': { schema: { raw: { type: 'string', description } } } });
const plainError = { name: 'PlainError', schema: plainErrorSchema };
const fileError = (description: string, code: string, message: string) => ({
  description,
  content: { 'application/json': { schema: plainError, examples: { [code]: { summary: code, value: { error: { code, message, field: null }, request_id: '5d0e3c52-8a57-4d67-9b0c-1f0c3a6b9e21' } } } } },
});

export function opsApi(): ApiOperation[] {
  const ops = { tag: 'Operations', security: [] as const };
  const web = { tag: 'Web pages', security: [] as const };
  return [
    { ...ops, method: 'get', path: '/healthz', operationId: 'healthz', summary: 'Liveness', responses: { '200': { description: 'Alive.', content: { 'application/json': { schema: { name: 'HealthAnswer', schema: healthAnswer }, examples: { ok: { summary: 'OK', value: { status: 'ok' } } } } } } } },
    {
      ...ops,
      method: 'get',
      path: '/readyz',
      operationId: 'readyz',
      summary: 'Readiness: the database, storage and queue checks, and each engine\'s circuit',
      description: 'Engines are reported, not required: with every circuit open the API still takes and queues tasks.',
      responses: {
        '200': { description: 'Ready, or degraded (a check that is reported only failed).', content: { 'application/json': { schema: { name: 'ReadyAnswer', schema: readyAnswer } } } },
        '503': { description: 'Not ready: a required check failed.', content: { 'application/json': { schema: { name: 'ReadyAnswer', schema: readyAnswer } } } },
      },
    },
    {
      ...ops,
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      security: ['metricsToken'],
      securityOptional: true,
      responses: {
        '200': { description: 'The exposition format.', content: { 'text/plain': { schema: { raw: { type: 'string' } } } } },
        '401': {
          description: 'QIG_METRICS_TOKEN is set and the request did not send it.',
          content: {
            'application/json': {
              schema: { name: 'MetricsRefusal', schema: metricsRefusal },
              examples: { refused: { summary: 'No token', value: { error: { code: 'unauthorized', message: '/metrics needs "Authorization: Bearer <QIG_METRICS_TOKEN>".' } } } },
            },
          },
        },
      },
    },
    {
      ...ops,
      tag: 'Files',
      method: 'get',
      path: '/files/{id}',
      operationId: 'getFile',
      summary: 'An image at a signed, expiring URL (as answers hand them out)',
      parameters: { path: z.object({ id: z.string().describe('{sha256}.{ext}') }), query: z.object({ exp: z.string().describe('Expiry, Unix seconds.'), sig: z.string().describe('The signature.') }) },
      responses: {
        '200': { description: 'The image.', content: { 'image/*': { schema: { raw: { type: 'string', contentMediaType: 'image/*' } } } } },
        '403': fileError('A missing or wrong signature.', 'Forbidden', 'The signature of this file URL is missing or wrong.'),
        '404': fileError('No such file.', 'NotFound', 'No such file.'),
        '410': fileError('The URL expired, or the image is no longer kept.', 'Expired', 'This file URL expired at 2026-01-06T02:12:09.000Z. Reading the task again gives a fresh URL while its images are kept (files.retentionDays after the task ended); after that they are deleted.'),
      },
    },
    { ...web, method: 'get', path: '/', operationId: 'playground', summary: 'The playground (also at /index.html)', responses: { '200': { description: 'The page.', content: html('The playground.') }, '503': { description: 'The web pages are not built (npm run build:web).', content: html('How to build them.') } } },
    { ...web, method: 'get', path: '/admin', operationId: 'adminConsole', summary: 'The admin console (also at /admin/)', responses: { '200': { description: 'The page.', content: html('The admin console.') }, '503': { description: 'The web pages are not built (npm run build:web).', content: html('How to build them.') } } },
    { ...web, method: 'get', path: '/account', operationId: 'accountPage', summary: 'The self-service account page, signed in with an API key (also at /account/)', responses: { '200': { description: 'The page.', content: html('The account page.') }, '503': { description: 'The web pages are not built (npm run build:web).', content: html('How to build them.') } } },
    { ...web, method: 'get', path: '/docs', operationId: 'docs', summary: 'This reference, interactive', responses: { '200': { description: 'The page.', content: html('The API reference.') } } },
    {
      ...web,
      method: 'get',
      path: '/sdk/client.tgz',
      operationId: 'clientPackage',
      summary: 'The typed TypeScript client, as an npm package: npm install <server>/sdk/client.tgz',
      responses: {
        '200': { description: 'The package tarball (@qwen-image-gateway/client).', content: { 'application/gzip': { schema: { raw: { type: 'string', contentMediaType: 'application/gzip' } } } } },
        '503': { description: 'The package is not built on this server (npm run build).', content: { 'text/plain': { schema: { raw: { type: 'string' } } } } },
      },
    },
    { ...web, method: 'get', path: '/openapi.json', operationId: 'openapi', summary: 'This document (OpenAPI 3.1)', responses: { '200': { description: 'The document.', content: { 'application/json': { schema: { raw: { type: 'object' } } } } } } },
  ];
}
