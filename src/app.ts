/** Builds the HTTP app from its dependencies. No I/O happens at import time. */
import type { RouteEntry } from './domain/channels.js';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { BlobStore } from './blobs/blob-store.js';
import type { UrlSigner } from './blobs/signing.js';
import type { AppConfig } from './config/load.js';
import type { DialectContext } from './dialects/context.js';
import { dashscopeRoutes } from './dialects/dashscope/routes.js';
import { falRoutes } from './dialects/fal/routes.js';
import { openAiRoutes } from './dialects/openai/routes.js';
import { seaartRoutes } from './dialects/seaart/routes.js';
import { accountRoutes } from './http/account.js';
import { presetRoutes } from './http/presets.js';
import { adminRoutes } from './http/admin.js';
import { adminTaskRoutes } from './http/admin-tasks.js';
import { adminChannelRoutes } from './http/admin-channels.js';
import { BodyGuard } from './http/body-guard.js';
import { catalogRoutes, type CatalogEngines } from './http/catalog.js';
import { fileRoutes } from './http/files.js';
import type { HttpMetrics } from './http/metrics.js';
import { opsRoutes, type DisabledCredential, type ReadinessCheck } from './http/ops.js';
import { parseJsonBody } from './http/json-body.js';
import { answerUnmatched, clientErrorAnswer, frameworkErrorAnswer } from './http/unmatched.js';
import { sdkRoutes } from './http/sdk.js';
import { webRoutes } from './http/web.js';
import { openApiRoutes } from './http/openapi/routes.js';
import type { Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import type { TaskQueue } from './queue/queue.js';
import type { AccountService } from './services/accounts.js';
import type { RedemptionService } from './services/redemption.js';
import type { UserService } from './services/users.js';
import { adminUserRoutes } from './http/admin-users.js';
import type { EngineHealth } from './services/engine-guard.js';
import type { KeyService } from './services/keys.js';
import type { EngineCapabilities } from './engines/engine.js';
import type { CatalogAdmin } from './services/channels/catalog-api.js';
import type { MarginFilter, MarginRow, TaskStore } from './store/ports.js';
import { endRequestTrace, logRequest, startRequestTrace } from './http/request-log.js';
import { withTraceContext } from './lib/tracing.js';

export interface AppDeps {
  config: AppConfig;
  logger: Logger;
  dialect: DialectContext;
  keys: KeyService;
  accounts: AccountService;
  users: UserService;
  redemptions: RedemptionService;
  blobs: BlobStore;
  signer: UrlSigner;
  clock: Clock;
  queue: TaskQueue;
  readiness: readonly ReadinessCheck[];
  /** The node's metrics; this app feeds the request and body metrics and serves them. */
  metrics: HttpMetrics;
  /** Each engine's circuit state and load, shown by /readyz and the admin API. */
  engineHealth: () => EngineHealth[];
  /** Upstream accounts out of rotation, shown by /readyz. */
  disabledCredentials: () => DisabledCredential[];
  /** The task table, read across keys by the admin API. */
  taskStore: TaskStore;
  /** An engine's declared capabilities, by name (the admin API shows them). */
  engineCapabilities: (name: string) => EngineCapabilities | undefined;
  /** Each model's first engine and the built-in engine's vocabulary, for the catalog. */
  catalogEngines: CatalogEngines;
  /** The version of the channels, routes and prices in force (the model catalog is rendered again when it changes). */
  catalogVersion: () => number;
  /** The routes in force. */
  routes: () => Readonly<Record<string, readonly RouteEntry[]>>;
  /** The built web pages (default web/dist). */
  webDir?: string | undefined;
  /** The catalog of channels, routes and prices, managed through the admin API (with `margins`). */
  catalog?: CatalogAdmin | undefined;
  /** Revenue, upstream cost and margin of settled usage, grouped (GET /admin/v1/margins). */
  margins?: ((filter: MarginFilter) => Promise<MarginRow[]>) | undefined;
  /** Sees each route as it is registered (the OpenAPI test lists them). */
  onRoute?: ((route: RouteOptions) => void) | undefined;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Widened to fastify's base logger so the instance keeps fastify's default logger type (the
    // plugins are typed against it); the rule cannot see that the generic needs it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Our onResponse hook logs requests once, concisely; fastify's two lines per request are too many.
    logController: new LogController({ disableRequestLogging: true }),
    // A client's own X-Request-Id (1–128 visible ASCII) is kept; otherwise one is made.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Ids in paths are short; a longer segment is answered by frameworkErrors in the path's dialect.
    routerOptions: { maxParamLength: 512 },
    frameworkErrors: (error, request, reply) => void frameworkErrorAnswer(error, request, reply),
    clientErrorHandler: clientErrorAnswer,
    // No per-request child logger: few requests log at all, and those name their request id.
    childLoggerFactory: (logger) => logger,
  });
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  // A connection must send its headers within 20 s, and only so many may be open at once.
  app.server.headersTimeout = 20_000;
  app.server.maxConnections = deps.config.limits.maxConnections;
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  app.decorateRequest('notes', null);
  app.decorateRequest('trace', null);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', parseJsonBody);
  const unmatched = answerUnmatched(app);
  const { limits } = deps.config;
  const { metrics } = deps;
  const bodies = new BodyGuard({
    maxInflightBytes: limits.maxInflightBodyBytes,
    idleMs: limits.bodyIdleSeconds * 1000,
    totalMs: limits.bodyTotalSeconds * 1000,
    onRefuse: (reason) => metrics.intakeRejected(reason),
  });
  app.addHook('onClose', (_instance, done) => {
    bodies.close();
    done();
  });
  metrics.watch({ queueStats: () => deps.queue.stats(), inflightBodyBytes: () => bodies.inflight(), engineHealth: deps.engineHealth });
  // One callback-style hook at each end of every request: async hooks cost a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    request.notes = {};
    request.trace = startRequestTrace(request);
    reply.header('x-request-id', request.id);
    // No route takes it: answered now, before a byte of its body is read or counted.
    if (request.is404) return done(unmatched(request, reply));
    done(bodies.admit(request, reply) ?? undefined);
  });
  // The handler runs in the request's trace context (when tracing is on).
  app.addHook('preHandler', (request, _reply, done) => withTraceContext(request.trace?.context ?? null, done));
  const logsEveryRequest = deps.logger.isLevelEnabled('info');
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? null;
    const elapsedMs = reply.elapsedTime;
    metrics.observe(request, reply, route, elapsedMs);
    // Nothing is built for a line that would not be written (`warn`, the high-throughput setting).
    if (logsEveryRequest || reply.statusCode >= 500) logRequest(request, reply, route, elapsedMs);
    endRequestTrace(request, reply);
    done();
  });

  await app.register(opsRoutes, {
    checks: deps.readiness,
    queueStats: () => deps.queue.stats(),
    engineHealth: deps.engineHealth,
    disabledCredentials: deps.disabledCredentials,
    metrics,
    metricsToken: deps.config.metricsToken,
  });
  await app.register(fileRoutes, { blobs: deps.blobs, signer: deps.signer, clock: deps.clock });
  await app.register(dashscopeRoutes, deps.dialect);
  await app.register(dashscopeRoutes, { ...deps.dialect, prefix: '/aliyun' } as DialectContext & { prefix: string });
  await app.register(openAiRoutes, { ...deps.dialect, defaultModel: deps.config.openai.defaultModel });
  await app.register(seaartRoutes, deps.dialect);
  await app.register(falRoutes, deps.dialect);
  const { adminToken } = deps.config;
  const margins = deps.margins ?? (async () => []);
  await app.register(accountRoutes, { dialect: deps.dialect, billing: deps.accounts.billing, users: deps.users, redemptions: deps.redemptions, margins });
  await app.register(catalogRoutes, { prices: () => deps.accounts.billing.prices, version: deps.catalogVersion, route: (model) => deps.accounts.billing.route(model), engines: deps.catalogEngines });
  await app.register(presetRoutes);
  await app.register(webRoutes, { dir: deps.webDir });
  await app.register(sdkRoutes, {});
  await app.register(openApiRoutes);
  if (adminToken) {
    await app.register(adminRoutes, { adminToken, accounts: deps.accounts });
    await app.register(adminUserRoutes, { adminToken, users: deps.users, accounts: deps.accounts, billing: deps.accounts.billing, redemptions: deps.redemptions });
    await app.register(adminTaskRoutes, {
      adminToken,
      tasks: deps.taskStore,
      currency: deps.accounts.billing.currency,
      engineHealth: deps.engineHealth,
      capabilities: deps.engineCapabilities,
      routes: deps.routes,
    });
    if (deps.catalog && deps.margins) {
      const accounts = deps.accounts;
      const keyNames = async () => new Map((await accounts.list()).map((key) => [key.id, key.name]));
      const userNames = async (ids: readonly string[]) => new Map((await deps.users.getMany(ids)).map((user) => [user.id, user.name]));
      await app.register(adminChannelRoutes, { adminToken, catalog: deps.catalog, margins: deps.margins, currency: accounts.billing.currency, keyNames, userNames });
    }
  }
  return app;
}
