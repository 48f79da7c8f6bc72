/**
 * The ending watch: a waiter whose task's ending event never arrives (lost between nodes) still
 * hears the ending, read back from the database, and stops being read once it stops listening.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskRecord } from '../../../src/domain/task.js';
import { EndingWatch, withEndingWatch } from '../../../src/services/ending-watch.js';
import { LocalTaskEvents, type TaskEvent } from '../../../src/events/events.js';

function source(ended: Map<string, TaskRecord>) {
  const reads: string[][] = [];
  return {
    reads,
    async findEnded(ids: readonly string[]) {
      reads.push([...ids]);
      return ids.flatMap((id) => (ended.has(id) ? [ended.get(id) as TaskRecord] : []));
    },
  };
}

const endedTask = (id: string) => ({ id, status: 'succeeded', finishedAt: 1_000, updatedAt: 1_000 }) as TaskRecord;

describe('ending watch', () => {
  it('hands a waiter the ending its events lost, read back from the store in one query', async () => {
    const ended = new Map<string, TaskRecord>();
    const store = source(ended);
    const events = withEndingWatch(new LocalTaskEvents(), new EndingWatch(store, 20, (error) => assert.fail(String(error))));
    const heard: TaskEvent[] = [];
    const stops = ['a', 'b', 'c'].map((id) => events.subscribe(id, (event) => heard.push(event)));
    await sleep(60);
    assert.equal(heard.length, 0, 'nothing ended yet');
    assert.ok(store.reads.every((ids) => ids.length === 3), 'one read for every watched task');
    ended.set('b', endedTask('b'));
    for (let i = 0; i < 50 && heard.length === 0; i += 1) await sleep(10);
    assert.equal(heard[0]?.type, 'status');
    assert.equal(heard[0]?.taskId, 'b');
    assert.equal(heard[0]?.type === 'status' ? heard[0].task?.id : null, 'b');
    for (const stop of stops) stop();
    const readsThen = store.reads.length;
    await sleep(80);
    assert.equal(store.reads.length, readsThen, 'nothing is read once nobody waits');
  });

  it('still passes the events through: a published ending arrives at once', async () => {
    const events = withEndingWatch(new LocalTaskEvents(), new EndingWatch(source(new Map()), 60_000, () => {}));
    const heard: TaskEvent[] = [];
    const stop = events.subscribe('x', (event) => heard.push(event));
    await events.publish({ type: 'status', taskId: 'x', status: 'failed', at: 1 });
    assert.equal(heard.length, 1);
    stop();
  });
});
