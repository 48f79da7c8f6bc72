/**
 * The queue dialects' request rows (fal and SeaArt options, the webhook of a task) and the
 * persisted webhook deliveries. Every state change of a delivery is one conditional UPDATE, so
 * two nodes never send the same delivery at once.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import { TERMINAL_STATUSES } from '../domain/task.js';
import type { AttemptOutcome, DeliveryRecord, DeliveryState, DeliveryStore, QueueRequestRecord, QueueRequestStore } from './ports.js';
import type { Database, QueueRequestsTable, WebhookDeliveriesTable } from './schema.js';

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

function toDelivery(row: Selectable<WebhookDeliveriesTable>): DeliveryRecord {
  return {
    id: Number(row.id),
    taskId: row.task_id,
    url: row.url,
    body: row.body,
    state: row.state as DeliveryState,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

export class SqlWebhookStore implements QueueRequestStore, DeliveryStore {
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

  /**
   * Creates the delivery of a task's webhook (at most one per task: a second insert, from
   * another node or the sweep, is ignored) and marks the webhook scheduled. True if created.
   */
  async scheduleDelivery(taskId: string, url: string, body: string, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('webhook_deliveries')
      .values({
        task_id: taskId,
        url,
        body,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        claimed_by: null,
        claimed_until: null,
        last_status: null,
        last_error: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
      })
      .onConflict((oc) => oc.column('task_id').doNothing())
      .executeTakeFirst();
    await this.db.updateTable('queue_requests').set({ webhook_state: 'scheduled' }).where('task_id', '=', taskId).execute();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Ids of deliveries that may be claimed now, soonest due first. */
  async dueDeliveries(now: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('state', '=', 'sending'), eb('claimed_until', '<', now)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map((row) => Number(row.id));
  }

  /** When the next pending delivery is due, if any. */
  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  /** Takes a due delivery for one attempt (counted now, so a crash mid-send still counts). */
  async claim(id: number, workerId: string, now: number, claimUntil: number): Promise<DeliveryRecord | null> {
    const row = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ state: 'sending', claimed_by: workerId, claimed_until: claimUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('state', '=', 'sending'), eb('claimed_until', '<', now)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  /** Records an attempt's outcome, if this worker still holds the delivery. */
  async finishAttempt(id: number, workerId: string, outcome: AttemptOutcome, now: number): Promise<boolean> {
    const error = outcome.state === 'delivered' ? null : outcome.error.slice(0, 1000);
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({
        state: outcome.state,
        claimed_by: null,
        claimed_until: null,
        last_status: outcome.status,
        last_error: error,
        updated_at: now,
        ...(outcome.state === 'pending' ? { next_attempt_at: outcome.nextAttemptAt } : { finished_at: now }),
      })
      .where('id', '=', id)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deliveryOf(taskId: string): Promise<DeliveryRecord | null> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('task_id', '=', taskId).executeTakeFirst();
    return row ? toDelivery(row) : null;
  }
}
