/**
 * Webhook deliveries, persisted so that none is lost to a restart. Every state change of a
 * delivery is one conditional UPDATE, so two nodes never send the same delivery at once.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AttemptOutcome, DeliveryRecord, DeliveryState, DeliveryStore } from './ports.js';
import type { Database, WebhookDeliveriesTable } from './schema.js';

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

export class SqlDeliveryStore implements DeliveryStore {
  constructor(private readonly db: Kysely<Database>) {}

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
