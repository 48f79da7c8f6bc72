/**
 * A long burst: waves of concurrent writes and transactions, with failures mixed in (constraint
 * errors, callbacks that throw). Every promise settles, and memory returns to where it was.
 * Run with --expose-gc for the heap check.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { dir, open, within } from './helpers.js';

after(() => dir.remove());

const gc = (globalThis as { gc?: () => void }).gc;

describe('group commit: a long burst', () => {
  it('40 waves of 500: everything settles, commits stay grouped, the heap does not grow', async () => {
    const store = await open('burst');
    let id = 0;
    const wave = async () => {
      const work: Array<Promise<unknown>> = [];
      for (let i = 0; i < 500; i++) {
        const mine = ++id;
        if (i % 50 === 7) work.push(store.db.insertInto('t').values({ id: 1, v: 'dup' }).execute());
        else if (i % 50 === 9) work.push(store.db.transaction().execute(async (trx) => { await trx.insertInto('t').values({ id: mine, v: 'x' }).execute(); throw new Error('no'); }));
        else if (i % 2) work.push(store.db.insertInto('t').values({ id: mine, v: 'x' }).execute());
        else work.push(store.db.transaction().execute(async (trx) => { await trx.insertInto('t').values({ id: mine, v: 'x' }).execute(); await trx.updateTable('t').set({ v: 'y' }).where('id', '=', mine).execute(); }));
      }
      const results = await within(Promise.allSettled(work), 10_000);
      assert.notEqual(results, 'timeout');
      return (results as { ok: true; value: PromiseSettledResult<unknown>[] }).value.filter((r) => r.status === 'fulfilled').length;
    };
    await wave();
    await store.db.deleteFrom('t').execute();
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const commitsBefore = store.faults.commits;
    let ok = 0;
    const heaps: number[] = [];
    const started = Date.now();
    for (let w = 0; w < 40; w++) {
      ok += await wave();
      if (w % 20 === 0) await store.db.deleteFrom('t').where('id', '>', 1).execute();
      if (w % 10 === 9 && gc) {
        gc();
        heaps.push(Math.round((process.memoryUsage().heapUsed - before) / 1e6));
      }
    }
    const ms = Date.now() - started;
    gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    const commits = store.faults.commits - commitsBefore;
    console.log(`${ok} ok of ${40 * 500} in ${ms} ms, ${commits} commits, heap ${(grown / 1e6).toFixed(1)} MB (after 10/20/30/40 waves: ${heaps.join('/')} MB) ${gc ? '' : '(no --expose-gc)'}`);
    assert.ok(commits < 40 * 10, `${commits} commits for 40 waves`);
    if (gc) assert.ok(grown < 20e6, `heap grew ${grown} bytes`);
    await store.close();
  });
});
