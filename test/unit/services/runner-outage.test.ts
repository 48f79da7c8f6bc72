/**
 * The database failing under a running task is not the task's ending: the runner records nothing
 * (no failure, no partial success) and throws, so the queue tries the job again. Fakes of every
 * dependency, the database failing once where the test says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskRunner, type RunnerDeps } from '../../../src/services/runner.js';
import type { TaskOutcome } from '../../../src/domain/task.js';

const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

function runnerWith(n: number, failures: { finish?: boolean; save?: boolean }) {
  const task: any = { id: 't1', keyId: 'k', model: 'qwen-image-2.0', kind: 'generate', status: 'running', spec: { n, seed: 1, size: { width: 64, height: 64 }, prompt: 'x', watermark: false, outputFormat: 'png' }, inputs: [], engine: null, operation: null, outputs: [], usage: null, actualPrompt: null, error: null, warnings: [], attempts: 1, cancelRequested: false, origin: 'openai', requestId: 'r', createdAt: 0, startedAt: Date.now(), finishedAt: null, updatedAt: 0, leaseUntil: 1e12, workerId: 'w' };
  const outcomes: TaskOutcome[] = [];
  const engine: any = { name: 'e', capabilities: { maxImagesPerCall: 1, watermark: true }, start: async () => ({ status: 'done', images: [{ kind: 'encoded', data: Buffer.from('x'), contentType: 'image/png' }] }), poll: async () => assert.fail('no poll'), cancel: async () => {} };
  const deps = {
    store: {
      claim: async () => task,
      saveProgress: async (_id: string, _worker: string, progress: { outputs?: unknown[] }) => {
        if (failures.save && progress.outputs) throw terminated();
        return true;
      },
      get: async () => task,
      appendLog: async () => {},
      finish: async (_id: string, _worker: string, outcome: TaskOutcome) => {
        if (failures.finish) {
          failures.finish = false; // once: the old runner then recorded a failure in its place
          throw terminated();
        }
        outcomes.push(outcome);
        return { ...task, status: outcome.status };
      },
    },
    queue: { enqueue: async () => {} },
    events: { publish: async () => {}, subscribe: () => () => {}, subscribeLocal: () => () => {} },
    blobs: { delete: async () => {} },
    signer: {},
    router: { route: () => [engine], get: () => ({ options: {} }) },
    outputs: { write: async () => ({ blobId: 'b', contentType: 'image/png', width: 64, height: 64, bytes: 1, seed: 1 }) },
    clock: { now: () => Date.now() },
    logger: { warn() {}, error() {}, info() {}, debug() {} },
  } as unknown as RunnerDeps;
  const runner = new TaskRunner(deps, { workerId: 'w', leaseMs: 30_000, retry: { attemptsPerEngine: 1, baseDelayMs: 1, maxDelayMs: 1 }, taskTimeoutMs: 60_000, inputUrlTtlMs: 60_000 });
  return { runner, outcomes };
}

describe('runner: the database failing under a task', () => {
  it('a failed write of the ending records nothing and throws, so the job is retried', async () => {
    const { runner, outcomes } = runnerWith(1, { finish: true });
    await assert.rejects(runner.run('t1'), /administrator command/);
    assert.deepEqual(outcomes, []);
  });

  it('a failed save between two slices is no partial success: nothing is recorded', async () => {
    const { runner, outcomes } = runnerWith(2, { save: true });
    await assert.rejects(runner.run('t1'), /administrator command/);
    assert.deepEqual(outcomes, []);
  });
});
