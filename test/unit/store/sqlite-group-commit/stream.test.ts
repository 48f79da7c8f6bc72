/**
 * streamQuery through the group-commit driver: outside and inside transactions, broken off early,
 * and left unfinished inside a transaction (a caller's bug, which must fail that caller, not wedge
 * the store or leave other callers waiting forever).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { dir, open, within } from './helpers.js';

after(() => dir.remove());

describe('group commit: streamQuery', () => {
  it('streams outside and inside a transaction, and broken off early, leave the store usable (held?)', async () => {
    const store = await open('stream');
    await Promise.all([1, 2, 3, 4].map((id) => store.db.insertInto('t').values({ id, v: 'x' }).execute()));
    const outside: number[] = [];
    for await (const row of store.db.selectFrom('t').select('id').orderBy('id').stream()) outside.push(row.id);
    assert.deepEqual(outside, [1, 2, 3, 4]);
    await store.db.transaction().execute(async (trx) => {
      for await (const row of trx.selectFrom('t').select('id').orderBy('id').stream()) if (row.id === 2) break;
      await trx.insertInto('t').values({ id: 5, v: 'after stream' }).execute();
    });
    const concurrent = [6, 7].map((id) => store.db.insertInto('t').values({ id, v: 'x' }).execute());
    const seen: number[] = [];
    for await (const row of store.db.selectFrom('t').select('id').orderBy('id').stream()) seen.push(row.id);
    await Promise.all(concurrent);
    assert.deepEqual(store.committedIds(), [1, 2, 3, 4, 5, 6, 7]);
    await store.close();
  });

  it('a stream left unfinished inside a transaction fails that transaction, and every later caller is still answered', async () => {
    const store = await open('stream-leak');
    await store.db.insertInto('t').values({ id: 1, v: 'x' }).execute();
    await store.db.insertInto('t').values({ id: 2, v: 'x' }).execute();
    // An earlier member of the group, already done and waiting for the COMMIT.
    const earlier = within(store.db.insertInto('t').values({ id: 10, v: 'earlier' }).execute(), 2_000);
    const buggy = within(store.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 11, v: 'buggy' }).execute();
      const rows = trx.selectFrom('t').select('id').stream()[Symbol.asyncIterator]();
      await rows.next();
      // Returns without finishing the stream.
    }), 2_000);
    const later = within(store.db.insertInto('t').values({ id: 12, v: 'later' }).execute(), 2_000);
    const results = await Promise.all([earlier, buggy, later]);
    assert.ok(results.every((result) => result !== 'timeout'), `never answered: ${JSON.stringify(results.map((r) => (r === 'timeout' ? r : r.ok)))}`);
    await within(store.close(), 1_000);
  });
});
