/**
 * Wires the gateway from a config: store, blobs, queue, events, engines, services, the HTTP app
 * and the worker, according to the role. main.ts runs it; tests start it in-process.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from './app.js';
import { DiskBlobStore } from './blobs/disk-store.js';
import { UrlSigner } from './blobs/signing.js';
import type { AppConfig } from './config/load.js';
import type { DialectContext } from './dialects/context.js';
import { AppError } from './domain/errors.js';
import { PriceList } from './domain/prices.js';
import type { TaskRecord } from './domain/task.js';
import type { Engine } from './engines/engine.js';
import { createEngines } from './engines/registry.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createSafeFetch, type Resolver } from './lib/safe-fetch.js';
import { Semaphore } from './lib/semaphore.js';
import { MemoryQueue } from './queue/memory-queue.js';
import { LocalTaskEvents } from './services/events.js';
import { InputService } from './services/inputs.js';
import { AccountService } from './services/accounts.js';
import { BillingService } from './services/billing.js';
import { KeyService } from './services/keys.js';
import { MemoryRateLimiter } from './services/rate-limit.js';
import { BlobOutputWriter } from './services/outputs.js';
import { EngineRouter } from './services/router.js';
import { TaskRunner } from './services/runner.js';
import { Sweeper } from './services/sweeper.js';
import { TaskService } from './services/tasks.js';
import { openStore, type SqlStore } from './store/db.js';
import { BillingStore } from './store/billing-store.js';
import { SqlKeyStore } from './store/key-store.js';
import { SqlSettingsStore } from './store/settings-store.js';
import { SqlTaskStore } from './store/task-store.js';

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
}

export interface WorkerTimings {
  leaseMs: number;
  sweepIntervalMs: number;
  sweepGraceMs: number;
  taskTimeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  attemptsPerEngine: number;
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
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export async function startGateway(config: AppConfig, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const timings = { ...defaultTimings(config.limits.leaseSeconds), ...options.worker };
  if (config.role !== 'all' && !config.redisUrl) {
    throw new Error(`QIG_ROLE=${config.role} needs a shared queue: set REDIS_URL (the embedded queue lives inside one process).`);
  }
  if (config.redisUrl) throw new Error('REDIS_URL: the BullMQ queue driver is not available in this version yet.');

  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const taskStore = new SqlTaskStore(store.db);
  const keyStore = new SqlKeyStore(store.db);
  const settings = new SqlSettingsStore(store.db);
  const blobs = new DiskBlobStore(join(config.dataDir, 'blobs'));
  const secret = config.files.signingSecret ?? (await settings.getOrCreate('url_signing_secret', () => randomBytes(32).toString('base64url')));
  const signer = new UrlSigner(secret, config.publicUrl);
  const events = new LocalTaskEvents();
  const queue = new MemoryQueue((taskId, error) => logger.error({ taskId, err: error }, 'task handler crashed'));
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
  const router = new EngineRouter(engines, config.routes);

  const keys = new KeyService(keyStore, clock);
  const billingStore = new BillingStore(store.db, config.prices.currency);
  const billing = new BillingService(billingStore, new PriceList(config.prices.currency, config.prices.perImage), clock, logger);
  const accounts = new AccountService(keys, billing);
  const inputs = new InputService(safeFetch, blobs, new Semaphore(config.limits.intakeConcurrency), {
    maxInputPixels: config.limits.maxInputPixels,
  });
  const tasks = new TaskService(
    { store: taskStore, billingStore, billing, limiter: new MemoryRateLimiter(clock), queue, events, inputs, clock, logger },
    { maxQueuedTasks: config.limits.maxQueuedTasks },
  );
  const urlTtlMs = config.files.urlTtlSeconds * 1000;
  const outputUrls = (task: TaskRecord) =>
    task.outputs.map((output) => signer.fileUrl(output.blobId, (task.finishedAt ?? clock.now()) + urlTtlMs));

  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const runner = new TaskRunner(
    { store: taskStore, queue, events, blobs, signer, router, outputs: new BlobOutputWriter(blobs, safeFetch), billing, clock, logger },
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

  let developmentKey: string | null = null;
  if (isLoopback(config.host)) developmentKey = await keys.ensureDevelopmentKey(config.dataDir);

  const runsWorker = config.role !== 'api';
  if (runsWorker) {
    await sweeper.sweepOnce();
    await sweeper.enqueueQueued();
    queue.consume((taskId) => runner.run(taskId), config.limits.workerConcurrency);
    sweeper.start();
  }

  let app: FastifyInstance | null = null;
  let url: string | null = null;
  if (config.role !== 'worker') {
    const dialect: DialectContext = {
      tasks,
      keys,
      outputUrls,
      outputBytes: (task) =>
        Promise.all(
          task.outputs.map(async (output) => {
            const bytes = await blobs.get(output.blobId);
            if (!bytes) throw new AppError('internal', `Output ${output.blobId} of task ${task.id} is missing from the blob store.`);
            return bytes;
          }),
        ),
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
      readiness: [{ name: 'database', check: async () => void (await sql`select 1`.execute(store.db)) }],
    });
    if (options.listen !== false) {
      const address = await app.listen({ host: config.host, port: config.port });
      url = address;
      if (!config.publicUrlExplicit) signer.rebase(address);
    }
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
    async close() {
      sweeper.stop();
      if (app) {
        // Let answers in flight finish, but do not wait forever on a client that stopped reading.
        const server = app.server;
        const force = setTimeout(() => server.closeAllConnections(), 5_000);
        await app.close();
        clearTimeout(force);
      }
      await queue.close(10_000);
      for (const engine of engines.values()) await engine.close?.();
      await store.close();
    },
  };
}
