/**
 * (queue) Tasks per second through the gateway's task path — submit (rules, hold, insert, queue),
 * claim, an instant engine, store the output, settle — on the in-process queue and on BullMQ
 * (REDIS_URL) side by side, with DATABASE_URL also on BullMQ + Postgres; and the delay from
 * submit to the engine's start at a steady load the path can carry (under a burst it is only the
 * backlog). Bare queue round trips (BullMQ's own add → process, and our drivers' enqueue →
 * handler) are printed for reference.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import sharp from 'sharp';
import { loadConfig } from '../src/config/load.js';
import { DASHSCOPE_FIELD_NAMES } from '../src/domain/request.js';
import type { Engine, EngineResult } from '../src/engines/engine.js';
import { startGateway } from '../src/gateway.js';
import { silentLogger } from '../src/lib/logger.js';
import { BullMqQueue } from '../src/queue/bullmq-queue.js';
import { MemoryQueue } from '../src/queue/memory-queue.js';
import type { TaskQueue } from '../src/queue/queue.js';
import { dropRedisPrefixes } from '../test/helpers/redis.js';
import { postgresSchemaUrl, tempDir } from '../test/helpers/stores.js';
import { percentile, table } from './lib/report.js';

const TASKS = Number(process.env.BENCH_QUEUE_TASKS ?? 2000);
/** Which rows to run: any of memory, bullmq-sqlite, bullmq-postgres, drivers (default: all). */
const PATHS = new Set((process.env.BENCH_QUEUE_PATHS ?? 'memory,bullmq-sqlite,bullmq-postgres,drivers').split(','));
/** The Postgres pool of the gateway under test (its default: 10). */
const POOL = process.env.BENCH_QUEUE_POOL ? Number(process.env.BENCH_QUEUE_POOL) : undefined;
const SUBMITTERS = 64;
const WORKER_CONCURRENCY = 32;
/** The steady load of the latency measurement, and its length. */
const PACED_PER_SECOND = 100;
const PACED_TASKS = 500;

/** An engine that answers at once with a ready PNG (stored byte for byte), noting when each task started. */
function instantEngine(png: Buffer, started: Map<string, number>): Engine {
  return {
    name: 'instant',
    type: 'bench-instant',
    capabilities: { models: '*', maxImagesPerCall: 6, watermark: false, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: true },
    async start(call): Promise<EngineResult> {
      started.set(call.taskId, performance.now());
      return { status: 'done', images: [{ kind: 'encoded', data: png, contentType: 'image/png' }] };
    },
    async poll(): Promise<EngineResult> {
      throw new Error('the instant engine never goes pending');
    },
    async cancel() {},
  };
}

interface Row {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
}

function delaysOf(ids: readonly string[], from: Map<string, number>, to: Map<string, number>): number[] {
  return ids.map((id) => (to.get(id) ?? NaN) - (from.get(id) ?? NaN)).sort((a, b) => a - b);
}

async function throughGateway(name: string, env: Record<string, string>, png: Buffer): Promise<Row> {
  const dir = tempDir('qig-bench-queue-');
  const started = new Map<string, number>();
  const engine = instantEngine(png, started);
  const config = loadConfig({ QIG_DATA_DIR: dir.path, QIG_LOG_LEVEL: 'silent', ...env }, dir.path);
  const gateway = await startGateway(
    { ...config, engines: { instant: { type: 'local' } }, routes: { '*': [{ channel: 'instant', priority: 1, weight: 1 }] }, limits: { ...config.limits, workerConcurrency: WORKER_CONCURRENCY, maxQueuedTasks: TASKS * 2, databasePoolSize: POOL ?? config.limits.databasePoolSize } },
    { logger: silentLogger(), engines: new Map([['instant', engine]]), listen: false },
  );
  try {
    const principal = await gateway.keys.authenticate(`Bearer ${gateway.developmentKey}`);
    const submittedAt = new Map<string, number>();
    const submitOne = async (i: number) => {
      const at = performance.now();
      const task = await gateway.tasks.submit(principal, {
        request: { model: 'qwen-image-2.0-pro', prompt: `bench ${i}`, images: [], n: 1, size: '512*512' },
        fields: DASHSCOPE_FIELD_NAMES,
        origin: 'bench',
        requestId: `bench-${i}`,
      });
      submittedAt.set(task.id, at);
      return task.id;
    };
    // Warm-up: connections, prepared statements, JIT.
    for (const id of await Promise.all(Array.from({ length: 50 }, (_, i) => submitOne(-i)))) await gateway.tasks.wait(principal, id, 30_000);
    started.clear();
    submittedAt.clear();

    const finish = async (ids: readonly string[]) => {
      for (const id of ids) {
        const task = await gateway.tasks.wait(principal, id, 60_000);
        if (task?.status !== 'succeeded') throw new Error(`${name}: task ${id} ended ${task?.status}`);
      }
    };

    const begin = performance.now();
    let next = 0;
    const burst: string[] = [];
    await Promise.all(Array.from({ length: SUBMITTERS }, async () => {
      while (next < TASKS) burst.push(await submitOne(next++));
    }));
    await finish(burst);
    const seconds = (performance.now() - begin) / 1000;

    const paced: Array<Promise<string>> = [];
    for (let i = 0; i < PACED_TASKS; i += 1) {
      paced.push(submitOne(TASKS + i));
      await sleep(1000 / PACED_PER_SECOND);
    }
    const pacedIds = await Promise.all(paced);
    await finish(pacedIds);
    const delays = delaysOf(pacedIds, submittedAt, started);
    return { name, perSecond: TASKS / seconds, p50: percentile(delays, 50), p99: percentile(delays, 99) };
  } finally {
    await gateway.close();
    dir.remove();
  }
}

/** Our queue drivers alone: enqueue → handler, no database. */
async function throughDriver(name: string, queue: TaskQueue): Promise<Row> {
  const enqueuedAt = new Map<string, number>();
  const delays: number[] = [];
  let done = 0;
  let finished: () => void = () => {};
  const all = new Promise<void>((resolve) => (finished = resolve));
  queue.consume(async (id) => {
    delays.push(performance.now() - (enqueuedAt.get(id) ?? NaN));
    if ((done += 1) === TASKS) finished();
  }, WORKER_CONCURRENCY);
  const begin = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: SUBMITTERS }, async () => {
    while (next < TASKS) {
      const id = `job-${next++}`;
      enqueuedAt.set(id, performance.now());
      await queue.enqueue(id);
    }
  }));
  await all;
  const seconds = (performance.now() - begin) / 1000;
  await queue.close();
  delays.sort((a, b) => a - b);
  return { name, perSecond: TASKS / seconds, p50: percentile(delays, 50), p99: percentile(delays, 99) };
}

/** BullMQ itself: Queue.add → Worker processor. */
async function bareBullMq(name: string, url: string, prefix: string): Promise<Row> {
  const queue = new Queue('bare', { connection: { url }, prefix });
  const delays: number[] = [];
  let finished: () => void = () => {};
  const all = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker<{ at: number }>('bare', async (job) => {
    delays.push(Date.now() - job.data.at);
    if (delays.length === TASKS) finished();
  }, { connection: { url }, prefix, concurrency: WORKER_CONCURRENCY });
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  const begin = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: SUBMITTERS }, async () => {
    while (next++ < TASKS) await queue.add('job', { at: Date.now() }, { removeOnComplete: true });
  }));
  await all;
  const seconds = (performance.now() - begin) / 1000;
  await worker.close();
  await queue.close();
  delays.sort((a, b) => a - b);
  return { name, perSecond: TASKS / seconds, p50: percentile(delays, 50), p99: percentile(delays, 99) };
}

export async function benchQueue(): Promise<void> {
  const redisUrl = process.env.REDIS_URL;
  const databaseUrl = process.env.DATABASE_URL;
  const png = await sharp({ create: { width: 512, height: 512, channels: 3, background: { r: 40, g: 90, b: 160 } } }).png().toBuffer();
  const prefixes: string[] = [];
  const prefix = () => {
    prefixes.push(`qig-bench-${randomBytes(4).toString('hex')}`);
    return prefixes.at(-1) as string;
  };
  const gatewayRows: Row[] = PATHS.has('memory') ? [await throughGateway('in-process queue, SQLite', {}, png)] : [];
  const driverRows: Row[] = PATHS.has('drivers') ? [await throughDriver('MemoryQueue: enqueue → handler', new MemoryQueue())] : [];
  try {
    if (redisUrl) {
      if (PATHS.has('bullmq-sqlite')) gatewayRows.push(await throughGateway('BullMQ, SQLite', { REDIS_URL: redisUrl, QIG_REDIS_PREFIX: prefix() }, png));
      if (databaseUrl && PATHS.has('bullmq-postgres')) {
        const schema = postgresSchemaUrl(databaseUrl);
        try {
          gatewayRows.push(await throughGateway('BullMQ, Postgres', { REDIS_URL: redisUrl, QIG_REDIS_PREFIX: prefix(), DATABASE_URL: schema.url }, png));
        } finally {
          await schema.drop();
        }
      }
      if (PATHS.has('drivers')) {
        const driver = new BullMqQueue({ url: redisUrl, prefix: prefix() });
        await driver.ready();
        driverRows.push(await throughDriver('BullMqQueue: enqueue → handler', driver));
        driverRows.push(await bareBullMq('bare BullMQ: add → process', redisUrl, prefix()));
      }
    }
  } finally {
    if (redisUrl) await dropRedisPrefixes(redisUrl, prefixes);
  }
  const rows = (list: Row[]) => list.map((r) => [r.name, r.perSecond, r.p50, r.p99]);
  const note = redisUrl ? '' : ' (set REDIS_URL for BullMQ)';
  table(
    `(queue) through the task service with an instant engine${note}: a burst of ${TASKS} tasks from ${SUBMITTERS} submitters (tasks/s, worker concurrency ${WORKER_CONCURRENCY}); submit → engine start at a steady ${PACED_PER_SECOND} tasks/s`,
    ['path', 'tasks/s', 'submit→start p50 ms', 'p99 ms'],
    rows(gatewayRows),
  );
  table(`(queue) the queues alone: a burst of ${TASKS} ids (enqueue → handler includes the backlog)`, ['driver', 'ids/s', 'p50 ms', 'p99 ms'], rows(driverRows));
}
