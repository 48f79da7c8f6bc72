/**
 * The runner's duties, through the real gateway with scripted engines: polling parked tasks,
 * splitting n, retries, failover, partial results, cancel and timeouts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import { DASHSCOPE_FIELD_NAMES } from '../../src/domain/request.js';
import { isTerminal, type TaskRecord } from '../../src/domain/task.js';
import type { Engine } from '../../src/engines/engine.js';
import type { Principal } from '../../src/services/keys.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const FAST = { retryBaseDelayMs: 5, retryMaxDelayMs: 20, leaseMs: 2_000, sweepIntervalMs: 100, sweepGraceMs: 50 };

async function withGateway(engines: Engine[], run: (server: TestGateway, principal: Principal) => Promise<void>, worker = {}) {
  const names = engines.map((e) => e.name);
  const server = await startTestGateway({
    engines: new Map(engines.map((e) => [e.name, e])),
    config: { engines: Object.fromEntries(names.map((n) => [n, { type: 'local' }])), routes: { '*': names } },
    worker: { ...FAST, ...worker },
  });
  try {
    const principal = await server.gateway.keys.authenticate(`Bearer ${server.key}`);
    await run(server, principal);
  } finally {
    await server.close();
  }
}

async function submit(server: TestGateway, principal: Principal, n = 1, seed = 100): Promise<TaskRecord> {
  return server.gateway.tasks.submit(principal, {
    request: { model: 'qwen-image-2.0-pro', prompt: 'a kite', images: [], n, seed, size: '512*512' },
    fields: DASHSCOPE_FIELD_NAMES,
    origin: 'dashscope',
    requestId: 'test',
  });
}

async function finished(server: TestGateway, principal: Principal, id: string, ms = 10_000): Promise<TaskRecord> {
  const task = await server.gateway.tasks.wait(principal, id, ms);
  assert.ok(task && isTerminal(task.status), `task ended: ${task?.status}`);
  return task;
}

describe('runner', () => {
  it('parks a pending upstream operation and polls it until done', async () => {
    const engine = createScriptedEngine({ script: () => ({ pendingPolls: 3 }) });
    await withGateway([engine], async (server, principal) => {
      const task = await finished(server, principal, (await submit(server, principal)).id);
      assert.equal(task.status, 'succeeded');
      assert.equal(engine.starts.length, 1);
      assert.equal(engine.polls.length, 3);
      assert.equal(task.actualPrompt, 'a kite!');
      assert.equal(task.attempts, 1, 'polls are not new attempts');
      const logs = (await server.gateway.tasks.logs(task.id)).map((l) => l.message).join('\n');
      assert.match(logs, /upstream operation \{"id":"op-1"/);
      assert.match(logs, /succeeded: 1 image/);
    });
  });

  it('splits n across calls with consecutive seeds', async () => {
    const engine = createScriptedEngine({ capabilities: { maxImagesPerCall: 2 } });
    await withGateway([engine], async (server, principal) => {
      const task = await finished(server, principal, (await submit(server, principal, 5, 40)).id);
      assert.equal(task.status, 'succeeded');
      assert.deepEqual(engine.starts.map((c) => [c.n, c.seed]), [[2, 40], [2, 42], [1, 44]]);
      assert.deepEqual(task.outputs.map((o) => o.seed), [40, 41, 42, 43, 44]);
      assert.equal(task.usage?.imageCount, 5);
    });
  });

  it('retries a retryable error on the same engine', async () => {
    const engine = createScriptedEngine({ script: (i) => (i < 2 ? new AppError('engine_failed', 'upstream 503') : 'done') });
    await withGateway([engine], async (server, principal) => {
      const task = await finished(server, principal, (await submit(server, principal)).id);
      assert.equal(task.status, 'succeeded');
      assert.equal(engine.starts.length, 3);
    });
  });

  it('fails over to the next engine when one keeps failing', async () => {
    const broken = createScriptedEngine({ name: 'broken', script: () => new AppError('engine_unavailable', 'down') });
    const spare = createScriptedEngine({ name: 'spare' });
    await withGateway([broken, spare], async (server, principal) => {
      const task = await finished(server, principal, (await submit(server, principal, 2)).id);
      assert.equal(task.status, 'succeeded');
      assert.equal(broken.starts.length, 3, 'three attempts on the first engine');
      assert.equal(spare.starts.length, 1);
      const logs = (await server.gateway.tasks.logs(task.id)).map((l) => l.message).join('\n');
      assert.match(logs, /failing over to engine spare/);
    });
  });

  it('does not retry or fail over a non-retryable error', async () => {
    const picky = createScriptedEngine({ name: 'picky', script: () => new AppError('content_blocked', 'Input data may contain inappropriate content.', { upstreamCode: 'DataInspectionFailed' }) });
    const spare = createScriptedEngine({ name: 'spare' });
    await withGateway([picky, spare], async (server, principal) => {
      const task = await finished(server, principal, (await submit(server, principal)).id);
      assert.equal(task.status, 'failed');
      assert.deepEqual(task.error, { kind: 'content_blocked', message: 'Input data may contain inappropriate content.', upstreamCode: 'DataInspectionFailed' });
      assert.equal(picky.starts.length, 1);
      assert.equal(spare.starts.length, 0);
    });
  });

  it('keeps the images made before a failure halfway, and says how many failed', async () => {
    const engine = createScriptedEngine({ capabilities: { maxImagesPerCall: 1 }, script: (i) => (i < 2 ? 'done' : new AppError('engine_rejected', 'no more')) });
    await withGateway([engine], async (server, principal) => {
      const task = await finished(server, principal, (await submit(server, principal, 4)).id);
      assert.equal(task.status, 'succeeded');
      assert.equal(task.outputs.length, 2);
      assert.equal(task.usage?.imageCount, 2);
      assert.match(task.warnings.join('\n'), /2 of 4 images failed: no more/);
    });
  });

  it('cancels a running task, cancelling its upstream operation', async () => {
    const engine = createScriptedEngine({ script: () => ({ pendingPolls: 1_000 }), pollAfterMs: 20 });
    await withGateway([engine], async (server, principal) => {
      const task = await submit(server, principal);
      while (engine.polls.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      const { outcome } = await server.gateway.tasks.cancel(principal, task.id, { running: true });
      assert.equal(outcome, 'cancel-requested');
      const ended = await finished(server, principal, task.id);
      assert.equal(ended.status, 'canceled');
      assert.equal(engine.cancels.length, 1);
      assert.deepEqual(engine.cancels[0], { id: 'op-1', seed: 100, n: 1 });
    });
  });

  it('fails a task that runs past its time limit, cancelling the upstream operation', async () => {
    const engine = createScriptedEngine({ script: () => ({ pendingPolls: 1_000 }), pollAfterMs: 20 });
    await withGateway(
      [engine],
      async (server, principal) => {
        const task = await finished(server, principal, (await submit(server, principal)).id);
        assert.equal(task.status, 'failed');
        assert.equal(task.error?.kind, 'engine_timeout');
        assert.equal(engine.cancels.length, 1);
      },
      { taskTimeoutMs: 300 },
    );
  });
});
