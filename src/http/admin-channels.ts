/**
 * The catalog's admin API (decision 0011), behind the admin token: channels and their credentials,
 * routes, prices, the audit log, and margins. The schemas check the shape of a request only; the
 * catalog service judges the rest (engine options, models, amounts) and throws AppError.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { CatalogAdmin } from '../services/channels/catalog-api.js';
import type { MarginFilter, MarginRow } from '../store/ports.js';
import { parseOrThrow } from '../dialects/zod-errors.js';
import { present } from '../lib/present.js';
import { guardAdmin } from './admin-guard.js';
import { marginsAnswer, marginsCsv, marginsQuerySchema, marginsRequest } from './margins-report.js';

export interface AdminChannelDeps {
  adminToken: string;
  catalog: CatalogAdmin;
  margins: (filter: MarginFilter) => Promise<MarginRow[]>;
  currency: string;
  /** API key id → name, for the margins report. */
  keyNames: () => Promise<ReadonlyMap<string, string>>;
  /** The names of these users (those a report grouped by user shows). */
  userNames: (ids: readonly string[]) => Promise<ReadonlyMap<string, string>>;
}

const name = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(100);
/** Model id, family or "*" → a decimal amount as a string. */
const amountTable = z.record(z.string().min(1).max(200), z.string({ error: 'must be a decimal amount as a string, like "0.14"' }).max(32));

export const credentialInputSchema = z
  .object({
    apiKey: z.string({ error: 'is required' }).regex(/^[\x21-\x7e]{1,1000}$/, 'must be 1–1000 visible characters'),
    label: z.string().max(100).optional(),
    region: z.enum(['beijing', 'singapore']).nullable().optional(),
    qps: z.number().min(0.1).max(10_000).nullable().optional().describe('Calls started per second from one node; null: no limit.'),
    maxConcurrent: z.number().int().min(1).max(1000).nullable().optional().describe("Calls in flight from one node; null: the channel's maxConcurrent."),
    weight: z.number().int().min(1).max(1000).optional(),
    cost: amountTable.nullable().optional().describe("Upstream cost per image by model, overriding the channel's."),
    enabled: z.boolean().optional(),
  })
  .strict();

export const credentialPatchSchema = credentialInputSchema.partial().strict();

const engineOptions = z.record(z.string(), z.unknown());

export const channelInputSchema = z
  .object({
    name,
    engine: z.object({ type: z.string({ error: 'is required' }).min(1) }).loose().describe('The engine options as the config file\'s engines.<name> takes them, without apiKey and credentials.'),
    enabled: z.boolean().optional(),
    cost: amountTable.optional().describe('Upstream cost per image by model id, family or "*".'),
    test: z.enum(['query', 'task']).optional(),
    credentials: z.array(credentialInputSchema).max(100).optional(),
  })
  .strict();

export const channelPatchSchema = z
  .object({ engine: engineOptions.optional(), enabled: z.boolean().optional(), cost: amountTable.optional(), test: z.enum(['query', 'task']).optional() })
  .strict();

export const channelTestSchema = z.object({ credential: z.string().min(1).max(100).optional(), model: z.string().min(1).max(200).optional() }).strict();

export const routeEntrySchema = z.object({ channel: name, priority: z.number().int().min(-1000).max(1000), weight: z.number().int().min(1).max(1000) }).strict();

export const routeBodySchema = z.object({ entries: z.array(routeEntrySchema).min(1).max(100) }).strict();

export const pricesSchema = z.object({ perImage: amountTable, perEngine: z.record(z.string().min(1).max(100), amountTable) }).strict();

export const auditQuerySchema = z
  .object({
    limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).optional(),
    offset: z.coerce.number({ error: 'must be a number' }).int().min(0).optional(),
    subject: z.string().min(1).max(300).optional().describe('Only changes of this subject, e.g. channel:cloud.'),
  })
  .strict();

const parse = parseOrThrow;

/** Who changed the catalog, for its audit log. */
const actor = (request: FastifyRequest) => `admin (${request.ip})`;

type Named = { Params: { name: string } };
type Credential = { Params: { name: string; id: string } };

export async function adminChannelRoutes(app: FastifyInstance, deps: AdminChannelDeps): Promise<void> {
  guardAdmin(app, deps.adminToken);
  const { catalog } = deps;
  const noContent = (reply: FastifyReply) => reply.code(204).send();

  app.get('/admin/v1/channels', () => catalog.view());
  app.post('/admin/v1/channels', async (request, reply) => reply.code(201).send(await catalog.createChannel(parse(channelInputSchema, request.body ?? {}), actor(request))));
  app.get<Named>('/admin/v1/channels/:name', async (request) => {
    const channel = (await catalog.view()).channels.find((c) => c.name === request.params.name);
    if (!channel) throw new AppError('not_found', `No channel ${JSON.stringify(request.params.name)}.`);
    return channel;
  });
  app.patch<Named>('/admin/v1/channels/:name', (request) => catalog.updateChannel(request.params.name, parse(channelPatchSchema, request.body ?? {}), actor(request)));
  app.delete<Named>('/admin/v1/channels/:name', async (request, reply) => {
    await catalog.deleteChannel(request.params.name, actor(request));
    return noContent(reply);
  });

  app.post<Named>('/admin/v1/channels/:name/credentials', async (request, reply) =>
    reply.code(201).send(await catalog.addCredential(request.params.name, parse(credentialInputSchema, request.body ?? {}), actor(request))),
  );
  app.patch<Credential>('/admin/v1/channels/:name/credentials/:id', (request) =>
    catalog.updateCredential(request.params.name, request.params.id, present(parse(credentialPatchSchema, request.body ?? {})), actor(request)),
  );
  app.delete<Credential>('/admin/v1/channels/:name/credentials/:id', async (request, reply) => {
    await catalog.removeCredential(request.params.name, request.params.id, actor(request));
    return noContent(reply);
  });
  app.post<Named>('/admin/v1/channels/:name/test', (request) => catalog.testChannel(request.params.name, parse(channelTestSchema, request.body ?? {})));

  // A route key may be "*" (sent as %2A or as is): fastify hands the parameter decoded.
  app.get('/admin/v1/routes', async () => ({ routes: (await catalog.view()).routes }));
  app.put<{ Params: { model: string } }>('/admin/v1/routes/:model', async (request) => {
    const { entries } = parse(routeBodySchema, request.body ?? {});
    return { model: request.params.model, entries: await catalog.setRoute(request.params.model, entries, actor(request)) };
  });
  app.delete<{ Params: { model: string } }>('/admin/v1/routes/:model', async (request, reply) => {
    await catalog.deleteRoute(request.params.model, actor(request));
    return noContent(reply);
  });

  app.get('/admin/v1/prices', async () => ({ ...(await catalog.view()).prices, currency: deps.currency }));
  app.put('/admin/v1/prices', async (request) => ({ ...(await catalog.setPrices(parse(pricesSchema, request.body ?? {}), actor(request))), currency: deps.currency }));

  app.get('/admin/v1/audit', async (request) => {
    const query = parse(auditQuerySchema, request.query);
    const { entries, total } = await catalog.audit(query.limit ?? 50, query.offset ?? 0, query.subject);
    return { data: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })), total };
  });

  app.get('/admin/v1/margins', async (request, reply) => {
    const query = parse(marginsQuerySchema, request.query);
    const wanted = marginsRequest(query, Date.now());
    const [rows, keyNames] = await Promise.all([deps.margins(wanted.filter), deps.keyNames()]);
    const userIds = rows.flatMap((row) => (typeof row.userId === 'string' ? [row.userId] : []));
    const userNames = userIds.length > 0 ? await deps.userNames(userIds.slice(0, 10_000)) : new Map<string, string>();
    const credentials = catalog.credentialNames();
    const answer = marginsAnswer(wanted, rows, deps.currency, {
      credential: (channel, id) => credentials.get(`${channel ?? ''}/${id}`) ?? null,
      key: (id) => keyNames.get(id) ?? null,
      user: (id) => userNames.get(id) ?? null,
    });
    const csv = query.format === 'csv' || (query.format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''));
    if (!csv) return answer;
    const file = marginsCsv(answer);
    if (answer.truncated) void reply.header('x-truncated', 'true');
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file.filename}"`).send(file.body);
  });
}
