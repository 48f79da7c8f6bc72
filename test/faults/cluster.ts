/**
 * A deployment for the fault tests: API and worker processes on Postgres, Redis and S3 (each
 * reached through whatever the test puts in between), in front of a fake DashScope; a steady
 * mixed load of clients (sync and async, several dialects, webhooks, a priced key); and the
 * invariants checked after a fault: every accepted task ends, every balance equals its ledger,
 * nothing is settled twice or charged for images it did not produce, every webhook arrives, and
 * every output URL points at a blob that exists.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import { openStore, type SqlStore } from '../../src/store/db.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { solidImage } from '../helpers/images.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';
import { spawnServer, type ServerProcess } from '../helpers/process.js';
import { testS3Store, type TestS3 } from '../helpers/s3.js';
import { tempDir } from '../helpers/stores.js';
import { startWebhookReceiver, type WebhookReceiver } from '../e2e/scale-out-workload.js';

export const ADMIN = 'admin-token-faults';
const PRICE = '0.10';
const WEBHOOK_SECRET = 'faults-webhook-secret-0123456789';

export interface ClusterOptions {
  /** What the nodes connect to (proxied where the test breaks it). */
  databaseUrl: string | null;
  redisUrl: string | null;
  s3Env?: Record<string, string>;
  /** Where the test reads the truth from, bypassing any proxy. */
  checkDatabaseUrl: string | null;
  dataDir?: string;
  apiNodes: number;
  workers: number;
  /** 'all' runs one process with every role (the embedded mode). */
  role?: 'split' | 'all';
  config?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Cluster {
  apis: ServerProcess[];
  workers: ServerProcess[];
  key: string;
  store: SqlStore;
  upstream: FakeDashScope;
  webhooks: WebhookReceiver;
  env: Record<string, string>;
  startNode(role: 'api' | 'worker' | 'all'): Promise<ServerProcess>;
  /** Every node's error lines, for a failing assertion's message. */
  errors(): string;
  /** Whether every node is running; else which ended, with the end of its output. */
  alive(): { ok: boolean; why: string };
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = options.dataDir ? null : tempDir('qig-faults-');
  const dataDir = options.dataDir ?? (dir as { path: string }).path;
  const upstream = await startFakeDashScope();
  const webhooks = await startWebhookReceiver(WEBHOOK_SECRET);
  const configFile = join(dataDir, '..', `faults-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(configFile, JSON.stringify({
    engines: { cloud: { type: 'dashscope', baseUrl: upstream.url, apiKey: upstream.apiKey, timeoutSeconds: 20 } },
    routes: { '*': ['cloud'] },
    prices: { currency: 'CNY', perImage: { '*': PRICE } },
    fetch: { allowHosts: [new URL(upstream.url).host, webhooks.hostPort] },
    limits: { leaseSeconds: 2, workerConcurrency: 4, syncWaitSeconds: 60 },
    webhooks: { firstRetrySeconds: 0.2, secret: WEBHOOK_SECRET },
    ...options.config,
  }));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    QIG_DATA_DIR: dataDir,
    QIG_CONFIG: configFile,
    QIG_ADMIN_TOKEN: ADMIN,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.s3Env,
    ...options.env,
  };
  const nodes: ServerProcess[] = [];
  const startNode = async (role: 'api' | 'worker' | 'all') => {
    const node = await spawnServer({ ...env, QIG_ROLE: role, ...(role === 'worker' && nodes[0] ? { QIG_PUBLIC_URL: nodes[0].url } : {}) }, 30_000);
    nodes.push(node);
    return node;
  };
  const apis: ServerProcess[] = [];
  const workers: ServerProcess[] = [];
  if (options.role === 'all') {
    apis.push(await startNode('all'));
  } else {
    for (let i = 0; i < options.apiNodes; i += 1) apis.push(await startNode('api'));
    for (let i = 0; i < options.workers; i += 1) workers.push(await startNode('worker'));
  }
  const store = await openStore({ databaseUrl: options.checkDatabaseUrl, dataDir, poolSize: 2 });
  const created = await fetch(`${(apis[0] as ServerProcess).url}/admin/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'faults', balance: '100000.00' }),
  });
  const key = ((await created.json()) as { key: string }).key;
  return {
    apis,
    workers,
    key,
    store,
    upstream,
    webhooks,
    env,
    startNode,
    // Errors, not the access log's lines of 5xx answers.
    errors: () => nodes.flatMap((node) => node.output().split('\n').filter((line) => /"level":(50|60)|^\S*Error/.test(line) && !line.includes('"msg":"request"')).map((line) => line.slice(0, 600))).slice(0, 20).join('\n'),
    alive() {
      const dead = nodes.filter((node) => node.child.exitCode !== null || node.child.signalCode !== null);
      return { ok: dead.length === 0, why: dead.map((node) => `node ${node.url} exited (${node.child.exitCode ?? node.child.signalCode}):\n${node.output().slice(-1500)}`).join('\n') };
    },
    async stop() {
      for (const node of nodes) await node.stop('SIGKILL');
      await store.close();
      await Promise.all([upstream.close(), webhooks.close()]);
      dir?.remove();
    },
  };
}

export type LoadKind = 'dashscope-sync' | 'dashscope-async' | 'openai-sync' | 'fal-webhook' | 'seaart';
const KINDS: readonly LoadKind[] = ['dashscope-sync', 'dashscope-async', 'openai-sync', 'fal-webhook', 'seaart'];

export interface Sent {
  requestId: string;
  kind: LoadKind;
  /** HTTP status, or 0 when no answer came (a connection error). */
  status: number;
  /** The submitting API node (its index). */
  api: number;
  /** The start of an unexpected answer's body (a 5xx other than 503), for a failing assertion. */
  body?: string;
}

export interface Load {
  sent: Sent[];
  /** Stops sending and waits for the answers still coming (at most `waitMs`). */
  stop(waitMs?: number): Promise<void>;
}

/** `concurrency` clients sending mixed requests in a loop across the API nodes, each with its own X-Request-Id. */
export function startLoad(cluster: Cluster, options: { concurrency: number; apis?: () => string[]; tag: string }): Load {
  const sent: Sent[] = [];
  let running = true;
  let counter = 0;
  const image = solidImage(64, 64, [30, 120, 200]).then((png) => `data:image/png;base64,${png.toString('base64')}`);
  const one = async (n: number): Promise<void> => {
    const apis = options.apis?.() ?? cluster.apis.map((a) => a.url);
    const apiIndex = n % apis.length;
    const api = apis[apiIndex] as string;
    const kind = KINDS[n % KINDS.length] as LoadKind;
    const requestId = `${options.tag}-${n}`;
    const headers: Record<string, string> = { authorization: `Bearer ${cluster.key}`, 'content-type': 'application/json', 'x-request-id': requestId };
    const edit = { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: await image }, { text: `fault ${n}` }] }] }, parameters: { n: 1 } };
    let url: string;
    let body: unknown;
    switch (kind) {
      case 'dashscope-sync':
        url = `${api}/api/v1/services/aigc/multimodal-generation/generation`;
        body = edit;
        break;
      case 'dashscope-async':
        url = `${api}/api/v1/services/aigc/multimodal-generation/generation`;
        headers['x-dashscope-async'] = 'enable';
        body = edit;
        break;
      case 'openai-sync':
        url = `${api}/v1/images/generations`;
        body = { model: 'qwen-image-2.0', prompt: `fault ${n}`, size: '512x512', n: 2, response_format: 'url' };
        break;
      case 'fal-webhook':
        url = `${api}/fal/qwen/qwen-image-2.0?fal_webhook=${encodeURIComponent(cluster.webhooks.url + `/${requestId}`)}`;
        body = { prompt: `fault ${n}`, image_size: { width: 512, height: 512 } };
        break;
      case 'seaart':
        url = `${api}/v1/queue/qwen_image_edit_plus`;
        body = { prompt: `fault ${n}`, images: [await image] };
        break;
    }
    let status: number;
    let text = '';
    try {
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(90_000) });
      status = response.status;
      text = await response.text();
    } catch {
      status = 0;
    }
    sent.push({ requestId, kind, status, api: apiIndex, ...(status >= 500 && status !== 503 ? { body: text.slice(0, 300) } : {}) });
  };
  const loops = Array.from({ length: options.concurrency }, async () => {
    while (running) {
      const n = counter;
      counter += 1;
      await one(n);
      await sleep(20);
    }
  });
  return {
    sent,
    async stop(waitMs = 90_000) {
      running = false;
      await Promise.race([Promise.all(loops), sleep(waitMs)]);
    },
  };
}

export interface Figures {
  sent: number;
  accepted: number;
  ended: number;
  lost: number;
  doubleSettled: number;
  /** Milliseconds from `since` until every accepted task had ended. */
  drainedMs: number;
}

/** Waits until every task of the load has ended (at most `boundMs`), then checks every invariant. */
export async function checkAfterRecovery(cluster: Cluster, load: Load, options: { since: number; boundMs: number; blobs?: BlobStore }): Promise<Figures> {
  const db = cluster.store.db;
  const ids = load.sent.map((s) => s.requestId);
  const open = async () => (await db.selectFrom('tasks').select(['id', 'status']).where('status', 'in', ['queued', 'running']).execute()).length;
  const end = Date.now() + options.boundMs;
  while ((await open()) > 0 && Date.now() < end) await sleep(100);
  const drainedMs = Date.now() - options.since;
  const tasks = await db.selectFrom('tasks').selectAll().execute();
  const ours = tasks.filter((t) => ids.includes(t.request_id));
  const ended = ours.filter((t) => ['succeeded', 'failed', 'canceled'].includes(t.status));
  const releases = await db.selectFrom('ledger').select(['task_id']).where('kind', '=', 'release').execute();
  const releaseCount = new Map<string, number>();
  for (const row of releases) if (row.task_id) releaseCount.set(row.task_id, (releaseCount.get(row.task_id) ?? 0) + 1);
  const figures: Figures = {
    sent: load.sent.length,
    accepted: ours.length,
    ended: ended.length,
    lost: ours.length - ended.length,
    doubleSettled: [...releaseCount.values()].filter((n) => n > 1).length,
    drainedMs,
  };
  const stuck = ours.filter((t) => !ended.includes(t)).map((t) => `${t.id} ${t.status} ${t.request_id}`);
  assert.deepEqual(stuck, [], `every accepted task ends within ${options.boundMs} ms\n${cluster.errors()}`);
  // Every 2xx answer that named a task has it in the database: nothing accepted was lost.
  const answered = load.sent.filter((s) => s.status === 200 && s.kind !== 'openai-sync' && s.kind !== 'dashscope-sync').map((s) => s.requestId);
  for (const requestId of answered) assert.ok(ours.some((t) => t.request_id === requestId), `the task of ${requestId} (answered 200) is in the database`);
  await assertLedgerInvariant(db);
  assert.equal(figures.doubleSettled, 0, 'no task is settled twice');
  for (const task of ours.filter((t) => t.billing_state === 'settled')) {
    const outputs = (JSON.parse(task.outputs) as unknown[]).length;
    const images = task.status === 'succeeded' ? Math.min(outputs, JSON.parse(task.spec).n as number) : 0;
    assert.equal(Number(task.charged_micros), images * Number(task.price_micros), `${task.id}: charged for the ${images} image(s) it made`);
  }
  // Every webhook of an ended fal task arrives, however often it was tried.
  const falEnded = ended.filter((t) => t.origin === 'fal').map((t) => t.request_id);
  const webhookEnd = Date.now() + 30_000;
  while (falEnded.some((id) => !cluster.webhooks.deliveries.has(`/${id}`)) && Date.now() < webhookEnd) await sleep(100);
  assert.deepEqual(falEnded.filter((id) => !cluster.webhooks.deliveries.has(`/${id}`)), [], 'every webhook was delivered');
  assert.deepEqual(cluster.webhooks.badlySigned, [], 'every delivery carries a valid signature');
  if (options.blobs) {
    for (const task of ours.filter((t) => t.status === 'succeeded')) {
      for (const output of JSON.parse(task.outputs) as Array<{ blobId: string | null }>) {
        if (output.blobId) assert.ok(await options.blobs.get(output.blobId), `${task.id}: output ${output.blobId} is stored`);
      }
    }
  }
  return figures;
}

export function report(name: string, figures: Figures, recoveredMs: number | null): void {
  console.log(`fault ${name}: sent ${figures.sent}, accepted ${figures.accepted}, ended ${figures.ended}, lost ${figures.lost}, double-settled ${figures.doubleSettled}, drained ${figures.drainedMs} ms after recovery${recoveredMs === null ? '' : `, serving again ${recoveredMs} ms after recovery`}`);
}

/** Milliseconds from now until a sync request through `api` succeeds again (at most `boundMs`). */
export async function untilServing(cluster: Cluster, api: string, boundMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    try {
      const response = await fetch(`${api}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cluster.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen-image-2.0', prompt: 'probe', size: '512x512', response_format: 'url' }),
        signal: AbortSignal.timeout(boundMs),
      });
      await response.arrayBuffer();
      if (response.status === 200) return Date.now() - started;
    } catch {
      // Still down.
    }
    await sleep(100);
  }
  throw new Error(`not serving again within ${boundMs} ms\n${cluster.errors()}`);
}

/** How many answers of the load had each status. */
export function statusCounts(load: Load): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of load.sent) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * After a fault is lifted (at `since`): waits until `api` serves again, lets the load run 2 s
 * more and stops it, then checks every invariant (every output's object too, with `s3`) and that
 * every node is still up.
 */
export async function recoverAndCheck(cluster: Cluster, load: Load, options: { api: string; servingBoundMs: number; since: number; boundMs: number; s3?: TestS3 }): Promise<{ figures: Figures; serving: number }> {
  const serving = await untilServing(cluster, options.api, options.servingBoundMs);
  await sleep(2_000);
  await load.stop();
  const blobs = options.s3 ? testS3Store(options.s3) : undefined;
  try {
    const figures = await checkAfterRecovery(cluster, load, { since: options.since, boundMs: options.boundMs, ...(blobs ? { blobs } : {}) });
    assert.ok(cluster.alive().ok, cluster.alive().why);
    return { figures, serving };
  } finally {
    await blobs?.close();
  }
}
