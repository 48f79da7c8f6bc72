/**
 * The queue dialects' request rows (fal and SeaArt): a task's start deadline, sync mode and
 * webhook, written with the task in its own transaction (see task-store.ts).
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import { TERMINAL_STATUSES } from '../domain/task.js';
import type { QueueRequestRecord, QueueRequestStore } from './ports.js';
import type { Database, QueueRequestsTable } from './schema.js';

const TERMINAL = [...TERMINAL_STATUSES];

/** A queue request's row, as written with its task (or on its own). */
export function queueRequestRow(request: Omit<QueueRequestRecord, 'timedOut'>): Insertable<QueueRequestsTable> {
  return {
    task_id: request.taskId,
    dialect: request.dialect,
    endpoint: request.endpoint,
    sync_mode: request.syncMode ? 1 : 0,
    start_deadline: request.startDeadline,
    timed_out: 0,
    webhook_url: request.webhookUrl,
    webhook_state: request.webhookUrl === null ? null : 'waiting',
    created_at: request.createdAt,
  };
}

function toRequest(row: Selectable<QueueRequestsTable>): QueueRequestRecord {
  return {
    taskId: row.task_id,
    dialect: row.dialect,
    endpoint: row.endpoint,
    syncMode: Number(row.sync_mode) === 1,
    startDeadline: row.start_deadline === null ? null : Number(row.start_deadline),
    timedOut: Number(row.timed_out) === 1,
    webhookUrl: row.webhook_url,
    createdAt: Number(row.created_at),
  };
}

export class SqlQueueRequestStore implements QueueRequestStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The queue options of a task, or null when it has none. */
  async getRequest(taskId: string): Promise<QueueRequestRecord | null> {
    const row = await this.db.selectFrom('queue_requests').selectAll().where('task_id', '=', taskId).executeTakeFirst();
    return row ? toRequest(row) : null;
  }

  /** Flags a request as timed out before it started; false if it already was. */
  async markTimedOut(taskId: string, timedOut: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable('queue_requests')
      .set({ timed_out: timedOut ? 1 : 0 })
      .where('task_id', '=', taskId)
      .where('timed_out', '=', timedOut ? 0 : 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Queued tasks whose start deadline has passed and that are not flagged yet. */
  async findOverdue(now: number, limit: number): Promise<Array<{ taskId: string; keyId: string }>> {
    const rows = await this.db
      .selectFrom('tasks')
      .innerJoin('queue_requests', 'queue_requests.task_id', 'tasks.id')
      .select(['tasks.id as taskId', 'tasks.key_id as keyId'])
      .where('tasks.status', '=', 'queued')
      .where('queue_requests.start_deadline', '<=', now)
      .where('queue_requests.timed_out', '=', 0)
      .limit(limit)
      .execute();
    return rows;
  }

  /** Tasks that ended while their webhook still waits for a delivery row (nobody was listening). */
  async findEndedWaiting(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('queue_requests')
      .innerJoin('tasks', 'tasks.id', 'queue_requests.task_id')
      .select('queue_requests.task_id as taskId')
      .where('queue_requests.webhook_state', '=', 'waiting')
      .where('tasks.status', 'in', TERMINAL)
      .limit(limit)
      .execute();
    return rows.map((row) => row.taskId);
  }
}
