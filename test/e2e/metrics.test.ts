/**
 * /metrics after real traffic: a task that succeeds on the local engine, one that fails with an
 * upstream's own error code, and inputs refused on arrival; the bearer token on API and worker
 * nodes; and no task, key or request id among the labels.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import { createLocalEngine } from '../../src/engines/local/index.js';
import { createMetrics } from '../../src/http/metrics.js';
import { buildWorkerOpsApp } from '../../src/http/worker-ops.js';
import { silentLogger } from '../../src/lib/logger.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { parseExposition, valueOf, type Sample } from '../helpers/prometheus.js';

const TOKEN = 'metrics-secret-token';
const SYNC_PATH = '/api/v1/services/aigc/multimodal-generation/generation';

let server: TestGateway;
let key: { id: string; key: string };
/** Ids that must never show up in /metrics. */
const ids: string[] = [];

async function generate(model: string, content: unknown[], n = 1) {
  const response = await fetch(`${server.url}${SYNC_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: { messages: [{ role: 'user', content }] }, parameters: { n, size: '512*512' } }),
  });
  ids.push(response.headers.get('x-request-id') ?? '');
  return { status: response.status, json: (await response.json()) as any };
}

async function scrape(headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}/metrics`, { headers });
  return { status: response.status, text: await response.text() };
}

before(async () => {
  const flaky = createScriptedEngine({
    name: 'flaky',
    script: () => new AppError('engine_rejected', 'the upstream refused the prompt', { upstreamCode: 'DataInspectionFailed' }),
  });
  server = await startTestGateway({
    env: { QIG_METRICS_TOKEN: TOKEN },
    engines: new Map([['local', createLocalEngine({ name: 'local' })], ['flaky', flaky]]),
    config: {
      engines: { local: { type: 'local' }, flaky: { type: 'local' } },
      routes: { 'qwen-image-2.0': ['flaky'], '*': ['local'] },
      // The local engine is free unless priced for itself.
      prices: { currency: 'CNY', perEngine: { local: { 'qwen-image-2.0-pro': '0.25' } } },
    },
    worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 10 },
  });
  const created = await server.gateway.accounts.create({ name: 'metrics', balance: '10.00' });
  key = { id: created.id, key: created.key };
  ids.push(created.id, created.key);
});

after(async () => {
  await server.close();
});

describe('metrics', () => {
  let samples: Sample[];
  let text: string;

  before(async () => {
    const succeeded = await generate('qwen-image-2.0-pro', [{ text: 'a kite' }], 2);
    assert.equal(succeeded.status, 200, JSON.stringify(succeeded.json));
    const failed = await generate('qwen-image-2.0', [{ text: 'a kite' }]);
    assert.equal(failed.status, 400, JSON.stringify(failed.json));
    assert.equal(failed.json.code, 'DataInspectionFailed');
    const notAnImage = await generate('qwen-image-2.0-pro', [{ image: `data:image/png;base64,${Buffer.from('hello').toString('base64')}` }, { text: 'edit' }]);
    assert.equal(notAnImage.status, 400, JSON.stringify(notAnImage.json));
    // Refused by the URL guard before any connection: nothing listens there, nothing is contacted.
    const blocked = await generate('qwen-image-2.0-pro', [{ image: 'http://127.0.0.1:9/a.png' }, { text: 'edit' }]);
    assert.equal(blocked.status, 400, JSON.stringify(blocked.json));
    const tasks = await server.gateway.store.db.selectFrom('tasks').select('id').execute();
    assert.equal(tasks.length, 2);
    ids.push(...tasks.map((t) => t.id));
    // A waiter may read its ending from the database an instant before the ending's event is out.
    for (let i = 0; i < 100; i += 1) {
      ({ text } = await scrape());
      samples = parseExposition(text);
      if (valueOf(samples, 'qig_task_transitions_total', { status: 'failed' }) === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('records each ended task once: queue wait and duration by model, engine and outcome', () => {
    for (const name of ['qig_task_queue_wait_seconds_count', 'qig_task_duration_seconds_count']) {
      assert.equal(valueOf(samples, name, { model: 'qwen-image-2.0-pro', engine: 'local', outcome: 'succeeded' }), 1, name);
      assert.equal(valueOf(samples, name, { model: 'qwen-image-2.0', engine: 'flaky', outcome: 'failed' }), 1, name);
    }
    const buckets = samples.filter((s) => s.name === 'qig_task_duration_seconds_bucket' && s.labels.engine === 'local');
    assert.equal(buckets.find((s) => s.labels.le === '+Inf')?.value, 1);
  });

  it('counts images produced and the amount charged by model, in the configured currency', () => {
    assert.equal(valueOf(samples, 'qig_images_produced_total', { model: 'qwen-image-2.0-pro' }), 2);
    assert.equal(valueOf(samples, 'qig_images_produced_total', { model: 'qwen-image-2.0' }), 0);
    assert.equal(valueOf(samples, 'qig_charged_amount_total', { model: 'qwen-image-2.0-pro', currency: 'CNY' }), 0.5);
    assert.equal(valueOf(samples, 'qig_charged_amount_total', { model: 'qwen-image-2.0' }), undefined, 'a failed task is not charged');
  });

  it('counts upstream calls, and errors by catalog kind and upstream code', () => {
    assert.equal(valueOf(samples, 'qig_upstream_calls_total', { engine: 'flaky', call: 'start' }), 1, 'a request error is not retried');
    assert.ok((valueOf(samples, 'qig_upstream_calls_total', { engine: 'local', call: 'start' }) ?? 0) >= 1);
    assert.equal(valueOf(samples, 'qig_upstream_errors_total', { engine: 'flaky', kind: 'engine_rejected', code: 'DataInspectionFailed' }), 1);
    assert.equal(samples.filter((s) => s.name === 'qig_upstream_errors_total' && s.labels.engine === 'local').length, 0);
  });

  it('counts intake bytes and rejections by reason', () => {
    assert.equal(valueOf(samples, 'qig_intake_bytes_total', { source: 'inline' }), 'hello'.length);
    assert.equal(valueOf(samples, 'qig_intake_rejections_total', { reason: 'not_an_image' }), 1);
    assert.equal(valueOf(samples, 'qig_intake_rejections_total', { reason: 'url_blocked_address' }), 1);
  });

  it('keeps the metrics dashboards already use', () => {
    assert.equal(valueOf(samples, 'qig_task_transitions_total', { status: 'succeeded' }), 1);
    assert.equal(valueOf(samples, 'qig_task_transitions_total', { status: 'failed' }), 1);
    assert.equal(valueOf(samples, 'qig_engine_state', { engine: 'flaky', measure: 'circuit' }), 0);
    assert.equal(valueOf(samples, 'qig_inflight_body_bytes'), 0);
    assert.ok(samples.some((s) => s.name === 'qig_http_request_duration_seconds_count' && s.labels.route === SYNC_PATH));
    assert.ok(samples.some((s) => s.name === 'qig_process_cpu_seconds_total'));
  });

  it('names no task, key or request id', () => {
    assert.ok(ids.length >= 8);
    for (const id of ids) assert.ok(id !== '' && !text.includes(id), `${id} appears in /metrics`);
  });

  it('answers 401 without the bearer token, or with another', async () => {
    const missing = await scrape({});
    assert.equal(missing.status, 401);
    assert.doesNotMatch(missing.text, /qig_/);
    assert.equal((await scrape({ authorization: 'Bearer not-the-token' })).status, 401);
    assert.equal((await scrape({ authorization: `Basic ${TOKEN}` })).status, 401);
    assert.equal((await scrape()).status, 200);
  });
});

describe('a worker node', () => {
  it('guards its /metrics with the same token', async () => {
    const queue = new MemoryQueue();
    const app = await buildWorkerOpsApp({
      logger: silentLogger(),
      queue,
      readiness: [],
      metrics: createMetrics({ engines: [], currency: 'CNY' }),
      metricsToken: TOKEN,
      engineHealth: () => [],
      disabledCredentials: () => [],
    });
    try {
      assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401);
      const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(scraped.statusCode, 200);
      assert.ok(valueOf(parseExposition(scraped.body), 'qig_inflight_body_bytes') === 0);
      assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'probes need no token');
    } finally {
      await app.close();
      await queue.close();
    }
  });
});
