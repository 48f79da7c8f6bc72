/**
 * The typed client against the real server with tasks held by the gate engine (one worker, so
 * later tasks queue behind a held one): progress with queue positions, cancel, the client's
 * timeout, and an AbortSignal in flight and in a wait's sleep.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestError, TaskCanceledError, TimeoutError, createClient, type QigClient, type TaskHandle, type TaskInfo } from '../../src/client/index.js';
import { createGateEngine, type GateEngine } from '../fakes/gate-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SAMPLE = new URL('../../examples/sample.png', import.meta.url).pathname;
const EDIT = { images: SAMPLE, prompt: 'make it blue', n: 1, size: '512*512' };

interface Held {
  server: TestGateway;
  gate: GateEngine;
  client: QigClient;
  /** A task the engine holds RUNNING until the gate opens. */
  running: TaskHandle;
}

/** A gateway with one worker whose engine holds its first task; the gate opens and the server closes after `test`. */
async function withHeldTask(test: (held: Held) => Promise<void>): Promise<void> {
  const gate = createGateEngine();
  const server = await startTestGateway({
    engines: new Map([['gate', gate]]),
    config: { engines: { gate: { type: 'local' } }, routes: { '*': ['gate'] }, limits: { workerConcurrency: 1 } },
  });
  const client = createClient({ baseUrl: server.url, apiKey: server.key });
  try {
    const running = await client.edit(EDIT, { async: true });
    await gate.waitForStarts(1);
    await test({ server, gate, client, running });
  } finally {
    gate.open();
    await drain(client);
    await server.close();
  }
}

/** Waits until no task is queued or running (a sync edit the client gave up on still runs, and the server's close would wait for its answer). */
async function drain(client: QigClient): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    const [pending, running] = await Promise.all([client.tasks.list({ status: 'PENDING' }), client.tasks.list({ status: 'RUNNING' })]);
    if (pending.total + running.total === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

describe('client: queued tasks', () => {
  it('reports progress while queued behind a held task (queue positions), then the images', async () => {
    await withHeldTask(async ({ gate, client, running }) => {
      const first = await client.edit(EDIT, { async: true });
      await new Promise((resolve) => setTimeout(resolve, 5)); // a later submit time, so the order is certain
      const second = await client.generate({ model: 'qwen-image-2.0-pro', prompt: 'a lake', size: '512*512' }, { async: true });
      const seen: TaskInfo[] = [];
      const waiting = second.wait({
        pollIntervalMs: 10,
        onProgress: (task) => {
          seen.push(task);
          if (seen.length === 3) gate.open();
        },
      });
      const result = await waiting;
      assert.equal(result.images.length, 1);
      assert.equal(result.taskId, second.id);
      const statuses = seen.map((task) => task.status);
      assert.deepEqual(statuses.slice(0, 3), ['PENDING', 'PENDING', 'PENDING'], JSON.stringify(statuses));
      assert.equal(statuses.at(-1), 'SUCCEEDED');
      assert.ok(statuses.every((status) => ['PENDING', 'RUNNING', 'SUCCEEDED'].includes(status)), JSON.stringify(statuses));
      assert.deepEqual(seen.slice(0, 3).map((task) => task.queuePosition), [1, 1, 1], 'one task ahead of it');
      for (const task of seen.filter((t) => t.status !== 'PENDING')) assert.equal(task.queuePosition, null);
      assert.equal((await first.get()).status, 'SUCCEEDED');
      assert.equal((await running.wait({ pollIntervalMs: 10 })).images.length, 1);
    });
  });

  it('reads queue positions with tasks.get', async () => {
    await withHeldTask(async ({ client, running }) => {
      const first = await client.edit(EDIT, { async: true });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await client.edit(EDIT, { async: true });
      assert.deepEqual([await running.get(), await first.get(), await second.get()].map((t) => [t.status, t.queuePosition]), [['RUNNING', null], ['PENDING', 0], ['PENDING', 1]]);
      const pending = await client.tasks.list({ status: 'PENDING' });
      assert.deepEqual(pending.tasks.map((t) => t.id).sort(), [first.id, second.id].sort());
    });
  });

  it('cancels a queued task: wait then throws TaskCanceledError; a running one cannot be canceled', async () => {
    await withHeldTask(async ({ client, running }) => {
      const queued = await client.edit(EDIT, { async: true });
      const canceled = await client.tasks.cancel(queued.id);
      assert.equal(canceled.id, queued.id);
      assert.equal(canceled.status, 'CANCELED');
      assert.equal((await queued.get()).status, 'CANCELED');
      await assert.rejects(queued.wait(), (error) => error instanceof TaskCanceledError && error.taskId === queued.id && error.code === 'TaskCanceled');
      await assert.rejects(running.cancel(), (error) => error instanceof BadRequestError && error.code === 'UnsupportedOperation' && /RUNNING/.test(error.message));
      const other = await client.edit(EDIT, { async: true });
      const answer = await other.cancel();
      assert.deepEqual({ ...answer, requestId: null }, { id: other.id, status: 'CANCELED', requestId: null });
      assert.equal(typeof answer.requestId, 'string');
    });
  });
});

describe('client: timeouts and aborts', () => {
  it('TimeoutError when a held sync edit outlives timeoutMs (no retries)', async () => {
    await withHeldTask(async ({ server }) => {
      const impatient = createClient({ baseUrl: server.url, apiKey: server.key, timeoutMs: 100, maxRetries: 0 });
      await assert.rejects(impatient.edit(EDIT), (error) => {
        assert.ok(error instanceof TimeoutError, String(error));
        assert.deepEqual([error.status, error.code, error.retryable], [null, 'RequestTimeOut', true]);
        assert.match(error.message, /within 100 ms/);
        return true;
      });
      const perCall = createClient({ baseUrl: server.url, apiKey: server.key, maxRetries: 0 });
      await assert.rejects(perCall.edit(EDIT, { timeoutMs: 100 }), TimeoutError);
    });
  });

  it('an AbortSignal aborts a sync edit in flight with the signal\'s reason', async () => {
    await withHeldTask(async ({ client }) => {
      const controller = new AbortController();
      const editing = client.edit(EDIT, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(editing, isAbort);
      const reason = new Error('the user left');
      await assert.rejects(client.edit(EDIT, { signal: AbortSignal.abort(reason) }), (error) => error === reason);
    });
  });

  it('an AbortSignal aborts tasks.wait in its sleep between polls', async () => {
    await withHeldTask(async ({ client, running }) => {
      const controller = new AbortController();
      let polls = 0;
      const waiting = client.tasks.wait(running.id, {
        signal: controller.signal,
        pollIntervalMs: 600_000,
        onProgress: () => {
          polls += 1;
          setTimeout(() => controller.abort(), 10);
        },
      });
      await assert.rejects(waiting, isAbort);
      assert.equal(polls, 1, 'aborted in the sleep after the first poll');
      assert.equal((await running.get()).status, 'RUNNING', 'the task itself carries on');
    });
  });
});
