/**
 * Idempotency keys, claimed before a submit spends anything. A claim is a row with no task yet
 * (`task_id = ''`); the transaction that creates the task and takes its hold fills it in. So two
 * identical submits sent at once never both reach the balance: the second finds the claim and is
 * answered with the first's task (or told to retry while the first is still being accepted).
 */
import type { Kysely } from 'kysely';
import type { IdempotencyClaim, IdempotencyStore, IdempotencyTimes } from './ports.js';
import type { Database } from './schema.js';

/** The task id of a claim whose task is not created yet. */
export const PENDING = '';

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class SqlIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async claim(keyId: string, key: string, fingerprint: string, times: IdempotencyTimes): Promise<IdempotencyClaim> {
    // A few rounds at most: a row past the window is deleted, an abandoned claim taken over once.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await this.db.insertInto('idempotency_keys').values({ key_id: keyId, idem_key: key, fingerprint, task_id: PENDING, created_at: times.now }).execute();
        return { kind: 'claimed' };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'task_id', 'created_at'])
        .where('key_id', '=', keyId)
        .where('idem_key', '=', key)
        .executeTakeFirst();
      if (!row) continue;
      const createdAt = Number(row.created_at);
      if (createdAt < times.windowStart) {
        // Past the window: forget it, and every other key as old, then claim afresh.
        await this.db.deleteFrom('idempotency_keys').where('created_at', '<', times.windowStart).execute();
        continue;
      }
      const pending = row.task_id === PENDING;
      if (!(pending && createdAt < times.staleBefore)) {
        return { kind: 'existing', fingerprint: row.fingerprint, taskId: pending ? null : row.task_id, createdAt };
      }
      const taken = await this.db
        .updateTable('idempotency_keys')
        .set({ fingerprint, task_id: PENDING, created_at: times.now })
        .where('key_id', '=', keyId)
        .where('idem_key', '=', key)
        .where('created_at', '=', row.created_at)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return { kind: 'claimed' };
    }
    throw new Error(`idempotency key ${key} kept changing hands`);
  }

  async release(keyId: string, key: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('key_id', '=', keyId).where('idem_key', '=', key).where('task_id', '=', PENDING).execute();
  }
}
