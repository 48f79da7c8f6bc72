/**
 * Writes with RETURNING (TaskStore.claim, DeliveryStore.claim, finishTaskRow) are "readers" to
 * better-sqlite3 (`statement.reader === true`), so the driver's run() takes its read path for them:
 * outside a transaction they neither join the group nor wait for its COMMIT, and an error from
 * them is never noted as SQLite having rolled the group back.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { codeOf, dir, open, settled } from './helpers.js';

after(() => dir.remove());

describe('group commit: UPDATE/INSERT … RETURNING outside a transaction', () => {
  it('a claim (UPDATE … RETURNING) is answered only once its row is committed', async () => {
    const store = await open('returning-answered');
    await store.db.insertInto('t').values({ id: 5, v: 'queued' }).execute();
    // Another request's write opens a group in the same turn; the claim lands inside it.
    const other = store.db.insertInto('t').values({ id: 1, v: 'other' }).execute();
    const claimed = await store.db.updateTable('t').set({ v: 'claimed' }).where('id', '=', 5).returningAll().executeTakeFirst();
    assert.equal(claimed?.v, 'claimed');
    const seen = store.committed().find((row) => row.id === 5)?.v;
    await other;
    assert.equal(seen, 'claimed', 'the claim was answered while its UPDATE was still uncommitted');
    await store.close();
  });

  it('a claim whose group fails to COMMIT must not be answered as a success', async () => {
    const store = await open('returning-lost');
    await store.db.insertInto('t').values({ id: 5, v: 'queued' }).execute();
    store.faults.failCommits = true;
    const other = settled(store.db.insertInto('t').values({ id: 1, v: 'other' }).execute());
    const claim = await settled(store.db.updateTable('t').set({ v: 'claimed' }).where('id', '=', 5).returningAll().executeTakeFirst());
    const otherResult = await other;
    store.faults.failCommits = false;
    assert.equal(otherResult.ok, false, 'the plain write shares the failed COMMIT');
    const stored = store.committed().find((row) => row.id === 5)?.v;
    // Either the claim failed, or its row is in the file. Here the caller holds a task the file says is still queued.
    assert.ok(!claim.ok || stored === 'claimed', `claim answered ${JSON.stringify(claim.ok)} but the file says ${stored}`);
    await store.close();
  });

  it('a claim in a group that SQLite rolls back (disk full) must not be answered as a success', async () => {
    const store = await open('returning-full');
    await store.db.insertInto('t').values({ id: 5, v: 'queued' }).execute();
    store.file.pragma(`max_page_count = ${Number(store.file.pragma('page_count', { simple: true })) + 3}`);
    const small = settled(store.db.insertInto('t').values({ id: 1, v: 'small' }).execute());
    const claim = settled(store.db.updateTable('t').set({ v: 'claimed' }).where('id', '=', 5).returningAll().executeTakeFirst());
    const big = settled(store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 10; i++) await trx.insertInto('t').values({ id: 100 + i, v: 'x'.repeat(20_000) }).execute();
    }));
    const [smallResult, claimResult, bigResult] = await Promise.all([small, claim, big]);
    assert.equal(codeOf(bigResult), 'SQLITE_FULL');
    assert.equal(codeOf(smallResult), 'SQLITE_FULL');
    const stored = store.committed().find((row) => row.id === 5)?.v;
    assert.ok(!claimResult.ok || stored === 'claimed', `claim answered ok=${claimResult.ok} but the file says ${stored}`);
    await store.close();
  });

  it('SQLITE_FULL from an INSERT … RETURNING in a transaction: the other members either commit or hear SQLITE_FULL (held)', async () => {
    // SQLite does not roll the transaction back for a RETURNING statement that hits SQLITE_FULL
    // (only the statement), so the group stays usable and the other member commits.
    const store = await open('returning-full-error');
    store.file.pragma(`max_page_count = ${Number(store.file.pragma('page_count', { simple: true })) + 3}`);
    const small = settled(store.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, v: 'small' }).execute();
    }));
    const big = settled(store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 10; i++) await trx.insertInto('t').values({ id: 100 + i, v: 'x'.repeat(20_000) }).returning('id').execute();
    }));
    const [smallResult, bigResult] = await Promise.all([small, big]);
    assert.equal(codeOf(bigResult), 'SQLITE_FULL');
    if (smallResult.ok) assert.deepEqual(store.committedIds(), [1]);
    else {
      assert.equal(codeOf(smallResult), 'SQLITE_FULL');
      assert.deepEqual(store.committedIds(), []);
    }
    await store.close();
  });
});
