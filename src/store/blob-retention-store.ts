/**
 * Which tasks' blobs are past the output retention, and marking them deleted. Only tasks that
 * own their blobs (`blob_scope = 'task'`) are ever returned: older tasks' blobs may be shared.
 */
import type { Kysely } from 'kysely';
import type { TaskInput, TaskOutput } from '../domain/task.js';
import type { BlobRetentionStore, ExpiredBlobs } from './ports.js';
import type { Database } from './schema.js';

export class SqlBlobRetentionStore implements BlobRetentionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findExpired(endedBefore: number, limit: number): Promise<ExpiredBlobs[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['id', 'inputs', 'outputs'])
      .where('blob_scope', '=', 'task')
      .where('finished_at', '<', endedBefore)
      .orderBy('finished_at')
      .limit(limit)
      .execute();
    return rows.map((row) => {
      const inputs = JSON.parse(row.inputs) as TaskInput[];
      const outputs = JSON.parse(row.outputs) as TaskOutput[];
      const blobIds = [...inputs.map((input) => input.blobId), ...outputs.flatMap((output) => (output.blobId === null ? [] : [output.blobId]))];
      return { taskId: row.id, blobIds };
    });
  }

  async markPurged(taskId: string): Promise<void> {
    await this.db.updateTable('tasks').set({ blob_scope: 'purged' }).where('id', '=', taskId).execute();
  }
}
