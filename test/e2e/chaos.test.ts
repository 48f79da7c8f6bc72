/**
 * Chaos: a DashScope upstream failing 30% of its calls with mixed errors, garbage and hangs. 100
 * tasks (sync edits and polled text-to-image tasks) all end — succeeded through retry or
 * failover, or failed — with every hold settled, none stuck, and the task-query budget of 20 per
 * second never exceeded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeDashScope } from '../fakes/dashscope.js';
import { startTestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const ADMIN = 'admin-token-chaos';

describe('chaos', () => {
  it('ends every one of 100 tasks against an upstream failing 30% of calls; none stuck; budget kept', { timeout: 150_000 }, async () => {
    const fake = await startFakeDashScope({ pendingQueries: 1, runningQueries: 2 });
    fake.script.setChaos(
      0.3,
      [
        { kind: 'error', status: 429, body: { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded', request_id: 'x' }, headers: { 'retry-after': '0' } },
        { kind: 'error', status: 500, body: { code: 'InternalError', message: 'An internal error has occured', request_id: 'x' } },
        { kind: 'error', status: 503, body: { code: 'ModelUnavailable', message: 'Model is unavailable', request_id: 'x' } },
        { kind: 'garbage', status: 502 },
        { kind: 'hang' },
      ],
      ['sync', 'submit', 'task', 'result'],
      7,
    );
    const server = await startTestGateway({
      env: { QIG_ADMIN_TOKEN: ADMIN },
      config: {
        engines: { cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey, timeoutSeconds: 1, circuit: { failures: 8, openSeconds: 0.5 } }, cpu: { type: 'local' } },
        routes: { '*': ['cloud', 'cpu'] },
        fetch: { allowHosts: [new URL(fake.url).host], timeoutMs: 2_000 },
        limits: { workerConcurrency: 8 },
      },
      worker: { retryBaseDelayMs: 20, retryMaxDelayMs: 100 },
    });
    try {
      const created = await fetch(`${server.url}/admin/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'chaos', balance: '100.00' }),
      });
      const key = ((await created.json()) as { key: string }).key;
      const image = `data:image/png;base64,${(await gradientImage(512, 512)).toString('base64')}`;
      const submits = Array.from({ length: 100 }, (_, i) => {
        const body =
          i % 2 === 0
            ? { path: '/api/v1/services/aigc/multimodal-generation/generation', body: { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image }, { text: 'make it black and white' }] }] }, parameters: { n: 1 + (i % 3) } } }
            : { path: '/api/v1/services/aigc/text2image/image-synthesis', body: { model: 'qwen-image-plus', input: { prompt: `a kite number ${i}` } } };
        return fetch(`${server.url}${body.path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' },
          body: JSON.stringify(body.body),
        }).then(async (r) => ((await r.json()) as { output: { task_id: string } }).output.task_id);
      });
      const ids = await Promise.all(submits);
      const ends = new Map<string, string>();
      const deadline = Date.now() + 120_000;
      while (ends.size < ids.length && Date.now() < deadline) {
        for (const id of ids) {
          if (ends.has(id)) continue;
          const task = (await (await fetch(`${server.url}/api/v1/tasks/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { output: { task_status: string } };
          if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(task.output.task_status)) ends.set(id, task.output.task_status);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(ends.size, 100, `tasks stuck: ${ids.filter((id) => !ends.has(id)).join(', ')}`);
      assert.ok(fake.script.spoiled >= 20, `chaos spoiled ${fake.script.spoiled} calls`);
      const succeeded = [...ends.values()].filter((s) => s === 'SUCCEEDED').length;
      assert.ok(succeeded >= 90, `${succeeded} of 100 succeeded through retry and failover`);
      assert.ok(fake.maxQueriesPerWindow(1000) <= 20, `task queries in one second: ${fake.maxQueriesPerWindow(1000)}`);
      const balance = (await (await fetch(`${server.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } })).json()) as { held: string };
      assert.equal(balance.held, '0.00', 'every hold settled');
      await assertLedgerInvariant(server.gateway.store.db);
    } finally {
      await server.close();
      await fake.close();
    }
  });
});
