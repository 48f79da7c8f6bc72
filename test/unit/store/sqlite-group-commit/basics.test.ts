/**
 * SQLite group commit: many transactions share one COMMIT, each caller is answered only once its
 * rows are committed (seen from another connection), a failing transaction leaves the others
 * alone, and a failed COMMIT or a rollback by SQLite itself fails every transaction of the group.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { dir, open, settled } from './helpers.js';

after(() => dir.remove());

describe('SQLite group commit', () => {
  it('commits many concurrent transactions together, each answered only after its rows are committed', async () => {
    const store = await open('many');
    const before = store.faults.commits;
    const writes = Array.from({ length: 50 }, (_, i) =>
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: i + 1, v: 'a' }).execute();
        await trx.updateTable('t').set({ v: 'b' }).where('id', '=', i + 1).execute();
        // Visible to another connection once this caller is answered.
      }).then(() => assert.ok(store.committedIds().includes(i + 1), `row ${i + 1} committed when answered`)),
    );
    await Promise.all(writes);
    assert.equal(store.committedIds().length, 50);
    const commits = store.faults.commits - before;
    assert.ok(commits >= 1 && commits <= 5, `50 transactions in ${commits} commits`);
    await store.close();
  });

  it('a write outside a transaction joins the group and is committed when answered', async () => {
    const store = await open('single');
    await Promise.all([1, 2, 3].map(async (id) => {
      await store.db.insertInto('t').values({ id, v: 'x' }).execute();
      assert.ok(store.committedIds().includes(id));
    }));
    assert.deepEqual(await store.db.selectFrom('t').select('id').orderBy('id').execute(), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    await store.close();
  });

  it('a transaction that throws is rolled back alone; the rest of its group commits', async () => {
    const store = await open('alone');
    const results = await Promise.all([1, 2, 3, 4].map((id) =>
      settled(store.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id, v: 'x' }).execute();
        if (id === 2) throw new Error('abandon');
      })),
    ));
    assert.deepEqual(results.map((result) => result.ok), [true, false, true, true]);
    assert.deepEqual(store.committedIds(), [1, 3, 4]);
    // A constraint error inside a transaction leaves that transaction (and the group) usable.
    const dup = await settled(store.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 10, v: 'x' }).execute();
      await trx.insertInto('t').values({ id: 1, v: 'again' }).execute();
    }));
    assert.equal(dup.ok, false);
    assert.deepEqual(store.committedIds(), [1, 3, 4]);
    await store.close();
  });

  it('a failed COMMIT fails every transaction of its group and keeps none of their rows', async () => {
    const store = await open('commit-fails');
    store.faults.failCommits = true;
    const results = await Promise.all([1, 2, 3].map((id) => settled(store.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id, v: 'x' }).execute();
    }))));
    assert.ok(results.every((result) => !result.ok && (result.error as { code?: string }).code === 'SQLITE_IOERR'), JSON.stringify(results));
    assert.deepEqual(store.committedIds(), []);
    store.faults.failCommits = false;
    await store.db.insertInto('t').values({ id: 9, v: 'after' }).execute();
    assert.deepEqual(store.committedIds(), [9]);
    assert.deepEqual(await store.db.selectFrom('t').select('id').execute(), [{ id: 9 }]);
    await store.close();
  });

  it('when SQLite rolls the group back itself (the disk full), the transactions already in it fail too', async () => {
    const store = await open('full');
    store.file.pragma(`max_page_count = ${Number(store.file.pragma('page_count', { simple: true })) + 3}`);
    const small = settled(store.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, v: 'small' }).execute();
    }));
    const big = settled(store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 10; i++) await trx.insertInto('t').values({ id: 100 + i, v: 'x'.repeat(20_000) }).execute();
    }));
    const [first, second] = await Promise.all([small, big]);
    assert.equal(second.ok, false);
    assert.equal((second as { error: { code?: string } }).error.code, 'SQLITE_FULL');
    assert.equal(first.ok, false, 'the small transaction shared the group SQLite rolled back');
    assert.deepEqual(store.committedIds(), []);
    store.file.pragma('max_page_count = 1000000');
    await store.db.insertInto('t').values({ id: 2, v: 'room again' }).execute();
    assert.deepEqual(store.committedIds(), [2]);
    await store.close();
  });
});
