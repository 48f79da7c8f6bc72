/**
 * A sync route's wait for an accepted task (TaskService.wait): a database failing for a moment
 * while it reads the task is read again until the wait's deadline; any other failure, or one that
 * outlasts the deadline, reaches the caller.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRecord } from '../../../src/domain/task.js';
import { LocalTaskEvents } from '../../../src/events/events.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { TaskService, type TaskServiceDeps } from '../../../src/services/tasks.js';
import type { Principal } from '../../../src/services/keys.js';

const principal = { keyId: 'key-1', models: null } as unknown as Principal;

function task(status: TaskRecord['status']): TaskRecord {
  return {
    id: 'task-1', keyId: 'key-1', userId: 'usr_key-1', priceMultiplierPpm: 1_000_000, model: 'qwen-image-edit-plus', kind: 'edit', status, spec: {} as TaskRecord['spec'], inputs: [], engine: null, operation: null,
    outputs: [], usage: null, actualPrompt: null, error: null, warnings: [], attempts: 0, cancelRequested: false, origin: 'test', requestId: 'r', createdAt: 0,
    startedAt: null, finishedAt: null, updatedAt: 0, leaseUntil: null, workerId: null, billing: { state: 'held', unitPriceMicros: 0, holdMicros: 0, chargedMicros: 0 } as TaskRecord['billing'],
  };
}

/** pg's own error when its pool could not hand out a connection in time. */
const poolTimeout = () => new Error('timeout exceeded when trying to connect');

/** A service whose store answers `get` from `answers` in turn (an Error is thrown). */
function serviceReading(answers: Array<TaskRecord | Error>): { service: TaskService; reads: () => number } {
  let reads = 0;
  const store = {
    get: async () => {
      const answer = answers[Math.min(reads, answers.length - 1)] as TaskRecord | Error;
      reads += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  const deps = { store, events: new LocalTaskEvents(), clock: { now: () => 0 }, logger: silentLogger() } as unknown as TaskServiceDeps;
  return { service: new TaskService(deps, { maxQueuedTasks: 10 }), reads: () => reads };
}

describe('waiting for an accepted task', () => {
  it('reads it again while the database fails for a moment, and answers the task', async () => {
    const { service, reads } = serviceReading([poolTimeout(), poolTimeout(), task('succeeded')]);
    const done = await service.wait(principal, 'task-1', 10_000);
    assert.equal(done?.status, 'succeeded');
    assert.equal(reads(), 3);
  });

  it('gives the failure to the caller once the wait has no time left for another read', async () => {
    const { service, reads } = serviceReading([poolTimeout()]);
    await assert.rejects(service.wait(principal, 'task-1', 1_000), /timeout exceeded when trying to connect/);
    // At 0, 250 and 750 ms; a fourth read would come after the deadline (fewer on a slow machine).
    assert.ok(reads() >= 2 && reads() <= 3, `read ${reads()} times in a 1 s wait`);
  });

  it('does not read again after a failure that is not the infrastructure\'s', async () => {
    const { service, reads } = serviceReading([new Error('a bug'), task('succeeded')]);
    await assert.rejects(service.wait(principal, 'task-1', 10_000), /a bug/);
    assert.equal(reads(), 1);
  });
});
