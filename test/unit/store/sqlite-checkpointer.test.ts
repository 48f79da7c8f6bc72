/**
 * WAL checkpoints on a worker thread: the serving connection stops checkpointing inside commits,
 * the thread folds the WAL back into the database, and closing leaves no WAL behind.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openStore } from '../../../src/store/db.js';
import { startCheckpointer } from '../../../src/store/sqlite-checkpointer.js';
import { tempDir } from '../../helpers/stores.js';

describe('SQLite checkpoints on a worker thread', () => {
  it('turns off checkpoints in commits, checkpoints the WAL in the background, and removes it on close', async () => {
    const dir = tempDir();
    const failures: unknown[] = [];
    const store = await openStore({ databaseUrl: null, dataDir: dir.path, backgroundCheckpoints: { intervalMs: 20, onFailure: (e) => failures.push(e) } });
    try {
      const setting = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
      assert.equal(setting.rows[0]?.wal_autocheckpoint, 0);
      const rows = Array.from({ length: 400 }, (_, i) => ({ task_id: `t${i % 7}`, at: i, level: 'info', message: 'x'.repeat(300) }));
      for (let i = 0; i < 20; i += 1) await store.db.insertInto('task_logs').values(rows).execute();
      // Only a checkpoint moves pages from the WAL into the database file: it grows once the thread ran.
      const dbFile = join(dir.path, 'qig.sqlite');
      for (let i = 0; i < 100 && statSync(dbFile).size < 2_000_000; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(statSync(dbFile).size >= 2_000_000, `the database file holds ${statSync(dbFile).size} bytes`);
      assert.deepEqual(failures, []);
    } finally {
      await store.close();
    }
    assert.equal(existsSync(join(dir.path, 'qig.sqlite-wal')), false, 'the last connection to close folds the WAL back in');
    dir.remove();
  });

  it('refuses to start on a database that does not exist, leaving commits to checkpoint', async () => {
    const dir = tempDir();
    const file = new SQLite(join(dir.path, 'real.sqlite'));
    file.pragma('journal_mode = WAL');
    await assert.rejects(startCheckpointer(file, join(dir.path, 'missing.sqlite'), { intervalMs: 20, onFailure: () => {} }));
    assert.equal(file.pragma('wal_autocheckpoint', { simple: true }), 1000);
    file.close();
    dir.remove();
  });
});
