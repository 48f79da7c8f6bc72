/**
 * A store failing under a query is told apart from a bug: SQLite full inside a transaction keeps
 * SQLITE_FULL (not the failed ROLLBACK after SQLite's own), and a Postgres connection reset under a
 * query (a bare ECONNRESET) is known as the database's. Both answer 503, never 500.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { toAppError } from '../../../src/domain/errors.js';
import { infrastructureFailure } from '../../../src/domain/infrastructure-errors.js';
import { openStore } from '../../../src/store/db.js';
import { SqliteDialectKeepingErrors } from '../../../src/store/sqlite-dialect.js';
import { startTcpProxy } from '../../faults/infra.js';
import { postgresSchemaUrl, tempDir } from '../../helpers/stores.js';

async function thrownBy(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  assert.fail('expected a failure');
}

describe('store connection errors', () => {
  it('SQLite full inside a transaction answers disk full, not "no transaction is active"', async () => {
    const file = new SQLite(':memory:');
    const db = new Kysely<{ t: { id: number | null; v: string } }>({ dialect: new SqliteDialectKeepingErrors(file, file) });
    await sql`create table t (id integer primary key, v text)`.execute(db);
    file.pragma(`max_page_count = ${Number(file.pragma('page_count', { simple: true })) + 3}`);
    const error = await thrownBy(
      db.transaction().execute(async (trx) => {
        for (let i = 0; i < 10; i++) await trx.insertInto('t').values({ id: null, v: 'x'.repeat(20_000) }).execute();
      }),
    );
    assert.equal((error as { code?: string }).code, 'SQLITE_FULL');
    assert.equal(toAppError(error).kind, 'unavailable');
    assert.match(toAppError(error).message, /disk is full/);
    // Work goes on once there is room again, and a rollback inside an open transaction still rolls back.
    file.pragma('max_page_count = 1000000');
    await thrownBy(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 1, v: 'kept?' }).execute();
        throw new Error('abandon');
      }),
    );
    assert.deepEqual(await db.selectFrom('t').selectAll().execute(), []);
    await db.destroy();
  });

  const databaseUrl = process.env.DATABASE_URL;
  it('a Postgres connection reset under a query is the database failing (503), not a bug', { skip: databaseUrl ? false : 'DATABASE_URL not set' }, async () => {
    const target = new URL(databaseUrl as string);
    const proxy = await startTcpProxy(Number(target.port || 5432));
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    const dir = tempDir('qig-reset-');
    const store = await openStore({ databaseUrl: target.toString(), dataDir: dir.path, poolSize: 2 });
    try {
      const query = thrownBy(sql`select pg_sleep(5)`.execute(store.db));
      await new Promise((resolve) => setTimeout(resolve, 200));
      proxy.reset();
      const error = await query;
      assert.equal((error as { code?: string }).code, 'ECONNRESET', String(error));
      assert.equal(infrastructureFailure(error), 'database');
      assert.equal(toAppError(error).kind, 'unavailable');
      // A connection reset while it opens (before any 'error' event) is the database's too.
      proxy.resetNew(true);
      const opening = await thrownBy(sql`select 1`.execute(store.db));
      assert.equal(infrastructureFailure(opening), 'database', String(opening));
      proxy.resetNew(false);
      // A reset that is not the database's (a client hanging up) is still left alone.
      assert.equal(infrastructureFailure(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), null);
    } finally {
      await store.close();
      await proxy.close();
      dir.remove();
    }
  });

  it('a transaction one of our sessions leaves open is ended by Postgres, releasing its locks', { skip: databaseUrl ? false : 'DATABASE_URL not set' }, async () => {
    const schema = postgresSchemaUrl(databaseUrl as string);
    const dir = tempDir('qig-idle-');
    // A DATABASE_URL with startup options of its own keeps them, and still gets the timeout.
    const withOptions = new URL(schema.url);
    withOptions.searchParams.set('options', '-c statement_timeout=45000');
    const stalled = await openStore({ databaseUrl: withOptions.toString(), dataDir: dir.path, poolSize: 2, idleInTransactionMs: 300 });
    const other = await openStore({ databaseUrl: schema.url, dataDir: dir.path, poolSize: 2 });
    try {
      await other.db.insertInto('settings').values({ name: 'lock-me', value: 'v0', created_at: 0 }).execute();
      const shown = await sql<{ idle: string; statement: string }>`select current_setting('idle_in_transaction_session_timeout') as idle, current_setting('statement_timeout') as statement`.execute(stalled.db);
      assert.deepEqual(shown.rows[0], { idle: '300ms', statement: '45s' });
      assert.equal((await sql<{ schema: string }>`select current_schema() as schema`.execute(stalled.db)).rows[0]?.schema, new URL(schema.url).searchParams.get('schema'));
      // A node that stops between two statements of a transaction, holding a row lock.
      const abandoned = thrownBy(
        stalled.db.transaction().execute(async (trx) => {
          await trx.updateTable('settings').set({ value: 'v1' }).where('name', '=', 'lock-me').execute();
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          await trx.updateTable('settings').set({ value: 'v2' }).where('name', '=', 'lock-me').execute();
        }),
      );
      // Another node's write of the same row waits for the lock, then goes through once the
      // server has ended the stalled transaction (which is rolled back).
      await other.db.updateTable('settings').set({ value: 'other' }).where('name', '=', 'lock-me').execute();
      const error = await abandoned;
      assert.equal(toAppError(error).kind, 'unavailable', String(error));
      const row = await other.db.selectFrom('settings').select('value').where('name', '=', 'lock-me').executeTakeFirstOrThrow();
      assert.equal(row.value, 'other');
      // The pool drops the ended session and serves on.
      assert.equal((await sql<{ one: number }>`select 1 as one`.execute(stalled.db)).rows[0]?.one, 1);
    } finally {
      await stalled.close();
      await other.close();
      await schema.drop();
      dir.remove();
    }
  });
});
