/** The metrics module's label bounds: catalog models, configured engines, capped upstream codes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRecord } from '../../../src/domain/task.js';
import { createMetrics, MAX_ENGINE_LABELS, MAX_UPSTREAM_CODES } from '../../../src/http/metrics.js';
import { parseExposition, valueOf } from '../../helpers/prometheus.js';

async function samples(metrics: ReturnType<typeof createMetrics>) {
  return parseExposition(await metrics.registry.metrics());
}

function ended(fields: Partial<TaskRecord>): TaskRecord {
  return {
    id: 'task_1', keyId: 'key_1', model: 'qwen-image-2.0-pro', kind: 'generate', status: 'succeeded', engine: 'a',
    createdAt: 1_000, startedAt: 3_000, finishedAt: 7_000, outputs: [], billing: { state: 'settled', unitPriceMicros: 0, holdMicros: 0, chargedMicros: 0 },
    ...fields,
  } as TaskRecord;
}

describe('metrics labels', () => {
  it('keeps the first distinct upstream codes of each engine, then counts the rest as "other"', async () => {
    const metrics = createMetrics({ engines: ['a', 'b'], currency: 'USD' });
    for (let i = 0; i < MAX_UPSTREAM_CODES + 5; i += 1) metrics.upstreamCall('a', 'poll', { kind: 'engine_failed', upstreamCode: `Code${i}` });
    metrics.upstreamCall('a', 'poll', { kind: 'engine_failed', upstreamCode: 'Code0' });
    metrics.upstreamCall('b', 'start', { kind: 'engine_failed', upstreamCode: `Code${MAX_UPSTREAM_CODES + 1}` });
    metrics.upstreamCall('a', 'start', { kind: 'engine_failed', upstreamCode: 'has spaces "and quotes"' });
    metrics.upstreamCall('a', 'start', { kind: 'rate_limited', upstreamCode: undefined });
    metrics.upstreamCall('added-at-runtime', 'start', null);
    metrics.upstreamCall('not a channel name', 'start', null);
    const all = await samples(metrics);
    const errors = all.filter((s) => s.name === 'qig_upstream_errors_total' && s.labels.engine === 'a' && s.labels.kind === 'engine_failed');
    assert.equal(errors.length, MAX_UPSTREAM_CODES + 1);
    assert.equal(valueOf(all, 'qig_upstream_errors_total', { engine: 'a', kind: 'engine_failed', code: 'Code0' }), 2);
    assert.equal(valueOf(all, 'qig_upstream_errors_total', { engine: 'a', kind: 'engine_failed', code: 'other' }), 6);
    assert.equal(valueOf(all, 'qig_upstream_errors_total', { engine: 'b', code: `Code${MAX_UPSTREAM_CODES + 1}` }), 1, 'each engine has its own codes');
    assert.equal(valueOf(all, 'qig_upstream_errors_total', { engine: 'a', kind: 'rate_limited', code: 'none' }), 1);
    assert.equal(valueOf(all, 'qig_upstream_calls_total', { engine: 'added-at-runtime', call: 'start' }), 1, 'a channel added at runtime has its own label');
    assert.equal(valueOf(all, 'qig_upstream_calls_total', { engine: 'other', call: 'start' }), 1, 'a name no channel can have');
  });

  it('labels tasks of unknown models and engines "other", and of no engine "none"', async () => {
    const metrics = createMetrics({ engines: ['a'], currency: 'USD' });
    metrics.taskEvent({ type: 'status', taskId: 'task_1', status: 'failed', at: 0, task: ended({ model: 'not-a-model', engine: 'gpu+cpu', status: 'failed' }) });
    metrics.taskEvent({ type: 'status', taskId: 'task_2', status: 'failed', at: 0, task: ended({ engine: null, status: 'failed' }) });
    const all = await samples(metrics);
    assert.equal(valueOf(all, 'qig_task_duration_seconds_count', { model: 'other', engine: 'other', outcome: 'failed' }), 1);
    assert.equal(valueOf(all, 'qig_task_duration_seconds_sum', { model: 'other', engine: 'other', outcome: 'failed' }), 4);
    assert.equal(valueOf(all, 'qig_task_queue_wait_seconds_sum', { model: 'other', engine: 'other', outcome: 'failed' }), 2);
    assert.equal(valueOf(all, 'qig_task_duration_seconds_count', { model: 'qwen-image-2.0-pro', engine: 'none', outcome: 'failed' }), 1);
  });

  it('keeps at most MAX_ENGINE_LABELS engine names, then counts the rest as "other"', async () => {
    const metrics = createMetrics({ engines: [], currency: 'USD' });
    for (let i = 0; i < MAX_ENGINE_LABELS + 3; i += 1) metrics.upstreamCall(`channel-${i}`, 'start', null);
    const all = await samples(metrics);
    const calls = all.filter((s) => s.name === 'qig_upstream_calls_total');
    assert.equal(calls.length, MAX_ENGINE_LABELS + 1);
    assert.equal(valueOf(all, 'qig_upstream_calls_total', { engine: 'other', call: 'start' }), 3);
  });

  it('counts a transition without timings when the ending carries no task or the task never started', async () => {
    const metrics = createMetrics({ engines: ['a'], currency: 'USD' });
    metrics.taskEvent({ type: 'status', taskId: 'task_1', status: 'failed', at: 0 });
    metrics.taskEvent({ type: 'status', taskId: 'task_2', status: 'canceled', at: 0, task: ended({ status: 'canceled', startedAt: null }) });
    const all = await samples(metrics);
    assert.equal(valueOf(all, 'qig_task_transitions_total', { status: 'failed' }), 1);
    assert.equal(valueOf(all, 'qig_task_transitions_total', { status: 'canceled' }), 1);
    assert.equal(all.filter((s) => s.name.startsWith('qig_task_duration_seconds') || s.name.startsWith('qig_task_queue_wait_seconds')).length, 0);
  });
});
