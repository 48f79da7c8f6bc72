/**
 * The composition root: wires the gateway from a config — stores, drivers, engines, services, the
 * HTTP app and the worker — according to the role. Its parts live in composition/. main.ts runs
 * it; tests start it in-process.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from './app.js';
import { MAX_PRESIGN_SECONDS } from './blobs/s3-presign.js';
import { UrlSigner } from './blobs/signing.js';
import { openChannels } from './composition/channels.js';
import { disabledCredentials } from './services/channels/views.js';
import { openDrivers } from './composition/drivers.js';
import { createQueueServices } from './composition/queue-services.js';
import { openStores } from './composition/stores.js';
import { workerTimings, type WorkerTimings } from './composition/timings.js';
import { builtInEngineNotice } from './composition/built-in-notice.js';
import { startTracing } from './composition/tracing.js';
import { startWorkerRole } from './composition/worker-role.js';
import type { AppConfig } from './config/load.js';
import type { DialectContext } from './dialects/context.js';
import { falWebhook } from './dialects/fal/render.js';
import { seaartWebhook } from './dialects/seaart/render.js';
import { listModels, type ModelSpec } from './domain/models.js';
import type { Engine } from './engines/engine.js';
import { VOCABULARY } from './engines/local/index.js';
import type { EngineRef } from './http/catalog.js';
import { createMetrics } from './http/metrics.js';
import { buildWorkerOpsApp } from './http/worker-ops.js';
import { systemClock, type Clock } from './lib/clock.js';
import { isLoopbackHost } from './lib/ip-policy.js';
import type { Logger } from './lib/logger.js';
import { createSafeFetch } from './lib/safe-fetch.js';
import { Semaphore } from './lib/semaphore.js';
import type { Resolver } from './lib/url-guard.js';
import { AccountService } from './services/accounts.js';
import { RedemptionService } from './services/redemption.js';
import { UserService } from './services/users.js';
import { BillingService } from './services/billing.js';
import { EndingWatch, withEndingWatch } from './services/ending-watch.js';
import { Idempotency } from './services/idempotency.js';
import { InputService } from './services/inputs.js';
import { ownFileReader } from './services/own-files.js';
import { KeyService } from './services/keys.js';
import { OutputLinks } from './services/output-links.js';
import { OutputRetention } from './services/output-retention.js';
import { BlobOutputWriter } from './services/outputs.js';
import { TaskRunner } from './services/runner.js';
import { Sweeper } from './services/sweeper.js';
import { TaskService } from './services/tasks.js';
import type { SqlStore } from './store/db.js';

export interface GatewayOptions {
  logger: Logger;
  clock?: Clock;
  /** Replaces DNS for the URL guard (tests). */
  resolver?: Resolver;
  /** Engines by name, replacing those the config would build (tests). */
  engines?: ReadonlyMap<string, Engine>;
  /** Worker timings; tests shorten them. */
  worker?: Partial<WorkerTimings>;
  /** Listen on config.host/port (default true); false leaves the app for inject(). */
  listen?: boolean;
  /** The built web pages to serve (default web/dist; tests build their own). */
  webDir?: string;
  /** Sees each route of the API app as it is registered (the OpenAPI test lists them). */
  onRoute?: (route: RouteOptions) => void;
}

export interface Gateway {
  config: AppConfig;
  app: FastifyInstance | null;
  /** Base URL the server listens on (with the real port), when listening. */
  url: string | null;
  tasks: TaskService;
  keys: KeyService;
  accounts: AccountService;
  /** The development key created at this start, if any. */
  developmentKey: string | null;
  /** The SQL store (tools and tests read it directly). */
  store: SqlStore;
  sweeper: Sweeper;
  /** Deletes the images of tasks past `files.retentionDays` (worker nodes run it every few minutes). */
  retention: OutputRetention;
  close(): Promise<void>;
}

export async function startGateway(config: AppConfig, options: GatewayOptions): Promise<Gateway> {
  // Tracing is process-wide: it stops with this gateway, or at once if the start fails.
  const stopTracing = startTracing(config);
  try {
    const gateway = await assemble(config, options);
    return {
      ...gateway,
      async close() {
        try {
          await gateway.close();
        } finally {
          await stopTracing?.();
        }
      },
    };
  } catch (error) {
    await stopTracing?.();
    throw error;
  }
}

async function assemble(config: AppConfig, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const timings = workerTimings(config.limits, options.worker);
  if (config.role !== 'all' && !config.redisUrl) {
    throw new Error(`QIG_ROLE=${config.role} needs a shared queue: set REDIS_URL (the embedded queue lives inside one process).`);
  }

  const stores = await openStores(config, logger);
  const { sql: store, tasks: taskStore } = stores;
  const drivers = await openDrivers(config, { logger, clock, lockMs: timings.leaseMs });
  const { blobs, queue, events } = drivers;
  // Waiters also read their task back now and then: an ending's event can be lost between nodes.
  const waitEvents = withEndingWatch(events, new EndingWatch(taskStore, timings.endingCheckMs, (error) => logger.warn({ err: error }, 'reading waited-on tasks failed')));
  const secret = config.files.signingSecret ?? (await stores.settings.getOrCreate('url_signing_secret', () => randomBytes(32).toString('base64url')));
  const signer = new UrlSigner(secret, config.publicUrl);
  // Filled as engines are built: connections to their configured upstreams are kept open.
  const upstreamHosts = new Set<string>();
  const safeFetch = createSafeFetch({
    allowHosts: config.fetch.allowHosts,
    timeoutMs: config.fetch.timeoutMs,
    maxRedirects: config.fetch.maxRedirects,
    resolver: options.resolver,
    keepAlive: (hostPort) => upstreamHosts.has(hostPort),
  });
  // One registry per node, fed by the services, this node's task events and its HTTP app.
  const metrics = createMetrics({ engines: [...new Set([...Object.keys(config.engines), ...(options.engines?.keys() ?? [])])], currency: config.prices.currency });
  events.subscribeLocal((event) => metrics.taskEvent(event));
  const channels = await openChannels(config, {
    store: stores.channels,
    ledger: stores.ledger,
    tasks: taskStore,
    events,
    engineDeps: {
      logger,
      clock,
      fetch: { allowHosts: config.fetch.allowHosts, maxRedirects: config.fetch.maxRedirects, resolver: options.resolver },
      localThreads: config.limits.workerConcurrency,
      upstreamHosts,
    },
    injected: options.engines,
    metrics,
    clock,
    logger,
    runsTasks: config.role !== 'api',
  });
  const { live } = channels;
  const engineOf = (model: ModelSpec): EngineRef | null => {
    const first = live.router.route(model)[0];
    return first ? { name: first.name, type: first.type } : null;
  };
  const notice = builtInEngineNotice(listModels(), engineOf);
  if (notice) logger.warn({ models: notice.models }, notice.message);

  const keys = new KeyService(stores.keys, clock);
  // Priced by the channels in force (a `local` one is free unless perEngine names it).
  const billing = new BillingService(stores.ledger, () => live.prices, clock, logger, (model) => live.router.names(model));
  const users = new UserService({ users: stores.users, groups: stores.groups, keys, billing, clock });
  const accounts = new AccountService(keys, billing, users);
  const redemptions = new RedemptionService(stores.redemptions, billing, clock);
  const inputs = new InputService(
    safeFetch,
    blobs,
    new Semaphore(config.limits.intakeConcurrency),
    { maxInputPixels: config.limits.maxInputPixels },
    metrics,
    ownFileReader(signer, blobs, clock),
  );
  const tasks = new TaskService(
    { store: taskStore, billing, idempotency: new Idempotency(stores.idempotency, taskStore, clock, logger), limiter: drivers.limiter, queue, events: waitEvents, inputs, clock, logger },
    { maxQueuedTasks: config.limits.maxQueuedTasks },
  );
  const retentionMs = config.files.retentionDays * 24 * 3_600_000;
  const links = new OutputLinks(blobs, drivers.presigner ?? signer, safeFetch, clock, {
    urlTtlMs: config.files.urlTtlSeconds * 1000,
    retentionMs,
    maxUrlMs: drivers.presigner ? MAX_PRESIGN_SECONDS * 1000 : undefined,
  });
  const retention = new OutputRetention(stores.blobRetention, blobs, clock, logger, { retentionMs, intervalMs: timings.retentionIntervalMs });

  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const runner = new TaskRunner(
    {
      store: taskStore,
      queue,
      events,
      blobs,
      signer,
      router: { route: (model, taskId) => live.router.route(model, taskId), get: (name) => live.router.get(name) },
      outputs: new BlobOutputWriter(blobs, safeFetch, config.fetch.timeoutMs),
      unitPrice: (model, engine) => billing.unitPrice(model, engine),
      unitCost: (model, engine, credential) => live.unitCost(model, engine, credential),
      clock,
      logger,
    },
    {
      workerId,
      leaseMs: timings.leaseMs,
      retry: { attemptsPerEngine: timings.attemptsPerEngine, baseDelayMs: timings.retryBaseDelayMs, maxDelayMs: timings.retryMaxDelayMs },
      taskTimeoutMs: timings.taskTimeoutMs,
      inputUrlTtlMs: timings.inputUrlTtlMs,
    },
  );
  const sweeper = new Sweeper(taskStore, queue, events, billing, clock, logger, {
    graceMs: timings.sweepGraceMs,
    maxAttempts: config.limits.maxAttempts,
    intervalMs: timings.sweepIntervalMs,
  });

  const queueServices = createQueueServices({
    requests: stores.queueRequests,
    deliveries: stores.deliveries,
    taskStore,
    tasks,
    events: waitEvents,
    settings: stores.settings,
    clock,
    logger,
    renderers: {
      fal: (task, request) => falWebhook(task, links.urls(task), request.timedOut),
      seaart: (task) => seaartWebhook(task, links.urls(task)),
    },
    webhooks: config.webhooks,
    allowHosts: config.fetch.allowHosts,
    resolver: options.resolver,
    workerId,
    sweepIntervalMs: timings.sweepIntervalMs,
  });

  let developmentKey: string | null = null;
  if (isLoopbackHost(config.host)) developmentKey = await keys.ensureDevelopmentKey(config.dataDir);

  const stopWorker =
    config.role === 'api'
      ? null
      : await startWorkerRole({ sweeper, queue, runner, retention, queueServices, logger, concurrency: config.limits.workerConcurrency, sharedQueue: config.redisUrl !== null, requeueIntervalMs: Math.min(60_000, Math.max(5_000, timings.leaseMs)) });
  const readiness = [{ name: 'database', check: async () => void (await sql`select 1`.execute(store.db)) }, ...drivers.readiness];

  let app: FastifyInstance | null = null;
  let url: string | null = null;
  if (config.role !== 'worker') {
    const dialect: DialectContext = {
      tasks,
      keys,
      queueRequests: queueServices.queueRequests,
      outputUrls: (task) => links.urls(task),
      outputUrlEpoch: () => links.epoch(),
      outputBytes: (task) => links.bytes(task),
      syncWaitMs: config.limits.syncWaitSeconds * 1000,
      maxJsonBodyBytes: 48 * 1024 * 1024,
      publicUrl: () => signer.base,
      currency: config.prices.currency,
    };
    app = await buildApp({
      config,
      logger,
      dialect,
      keys,
      accounts,
      users,
      redemptions,
      blobs,
      signer,
      clock,
      queue,
      readiness,
      metrics,
      engineHealth: () => live.router.health(),
      disabledCredentials: () => disabledCredentials(live.catalog),
      taskStore,
      engineCapabilities: (name) => live.router.get(name)?.capabilities,
      catalogEngines: { engineOf, vocabulary: VOCABULARY },
      catalogVersion: () => live.version,
      routes: () => live.catalog.routes,
      catalog: channels.admin,
      margins: (filter) => stores.ledger.margins(filter),
      webDir: options.webDir,
      onRoute: options.onRoute,
    });
  } else {
    app = await buildWorkerOpsApp({ logger, queue, readiness, metrics, metricsToken: config.metricsToken, engineHealth: () => live.router.health(), disabledCredentials: () => disabledCredentials(live.catalog) });
  }
  if (options.listen !== false) {
    const address = await app.listen({ host: config.host, port: config.port });
    url = address;
    // A worker's own address serves no files: its URLs keep naming the API (QIG_PUBLIC_URL).
    if (!config.publicUrlExplicit && config.role !== 'worker') signer.rebase(address);
  }

  return {
    config,
    app,
    url,
    tasks,
    keys,
    accounts,
    developmentKey,
    store,
    sweeper,
    retention,
    async close() {
      stopWorker?.();
      if (app) {
        // Let answers in flight finish, but do not wait forever on a client that stopped reading.
        const server = app.server;
        const force = setTimeout(() => server.closeAllConnections(), 5_000);
        await app.close();
        clearTimeout(force);
      }
      await queue.close(10_000);
      // After the queue drained, so tasks ending meanwhile still get their webhook scheduled.
      await queueServices.close();
      await drivers.close();
      await channels.close();
      await taskStore.flushLogs();
      await store.close();
    },
  };
}
