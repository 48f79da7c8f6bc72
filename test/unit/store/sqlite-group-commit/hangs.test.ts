/**
 * Promises that must settle: the group's COMMIT and ROLLBACK both failing (an I/O error does
 * that), destroy() with work pending, a transaction awaiting a timer while others queue, a
 * callback throwing at odd points.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { codeOf, dir, open, settled, sleep, within } from './helpers.js';

after(() => dir.remove());

describe('group commit: every caller is answered', () => {
  it('when COMMIT fails and the ROLLBACK after it fails too, every member still hears (and nothing is left unhandled)', async () => {
    const store = await open('commit-and-rollback-fail');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    // node:test would report it against the file; catch it here to make it an assertion.
    process.on('unhandledRejection', onUnhandled);
    try {
      store.faults.failCommits = true;
      store.faults.failRollbacks = true;
      const writes = [1, 2, 3].map((id) => within(store.db.insertInto('t').values({ id, v: 'x' }).execute(), 1_000));
      const results = await Promise.all(writes);
      await sleep(50);
      assert.deepEqual(unhandled.map(String), [], 'the flush rejected with nobody listening');
      assert.ok(results.every((result) => result !== 'timeout'), `callers never answered: ${JSON.stringify(results)}`);
      assert.ok(results.every((result) => codeOf(result) === 'SQLITE_IOERR'));
    } finally {
      store.faults.failCommits = false;
      store.faults.failRollbacks = false;
      await within(store.close(), 1_000);
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('destroy() with writes and transactions queued: each settles, and each one answered ok is in the file (held?)', async () => {
    const store = await open('destroy-pending');
    const work = ([
      ...[1, 2, 3].map((id) => store.db.insertInto('t').values({ id, v: 'x' }).execute()),
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 10, v: 'slow' }).execute();
        await sleep(50);
        await trx.insertInto('t').values({ id: 11, v: 'slow' }).execute();
      }),
      ...[20, 21].map((id) => store.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id, v: 'after' }).execute();
      })),
    ] as Array<Promise<unknown>>).map((promise) => within(promise, 2_000));
    const destroyed = within(store.db.destroy(), 2_000);
    const results = await Promise.all(work);
    assert.notEqual(await destroyed, 'timeout');
    assert.ok(results.every((result) => result !== 'timeout'), JSON.stringify(results));
    const SQLite = (await import('better-sqlite3')).default;
    const check = new SQLite(store.path, { readonly: true });
    const ids = (check.prepare('select id from t').all() as Array<{ id: number }>).map((row) => row.id);
    check.close();
    const okIds = [1, 2, 3, 10, 20, 21].filter((_, i) => (results[i] as { ok: boolean }).ok);
    for (const id of okIds) assert.ok(ids.includes(id), `row ${id} answered ok but not in the file (${ids})`);
  });

  it('an exception thrown from a transaction after a timer, while others queue behind, fails only that one (held?)', async () => {
    const store = await open('throw-after-timer');
    const results = await Promise.all([
      within(store.db.insertInto('t').values({ id: 1, v: 'a' }).execute(), 2_000),
      within(store.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 2, v: 'b' }).execute();
        await sleep(30);
        throw new Error('boom');
      }), 2_000),
      within(store.db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 3, v: 'c' }).execute();
        await sleep(10);
        await trx.insertInto('t').values({ id: 1, v: 'dup' }).execute();
      }), 2_000),
      within(store.db.insertInto('t').values({ id: 4, v: 'd' }).execute(), 2_000),
      within(store.db.insertInto('t').values({ id: 4, v: 'dup' }).execute(), 2_000),
      within(store.db.insertInto('t').values({ id: 5, v: 'e' }).execute(), 2_000),
    ]);
    assert.deepEqual(results.map((result) => (result === 'timeout' ? 'timeout' : result.ok)), [true, false, false, true, false, true]);
    assert.equal(codeOf(results[4]!), 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.deepEqual(store.committedIds(), [1, 4, 5]);
    await store.close();
  });

  it('VACUUM run through Kysely outside a transaction still works', async () => {
    const store = await open('vacuum');
    await store.db.insertInto('t').values({ id: 1, v: 'a' }).execute();
    const vacuum = await settled(sql`vacuum`.execute(store.db));
    assert.equal(vacuum.ok, true, `vacuum: ${vacuum.ok ? '' : String(vacuum.error)}`);
    await store.close();
  });

});
