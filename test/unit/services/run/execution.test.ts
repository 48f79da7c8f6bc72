/**
 * The execution of a task on its route, with a fake context: n split into calls of the engine's
 * size with consecutive seeds, retryable errors retried then failed over, a request error not
 * failed over, a pending call parked with its state, a partial failure keeping what was made, and
 * a resumed state continued on its engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/domain/errors.js';
import type { TaskOutput, TaskRecord } from '../../../../src/domain/task.js';
import type { Engine, EngineCall } from '../../../../src/engines/engine.js';
import { executeTask, splitCalls, type CallState, type ExecutionContext, type RunState } from '../../../../src/services/run/execution.js';
import { createScriptedEngine, type Step } from '../../../fakes/scripted-engine.js';

function task(n: number, seed = 100): TaskRecord {
  return {
    id: 't1', keyId: 'k', userId: 'usr_k', priceMultiplierPpm: 1_000_000, model: 'qwen-image-2.0', kind: 'generate', status: 'running',
    spec: { prompt: 'p', negativePrompt: null, n, size: { width: 8, height: 8 }, sizeSource: 'request', seed, promptExtend: false, watermark: false, outputFormat: 'png' },
    inputs: [], engine: null, operation: null, outputs: [], usage: null, actualPrompt: null, error: null, warnings: [], attempts: 1, cancelRequested: false,
    origin: 'test', requestId: 'r', createdAt: 0, startedAt: 0, finishedAt: null, updatedAt: 0, leaseUntil: null, workerId: 'w',
    billing: { state: 'held', unitPriceMicros: 0, holdMicros: 0, chargedMicros: 0 },
  };
}

function engine(name: string, perCall: number, script?: (index: number) => Step) {
  return createScriptedEngine({ name, capabilities: { maxImagesPerCall: perCall }, ...(script ? { script } : {}), pollAfterMs: 700 });
}

/** A context that records what the execution asked of it. */
function context(record: TaskRecord, route: readonly Engine[]) {
  const saved: Array<{ state: RunState; outputs: number }> = [];
  const log: string[] = [];
  const ctx: ExecutionContext = {
    task: record,
    route,
    signal: new AbortController().signal,
    retry: { attemptsPerEngine: 2, baseDelayMs: 1, maxDelayMs: 2 },
    makeCall: (_engine, slice: CallState) => ({ taskId: record.id, n: slice.n, seed: slice.seed, size: record.spec.size, signal: new AbortController().signal, log: () => {} }) as unknown as EngineCall,
    storeImages: async (used, done, slice): Promise<TaskOutput[]> =>
      done.images.map((_, i) => ({ blobId: `${used.name}-${slice.seed + i}`, contentType: 'image/png', width: 8, height: 8, bytes: 1, seed: slice.seed + i })),
    save: async (state, outputs) => void saved.push({ state: structuredClone(state), outputs: outputs.length }),
    log: (message) => void log.push(message),
    progress: () => {},
  };
  return { ctx, saved, log };
}

describe('execution', () => {
  it('splits n into calls of the engine\'s size, each from its own seed', async () => {
    assert.deepEqual(splitCalls(5, 2147483646, 2).map((c) => [c.n, c.seed]), [[2, 2147483646], [2, 0], [1, 2]]);
    const a = engine('a', 2);
    const { ctx, saved } = context(task(5), [a]);
    const result = await executeTask(ctx, null);
    assert.equal(result.kind, 'done');
    assert.deepEqual(a.starts.map((call) => [call.n, call.seed]), [[2, 100], [2, 102], [1, 104]]);
    assert.deepEqual(result.outputs.map((o) => o.seed), [100, 101, 102, 103, 104]);
    // Saved after each call but the last (the ending records that one).
    assert.deepEqual(saved.map((s) => s.outputs), [2, 4]);
  });

  it('retries a retryable error, then fails over to the next engine with the images still to make', async () => {
    const flaky = engine('flaky', 1, (index) => (index === 0 ? 'done' : new AppError('engine_failed', 'upstream 500')));
    const backup = engine('backup', 4);
    const { ctx, log } = context(task(3), [flaky, backup]);
    const result = await executeTask(ctx, null);
    assert.equal(result.kind, 'done');
    assert.equal(result.kind === 'done' && result.engine, 'backup');
    assert.equal(flaky.starts.length, 3, 'one success, then the second call and its retry');
    assert.deepEqual(backup.starts.map((call) => [call.n, call.seed]), [[2, 101]]);
    assert.deepEqual(result.outputs.map((o) => o.blobId), ['flaky-100', 'backup-101', 'backup-102']);
    assert.ok(log.some((line) => line.includes('failing over to engine backup')));
  });

  it('does not fail over an error in the request itself, and keeps what was made', async () => {
    const strict = engine('strict', 1, (index) => (index === 0 ? 'done' : new AppError('invalid_parameter', 'bad prompt')));
    const backup = engine('backup', 4);
    const { ctx } = context(task(2), [strict, backup]);
    const result = await executeTask(ctx, null);
    assert.equal(result.kind, 'failed');
    assert.equal(result.kind === 'failed' && result.error.kind, 'invalid_parameter');
    assert.equal(result.outputs.length, 1);
    assert.equal(backup.starts.length, 0);
  });

  it('parks a pending call with its state, and a resumed state finishes on its engine', async () => {
    const slow = engine('slow', 2, () => ({ pendingPolls: 1 }));
    const first = context(task(2), [slow]);
    const pending = await executeTask(first.ctx, null);
    assert.equal(pending.kind, 'pending');
    if (pending.kind !== 'pending') return;
    assert.equal(pending.delayMs, 700);
    assert.equal(pending.state.engine, 'slow');
    assert.ok(pending.state.calls[0]?.handle !== null, 'the upstream handle is kept');
    const resumed = await executeTask(context(task(2), [slow]).ctx, structuredClone(pending.state));
    assert.equal(resumed.kind, 'done');
    assert.equal(slow.starts.length, 1, 'resumed by polling, not started again');
    assert.equal(slow.polls.length, 1);
  });

  it("resumes on its engine by name wherever the route now puts it, and fails over when it left the route", async () => {
    const slow = engine('slow', 2, () => ({ pendingPolls: 1 }));
    const other = engine('other', 2);
    const pending = await executeTask(context(task(2), [slow, other]).ctx, null);
    assert.equal(pending.kind, 'pending');
    if (pending.kind !== 'pending') return;
    // The next run's route has another order: the saved index (0) would name the wrong engine.
    const resumed = await executeTask(context(task(2), [other, slow]).ctx, structuredClone(pending.state));
    assert.equal(resumed.kind === 'done' && resumed.engine, 'slow');
    assert.equal(slow.polls.length, 1);
    assert.equal(other.starts.length, 0);
    const gone = engine('gone', 2, () => ({ pendingPolls: 1 }));
    const parked = await executeTask(context(task(2), [gone]).ctx, null);
    if (parked.kind !== 'pending') return assert.fail('pending');
    const moved = await executeTask(context(task(2), [other]).ctx, structuredClone(parked.state));
    assert.equal(moved.kind === 'done' && moved.engine, 'other', 'an engine no longer routed: the images start afresh on the first');
    assert.equal(other.starts.length, 1);
  });

  it('fails with a clear error when no engine serves the model', async () => {
    const result = await executeTask(context(task(1), []).ctx, null);
    assert.equal(result.kind === 'failed' && result.error.kind, 'engine_unavailable');
    assert.equal(result.kind === 'failed' && result.error.message, 'No engine is configured for model qwen-image-2.0.');
  });

  it('says why when the route has channels but none is usable now', async () => {
    const { ctx } = context(task(1), []);
    const result = await executeTask({ ...ctx, unavailable: 'No channel of the route of qwen-image-2.0 is available right now.' }, null);
    assert.equal(result.kind === 'failed' && result.error.message, 'No channel of the route of qwen-image-2.0 is available right now.');
  });
});
