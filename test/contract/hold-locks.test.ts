/**
 * Postgres: which lock a task's hold takes on its user's row. A metered user (or one with limits
 * counted under the lock) is locked exclusively, so concurrent holds of one user queue; an
 * unlimited user without such limits is share-locked, so its concurrent submits do not queue
 * behind each other's commits, while an admin setting a balance still waits for them.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openStore, type SqlStore } from '../../src/store/db.js';
import { takeHold } from '../../src/store/ledger-entries.js';
import { newTaskRow } from '../../src/store/task-rows.js';
import { addKey, billedTask } from '../helpers/billing.js';
import { userOf } from '../helpers/accounts.js';
import { postgresSchemaUrl } from '../helpers/stores.js';

const databaseUrl = process.env.DATABASE_URL;

describe('a hold’s lock on its user (Postgres)', { skip: databaseUrl ? false : 'DATABASE_URL not set' }, () => {
  let schema: ReturnType<typeof postgresSchemaUrl>;
  let store: SqlStore;
  let other: pg.Client;

  before(async () => {
    schema = postgresSchemaUrl(databaseUrl as string);
    store = await openStore({ databaseUrl: schema.url, dataDir: tmpdir() });
    const url = new URL(schema.url);
    const name = url.searchParams.get('schema') as string;
    url.searchParams.delete('schema');
    other = new pg.Client({ connectionString: url.toString() });
    await other.connect();
    await other.query(`set search_path = ${name}`);
    await other.query('set lock_timeout = 2000');
  });
  after(async () => {
    await other.end();
    await store.close();
    await schema.drop();
  });

  /** Holds a task of `keyId` in an open transaction, runs `meanwhile`, then commits. */
  async function duringHold(keyId: string, limits: Parameters<typeof takeHold>[2], meanwhile: () => Promise<void>): Promise<void> {
    await store.db.transaction().execute(async (trx) => {
      const task = billedTask(keyId, 1, 100);
      await trx.insertInto('tasks').values(newTaskRow(task)).execute();
      await takeHold(trx, task, limits, 'CNY', 'postgres');
      await meanwhile();
    });
  }

  /** Whether `statement` on the other connection waits for a lock (it gives up after 200 ms). */
  async function blocks(statement: string, params: unknown[]): Promise<boolean> {
    await other.query('begin');
    try {
      await other.query('set local lock_timeout = 200');
      await other.query(statement, params);
      return false;
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') return true;
      throw error;
    } finally {
      await other.query('rollback');
    }
  }

  it('an unlimited user without limits: another hold of the same user does not wait; a balance change does', async () => {
    const keyId = await addKey(store.db, null);
    const user = userOf(keyId);
    await duringHold(keyId, { maxInFlight: null }, async () => {
      // The same conditional UPDATE another hold would run (it matches no row while unlimited).
      assert.equal(await blocks('update users set balance_micros = balance_micros - 100 where id = $1 and balance_micros >= 100', [user]), false);
      assert.equal(await blocks('select balance_micros from users where id = $1 for share', [user]), false);
      assert.equal(await blocks('update users set balance_micros = 5000 where id = $1', [user]), true);
    });
  });

  it('a metered user, or limits counted under the lock: the row is locked exclusively', async () => {
    const metered = await addKey(store.db, 10_000);
    await duringHold(metered, { maxInFlight: null }, async () => {
      assert.equal(await blocks('select balance_micros from users where id = $1 for share', [userOf(metered)]), true);
    });
    const limited = await addKey(store.db, null);
    await duringHold(limited, { maxInFlight: 5 }, async () => {
      assert.equal(await blocks('select balance_micros from users where id = $1 for share', [userOf(limited)]), true);
    });
  });
});
