/**
 * The production path: openStore (statement cache, migrations) and SqlTaskStore.claim, an
 * UPDATE … RETURNING outside a transaction. A worker that is told "claimed" starts the upstream
 * operation; if the claim was never committed, the task is still queued for the next worker.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { openStore } from '../../../../src/store/db.js';
import type { Database } from '../../../../src/store/schema.js';
import { newTaskRow } from '../../../../src/store/task-rows.js';
import { SqlTaskStore } from '../../../../src/store/task-store.js';
import { tempDir } from '../../../helpers/stores.js';

const dir = tempDir('qig-gc-claim-');
after(() => dir.remove());

async function addTask(db: Kysely<Database>, id: string): Promise<void> {
  const spec = { prompt: 'p', negativePrompt: null, n: 1, size: { width: 512, height: 512 }, sizeSource: 'request' as const, seed: 1, promptExtend: false, watermark: false, outputFormat: 'png' as const };
  await db.insertInto('tasks').values({ ...newTaskRow({ id, keyId: 'key', userId: 'usr_key', model: 'qwen-image', kind: 'generate', spec, inputs: [], warnings: [], origin: 'fal', requestId: id, createdAt: 1 }), status: 'queued' }).execute();
}

describe('group commit on the production store: SqlTaskStore.claim', () => {
  it('a worker is told "claimed" only once the claim is committed', async () => {
    const store = await openStore({ databaseUrl: null, dataDir: dir.path });
    const reader = new SQLite(join(dir.path, 'qig.sqlite'), { readonly: true });
    try {
      await addTask(store.db, 'task-a');
      const tasks = new SqlTaskStore(store.db, { currency: 'CNY', dialect: 'sqlite' });
      // Another request writes in the same turn (a submit, a log line): the claim shares its group.
      const other = addTask(store.db, 'task-b');
      const claimed = await tasks.claim('task-a', 'worker-1', 10_000, 70_000);
      assert.equal(claimed?.status, 'running');
      const inFile = reader.prepare('select status, worker_id from tasks where id = ?').get('task-a') as { status: string; worker_id: string | null };
      await other;
      assert.deepEqual(inFile, { status: 'running', worker_id: 'worker-1' }, 'claim answered before its COMMIT');
    } finally {
      reader.close();
      await store.close();
    }
  });
});
