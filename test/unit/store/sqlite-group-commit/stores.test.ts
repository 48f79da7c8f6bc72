/**
 * openStore through the group-commit driver: migrations on a fresh directory and on reopen, two
 * Kysely instances on one file in one process (a CLI command run in-process beside the server, a
 * test helper reopening the server's directory), and db.connection() with a transaction inside
 * (Kysely's own Migrator shape).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { openStore } from '../../../../src/store/db.js';
import { tempDir } from '../../../helpers/stores.js';
import { dir as helperDir, open, sleep, within } from './helpers.js';

const dirs: Array<{ remove(): void }> = [helperDir];
after(() => dirs.forEach((dir) => dir.remove()));
function fresh() {
  const dir = tempDir('qig-gc-stores-');
  dirs.push(dir);
  return dir.path;
}

describe('group commit: openStore and migrations', () => {
  it('openStore on a fresh directory, close, reopen: migrations recorded once and the store writable (held?)', async () => {
    const path = fresh();
    const first = await openStore({ databaseUrl: null, dataDir: path });
    const applied = await first.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
    await first.close();
    const reader = new SQLite(join(path, 'qig.sqlite'), { readonly: true });
    const inFile = reader.prepare('select count(*) as n from kysely_migration').get() as { n: number };
    reader.close();
    assert.equal(inFile.n, applied.length, 'every migration the first open applied is committed');
    const second = await openStore({ databaseUrl: null, dataDir: path });
    const again = await second.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
    assert.equal(again.length, applied.length);
    await second.db.insertInto('usage_records').values({ key_id: 'k', task_id: 't', model: 'm', images: 1, currency: 'CNY', created_at: 1, engine: 'cloud', unit_price_micros: 0, amount_micros: 0, description: 'd' }).execute();
    await second.close();
  });

  it('two stores open on one directory in one process: a write through B while A has a group pending succeeds without stalling', async () => {
    const path = fresh();
    const a = await openStore({ databaseUrl: null, dataDir: path });
    const b = await openStore({ databaseUrl: null, dataDir: path });
    try {
      const row = (taskId: string) => ({ key_id: 'k', task_id: taskId, model: 'm', images: 1, currency: 'CNY', created_at: 1, engine: 'cloud', unit_price_micros: 0, amount_micros: 0, description: 'd' });
      // A (the server) writes; B (an admin command) writes in the same turn.
      const aWrite = a.db.insertInto('usage_records').values(row('from-a')).execute();
      const started = Date.now();
      const bWrite = await Promise.allSettled([b.db.insertInto('usage_records').values(row('from-b')).execute()]);
      const ms = Date.now() - started;
      await Promise.allSettled([aWrite]);
      assert.equal(bWrite[0]!.status, 'fulfilled', `B: ${bWrite[0]!.status === 'rejected' ? String(bWrite[0]!.reason) : ''} after ${ms} ms (the event loop was blocked all that time)`);
      assert.ok(ms < 1_000, `B's write took ${ms} ms`);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('group commit: db.connection() with a transaction inside', () => {
  it('a write after the inner transaction is committed when connection().execute() is answered', async () => {
    const store = await open('connection-nested');
    await store.db.connection().execute(async (db) => {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 1, v: 'inner' }).execute();
      });
      await db.insertInto('t').values({ id: 2, v: 'after' }).execute();
    });
    const ids = store.committedIds();
    await sleep(10);
    assert.deepEqual(ids, [1, 2], 'answered before the write after the transaction was committed');
    await store.close();
  });

  it('after the inner transaction, no other request runs on the connection until connection().execute() ends', async () => {
    const store = await open('connection-interleave');
    const outer = store.db.connection().execute(async (db) => {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 1, v: 'inner' }).execute();
      });
      await sleep(20);
      // Still this request's connection, as far as Kysely is concerned.
      await db.insertInto('t').values({ id: 2, v: 'outer, after the transaction' }).execute();
    });
    // Another request's transaction, begun meanwhile, rolls back.
    await sleep(5);
    const other = store.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 3, v: 'other' }).execute();
      await sleep(40);
      throw new Error('other request gives up');
    });
    const [outerResult, otherResult] = await Promise.allSettled([within(outer, 2_000), within(other, 2_000)]);
    await sleep(10);
    assert.equal(outerResult.status, 'fulfilled');
    assert.deepEqual((outerResult as PromiseFulfilledResult<unknown>).value, { ok: true, value: undefined });
    assert.equal(otherResult.status, 'fulfilled');
    assert.deepEqual(store.committedIds(), [1, 2], 'row 2 was answered ok but went down with the other request’s ROLLBACK TO');
    await store.close();
  });
});
