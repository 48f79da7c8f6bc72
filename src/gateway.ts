/**
 * Wires the gateway from a config: store, blobs, queue, events, engines, services, the HTTP app
 * and the worker, according to the role. main.ts runs it; tests start it in-process.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from './app.js';
import { UrlSigner } from './blobs/signing.js';
import type { AppConfig } from './config/load.js';
import type { DialectContext } from './dialects/context.js';
import { openDrivers } from './drivers.js';
import { falWebhook } from './dialects/fal/render.js';
import { seaartWebhook } from './dialects/seaart/render.js';
import { PriceList } from './domain/prices.js';
import type { Engine } from './engines/engine.js';
import type { EngineConfig } from './engines/options.js';
import { createEngines } from './engines/registry.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { isLoopbackHost } from './lib/ip-policy.js';
import { createSafeFetch } from './lib/safe-fetch.js';
import type { Resolver } from './lib/url-guard.js';
import { Semaphore } from './lib/semaphore.js';
import { InputService } from './services/inputs.js';
import { AccountService } from './services/accounts.js';
import { BillingService } from './services/billing.js';
import { KeyService } from './services/keys.js';
import { buildWorkerOpsApp } from './http/worker-ops.js';
import { OutputLinks } from './services/output-links.js';
import { BlobOutputWriter } from './services/outputs.js';
import { createQueueServices } from './services/queue-setup.js';
import { GuardedEngine, type GuardOptions } from './services/engine-guard.js';
import { EngineRouter } from './services/router.js';
import { TaskRunner } from './services/runner.js';
import { EndingWatch, withEndingWatch } from './services/ending-watch.js';
import { Idempotency } from './services/idempotency.js';
import { OutputRetention } from './services/output-retention.js';
import { Sweeper } from './services/sweeper.js';
import { SqlIdempotencyStore } from './store/idempotency-store.js';
import { SqlBlobRetentionStore } from './store/blob-retention-store.js';
import { MAX_PRESIGN_SECONDS } from './blobs/s3-presign.js';
import { TaskService } from './services/tasks.js';
import { openStore, type SqlStore } from './store/db.js';
import { SqlLedger } from './store/ledger-store.js';
import { SqlKeyStore } from './store/key-store.js';
import { SqlSettingsStore } from './store/settings-store.js';
import { SqlTaskStore } from './store/task-store.js';
import { SqlDeliveryStore } from './store/delivery-store.js';
import { SqlQueueRequestStore } from './store/queue-request-store.js';

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
}

export interface WorkerTimings {
  leaseMs: number;
  sweepIntervalMs: number;
  sweepGraceMs: number;
  taskTimeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  attemptsPerEngine: number;
  /** How often a worker deletes the images of tasks past the output retention. */
  retentionIntervalMs: number;
  /** How often the tasks someone waits on are read back, in case the event of their ending was lost. */
  endingCheckMs: number;
}

/** Worker timings; the lease, sweep interval and grace follow `limits.leaseSeconds`. */
function defaultTimings(leaseSeconds: number): WorkerTimings {
  const leaseMs = leaseSeconds * 1000;
  return {
    leaseMs,
    sweepIntervalMs: Math.max(100, Math.round(leaseMs / 3)),
    sweepGraceMs: Math.min(5_000, Math.round(leaseMs / 6)),
    taskTimeoutMs: 30 * 60_000,
    retryBaseDelayMs: 1_000,
    retryMaxDelayMs: 30_000,
    attemptsPerEngine: 3,
    retentionIntervalMs: 10 * 60_000,
    endingCheckMs: 2_000,
  };
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

function guardOptions(engine: EngineConfig | undefined): GuardOptions {
  return {
    maxConcurrent: engine?.maxConcurrent ?? null,
    failureThreshold: engine?.circuit?.failures ?? 5,
    openMs: (engine?.circuit?.openSeconds ?? 30) * 1000,
    outputs: engine?.outputs ?? 'rehost',
  };
}

export async function startGateway(config: AppConfig, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const timings = { ...defaultTimings(config.limits.leaseSeconds), ...options.worker };
  if (config.role !== 'all' && !config.redisUrl) {
    throw new Error(`QIG_ROLE=${config.role} needs a shared queue: set REDIS_URL (the embedded queue lives inside one process).`);
  }

  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.limits.databasePoolSize,
    backgroundCheckpoints: {
      intervalMs: 250,
      onFailure: (error) => logger.warn({ err: error }, 'the SQLite checkpoint thread failed; commits checkpoint the WAL again'),
    },
    // The message only: pg's error carries its whole client object.
    onConnectionError: (error) => logger.warn({ error: error.message }, 'a Postgres connection failed; the pool opens another'),
  });
  const taskStore = new SqlTaskStore(store.db, { currency: config.prices.currency, onLogError: (error) => logger.warn({ err: error }, 'task log lines could not be written') });
  const keyStore = new SqlKeyStore(store.db);
  const settings = new SqlSettingsStore(store.db);
  const drivers = await openDrivers(config, { logger, clock, lockMs: timings.leaseMs });
  const { blobs, queue, events } = drivers;
  // Waiters also read their task back now and then: an ending's event can be lost between nodes.
  const waitEvents = withEndingWatch(events, new EndingWatch(taskStore, timings.endingCheckMs, (error) => logger.warn({ err: error }, 'reading waited-on tasks failed')));
  const secret = config.files.signingSecret ?? (await settings.getOrCreate('url_signing_secret', () => randomBytes(32).toString('base64url')));
  const signer = new UrlSigner(secret, config.publicUrl);
  const safeFetch = createSafeFetch({
    allowHosts: config.fetch.allowHosts,
    timeoutMs: config.fetch.timeoutMs,
    maxRedirects: config.fetch.maxRedirects,
    resolver: options.resolver,
  });
  const engines =
    options.engines ??
    createEngines(config.engines, {
      logger,
      clock,
      fetch: { allowHosts: config.fetch.allowHosts, maxRedirects: config.fetch.maxRedirects, resolver: options.resolver },
    });
  const router = new EngineRouter(
    new Map([...engines].map(([name, engine]) => [name, new GuardedEngine(engine, guardOptions(config.engines[name]), clock)])),
    config.routes,
  );

  const keys = new KeyService(keyStore, clock);
  const billing = new BillingService(new SqlLedger(store.db, config.prices.currency), new PriceList(config.prices.currency, config.prices.perImage), clock, logger);
  const accounts = new AccountService(keys, billing);
  const inputs = new InputService(safeFetch, blobs, new Semaphore(config.limits.intakeConcurrency), {
    maxInputPixels: config.limits.maxInputPixels,
  });
  const tasks = new TaskService(
    { store: taskStore, billing, idempotency: new Idempotency(new SqlIdempotencyStore(store.db), taskStore, clock, logger), limiter: drivers.limiter, queue, events: waitEvents, inputs, clock, logger },
    { maxQueuedTasks: config.limits.maxQueuedTasks },
  );
  const retentionMs = config.files.retentionDays * 24 * 3_600_000;
  const links = new OutputLinks(blobs, drivers.presigner ?? signer, safeFetch, clock, {
    urlTtlMs: config.files.urlTtlSeconds * 1000,
    retentionMs,
    maxUrlMs: drivers.presigner ? MAX_PRESIGN_SECONDS * 1000 : undefined,
  });
  const retention = new OutputRetention(new SqlBlobRetentionStore(store.db), blobs, clock, logger, { retentionMs, intervalMs: timings.retentionIntervalMs });

  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const runner = new TaskRunner(
    { store: taskStore, queue, events, blobs, signer, router, outputs: new BlobOutputWriter(blobs, safeFetch, config.fetch.timeoutMs), clock, logger },
    {
      workerId,
      leaseMs: timings.leaseMs,
      retry: { attemptsPerEngine: timings.attemptsPerEngine, baseDelayMs: timings.retryBaseDelayMs, maxDelayMs: timings.retryMaxDelayMs },
      taskTimeoutMs: timings.taskTimeoutMs,
      inputUrlTtlMs: 3_600_000,
    },
  );
  const sweeper = new Sweeper(taskStore, queue, events, billing, clock, logger, {
    graceMs: timings.sweepGraceMs,
    maxAttempts: config.limits.maxAttempts,
    intervalMs: timings.sweepIntervalMs,
  });

  const queueServices = createQueueServices({
    requests: new SqlQueueRequestStore(store.db),
    deliveries: new SqlDeliveryStore(store.db),
    taskStore,
    tasks,
    events: waitEvents,
    settings,
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

  const runsWorker = config.role !== 'api';
  // A Redis that restarted without its data forgot queued ids: the database hands them over again.
  let requeue: NodeJS.Timeout | null = null;
  if (runsWorker) {
    await sweeper.sweepOnce();
    await sweeper.enqueueQueued();
    // Before consuming, so a task whose start deadline passed while no node ran is not started.
    await queueServices.startWorker();
    queue.consume((taskId) => runner.run(taskId), config.limits.workerConcurrency);
    sweeper.start();
    retention.start();
    if (config.redisUrl) {
      // The database may be coming back too (a host restart): a failed refill is tried again.
      const refill = (why: string, attempt = 1): void =>
        void sweeper.refillQueue().then(
          (counts) => logger.warn({ ...counts }, why),
          (error: unknown) => {
            logger.warn({ err: error, attempt }, 're-queueing tasks failed');
            if (attempt < 12) setTimeout(() => refill(why, attempt + 1), 5_000).unref();
          },
        );
      // Noticed on reconnect; the tick is the backstop for a loss no reconnect revealed.
      queue.onLost?.(() => refill('Redis came back without the task queue: refilled it from the database'));
      requeue = setInterval(() => void sweeper.enqueueQueued().catch((error: unknown) => logger.warn({ err: error }, 're-queueing queued tasks failed')), 60_000);
      requeue.unref();
    }
  }
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
    };
    app = await buildApp({
      config,
      logger,
      dialect,
      keys,
      accounts,
      blobs,
      signer,
      clock,
      queue,
      events,
      readiness,
      engineHealth: () => router.health(),
      taskStore,
      engineCapabilities: (name) => router.get(name)?.capabilities,
      webDir: options.webDir,
    });
  } else {
    app = await buildWorkerOpsApp({ logger, queue, events, readiness, engineHealth: () => router.health() });
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
      sweeper.stop();
      retention.stop();
      if (requeue) clearInterval(requeue);
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
      for (const engine of engines.values()) await engine.close?.();
      await taskStore.flushLogs();
      await store.close();
    },
  };
}
