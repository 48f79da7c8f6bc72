/**
 * The ledger. A task's hold is taken in the same transaction that creates it, by one conditional
 * UPDATE of the key's balance (so concurrency can never overdraw it); the task is settled exactly
 * once, by one conditional UPDATE of its billing state, in the transaction that releases the
 * unused part and writes the usage record. Every movement is a ledger row tied to the task.
 */
import type { Kysely, Transaction } from 'kysely';
import { AppError } from '../domain/errors.js';
import { formatMoney, insufficientBalance, MAX_AMOUNT_TEXT, MAX_MICROS, usageLine } from '../domain/money.js';
import { isTerminal, TERMINAL_STATUSES, type TaskRecord, type TaskStatus } from '../domain/task.js';
import type { Database } from './schema.js';
import { PENDING } from './idempotency-store.js';
import { newTaskRow, rowToTask } from './task-rows.js';
import { queueRequestRow } from './webhook-store.js';
import type { Ledger, LedgerRow, NewTask, SubmitLimits, TaskOutcome, UsageFilter, UsageRecord } from './ports.js';
import { finishTaskRow } from './task-store.js';

const IN_FLIGHT: TaskStatus[] = ['queued', 'running'];

export class BillingStore implements Ledger {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly currency: string,
  ) {}

  /**
   * Creates a task, taking its hold, checking the key's tasks in flight and filling in its
   * idempotency claim atomically.
   */
  async createTask(task: NewTask, limits: SubmitLimits): Promise<TaskRecord> {
    const hold = task.billing?.holdMicros ?? 0;
    return this.db.transaction().execute(async (trx) => {
      const taskRow = newTaskRow(task);
      await trx.insertInto('tasks').values(taskRow).execute();
      // A queue request is written with its task: never a task without its webhook or deadline.
      if (task.queueRequest) await trx.insertInto('queue_requests').values(queueRequestRow({ ...task.queueRequest, taskId: task.id, createdAt: task.createdAt })).execute();
      if (limits.idempotencyKey !== undefined) {
        const filled = await trx
          .updateTable('idempotency_keys')
          .set({ task_id: task.id })
          .where('key_id', '=', task.keyId)
          .where('idem_key', '=', limits.idempotencyKey)
          .where('task_id', '=', PENDING)
          .executeTakeFirst();
        // The claim was taken over as abandoned (this submit outlived the staleness limit).
        if (Number(filled.numUpdatedRows) !== 1) {
          throw new AppError('conflict', `Idempotency-Key "${limits.idempotencyKey}" was taken by another request while this one was being accepted.`, { field: 'Idempotency-Key' });
        }
      }
      if (task.billing) {
        await this.ledger(trx, task.keyId, task.id, 'hold', -hold, `hold for ${task.spec.n} image(s) of ${task.model} at ${formatMoney(task.billing.unitPriceMicros, this.currency)}`, task.createdAt);
      }
      // Last, so that the lock is held for as short a time as possible: this UPDATE also locks
      // the key's row (Postgres) until the commit, serialising the key's submits and settlements.
      const held = await trx
        .updateTable('api_keys')
        .set((eb) => ({ balance_micros: eb('balance_micros', '-', hold) }))
        .where('id', '=', task.keyId)
        .where((eb) => eb.or([eb('balance_micros', 'is', null), eb('balance_micros', '>=', hold)]))
        .executeTakeFirst();
      if (Number(held.numUpdatedRows) !== 1) {
        const key = await trx.selectFrom('api_keys').select('balance_micros').where('id', '=', task.keyId).executeTakeFirst();
        if (!key) throw new AppError('unauthorized', 'Invalid API-key provided.');
        throw insufficientBalance(hold, Number(key.balance_micros ?? 0), this.currency);
      }
      if (limits.maxInFlight !== null) {
        // Counted under the lock (a fresh snapshot in Postgres' read committed), this task included.
        const row = await trx
          .selectFrom('tasks')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('key_id', '=', task.keyId)
          .where('status', 'in', IN_FLIGHT)
          .executeTakeFirstOrThrow();
        const others = Number(row.n) - 1;
        if (others >= limits.maxInFlight) {
          throw new AppError('rate_limited', `This key already has ${others} tasks in flight, its limit; retry when one finishes.`, { retryAfterSeconds: 5 });
        }
      }
      return rowToTask(taskRow);
    });
  }

  /**
   * Settles an ended task exactly once: charges the images it produced (none when it failed or
   * was canceled) and releases the rest of its hold. False when there was nothing to settle. The
   * conditional UPDATE of the billing state is what makes it exactly once.
   */
  async settle(taskId: string, now: number, ended?: TaskRecord): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // A task that ended never changes again, so the caller's copy of it is as good as a read.
      let task = ended && isTerminal(ended.status) ? ended : null;
      if (!task) {
        const row = await trx.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirst();
        task = row ? rowToTask(row) : null;
      }
      return task !== null && (await this.settleEnded(trx, task, now)) !== null;
    });
  }

  /**
   * Records a task's ending (if `workerId` still holds it) and settles it in the same
   * transaction: the runner's way to end a task, one commit instead of two.
   */
  async finishTask(taskId: string, workerId: string, outcome: TaskOutcome, now: number): Promise<TaskRecord | null> {
    return this.db.transaction().execute(async (trx) => {
      const finished = await finishTaskRow(trx, taskId, workerId, outcome, now);
      if (!finished) return null;
      const charged = await this.settleEnded(trx, finished, now);
      return charged === null ? finished : { ...finished, billing: { ...finished.billing, state: 'settled', chargedMicros: charged } };
    });
  }

  /** Settles an ended task within `trx`: the amount charged, or null when it was not held. */
  private async settleEnded(trx: Transaction<Database>, task: TaskRecord, now: number): Promise<number | null> {
    if (task.billing.state !== 'held' || !isTerminal(task.status)) return null;
    const taskId = task.id;
    const images = task.status === 'succeeded' ? Math.min(task.outputs.length, task.spec.n) : 0;
    const charged = Math.min(images * task.billing.unitPriceMicros, task.billing.holdMicros);
    const release = task.billing.holdMicros - charged;
    const marked = await trx
      .updateTable('tasks')
      .set({ billing_state: 'settled', charged_micros: charged })
      .where('id', '=', taskId)
      .where('billing_state', '=', 'held')
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) !== 1) return null;
    const why = task.status === 'succeeded' ? `${images} of ${task.spec.n} image(s) produced` : `task ${task.status}`;
    await this.ledger(trx, task.keyId, task.id, 'release', release, `settled: ${why}, charged ${formatMoney(charged, this.currency)}`, now);
    if (images > 0) {
      await trx
        .insertInto('usage_records')
        .values({
          task_id: task.id,
          key_id: task.keyId,
          model: task.model,
          images,
          unit_price_micros: task.billing.unitPriceMicros,
          amount_micros: charged,
          currency: this.currency,
          description: usageLine(images, task.billing.unitPriceMicros, this.currency),
          created_at: now,
        })
        .execute();
    }
    // Last: the key's row stays locked until the commit (see createTask).
    if (release > 0) {
      await trx
        .updateTable('api_keys')
        .set((eb) => ({ balance_micros: eb('balance_micros', '+', release) }))
        .where('id', '=', task.keyId)
        .where('balance_micros', 'is not', null)
        .execute();
    }
    return charged;
  }

  /** Tasks that ended but were not settled (a crash between the two). */
  async findUnsettled(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .select('id')
      .where('billing_state', '=', 'held')
      .where('status', 'in', [...TERMINAL_STATUSES])
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Adds to a key's balance (an unlimited key gets a balance from here on); the new balance. */
  async credit(keyId: string, micros: number, note: string, now: number, options: { opening: boolean }): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      let update = trx
        .updateTable('api_keys')
        .set((eb) => ({ balance_micros: eb(eb.fn.coalesce('balance_micros', eb.val(0)), '+', micros) }))
        .where('id', '=', keyId)
        // A balance above MAX_MICROS could not be read back exactly.
        .where((eb) => eb(eb.fn.coalesce('balance_micros', eb.val(0)), '<=', MAX_MICROS - micros));
      // Only a new key's opening balance may turn it from unlimited to metered: the holds of an
      // unlimited key's tasks were never taken, and releasing them later would make money.
      if (!options.opening) update = update.where('balance_micros', 'is not', null);
      const updated = await update.executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        const key = await trx.selectFrom('api_keys').select('balance_micros').where('id', '=', keyId).executeTakeFirst();
        if (!key) throw new AppError('not_found', `No key with id ${keyId}.`);
        if (key.balance_micros === null) throw new AppError('unsupported_operation', `Key ${keyId} is unlimited: it has no balance to credit. Create a key with a balance instead.`);
        throw new AppError('invalid_parameter', `amount: the balance would exceed ${MAX_AMOUNT_TEXT}, the largest this server keeps exactly.`, { field: 'amount' });
      }
      await this.ledger(trx, keyId, null, 'credit', micros, note, now);
      const row = await trx.selectFrom('api_keys').select('balance_micros').where('id', '=', keyId).executeTakeFirstOrThrow();
      return Number(row.balance_micros);
    });
  }

  /** The key's balance in micros; null when it is unlimited (or unknown: authentication refuses those). */
  async balanceOf(keyId: string): Promise<number | null> {
    const key = await this.db.selectFrom('api_keys').select('balance_micros').where('id', '=', keyId).executeTakeFirst();
    return key?.balance_micros == null ? null : Number(key.balance_micros);
  }

  /** The key's balance (null: unlimited) and what its unfinished tasks hold. */
  async balance(keyId: string): Promise<{ balanceMicros: number | null; heldMicros: number }> {
    const key = await this.db.selectFrom('api_keys').select('balance_micros').where('id', '=', keyId).executeTakeFirst();
    if (!key) throw new AppError('not_found', `No key with id ${keyId}.`);
    const held = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('hold_micros'), eb.val(0)).as('held'))
      .where('key_id', '=', keyId)
      .where('billing_state', '=', 'held')
      .executeTakeFirstOrThrow();
    return { balanceMicros: key.balance_micros === null ? null : Number(key.balance_micros), heldMicros: Number(held.held) };
  }

  async usage(filter: UsageFilter): Promise<{ records: UsageRecord[]; total: number; images: number; amountMicros: number }> {
    let query = this.db.selectFrom('usage_records');
    if (filter.keyId !== undefined) query = query.where('key_id', '=', filter.keyId);
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('created_at', '<=', filter.to);
    const [rows, totals] = await Promise.all([
      query.selectAll().orderBy('created_at', 'desc').orderBy('task_id').limit(filter.limit).offset(filter.offset).execute(),
      query
        .select((eb) => [
          eb.fn.countAll<number>().as('n'),
          eb.fn.coalesce(eb.fn.sum<number>('images'), eb.val(0)).as('images'),
          eb.fn.coalesce(eb.fn.sum<number>('amount_micros'), eb.val(0)).as('amount'),
        ])
        .executeTakeFirstOrThrow(),
    ]);
    return {
      records: rows.map((r) => ({
        taskId: r.task_id,
        keyId: r.key_id,
        model: r.model,
        images: Number(r.images),
        unitPriceMicros: Number(r.unit_price_micros),
        amountMicros: Number(r.amount_micros),
        currency: r.currency,
        description: r.description,
        createdAt: Number(r.created_at),
      })),
      total: Number(totals.n),
      images: Number(totals.images),
      amountMicros: Number(totals.amount),
    };
  }

  async ledgerRows(keyId: string): Promise<LedgerRow[]> {
    const rows = await this.db.selectFrom('ledger').selectAll().where('key_id', '=', keyId).orderBy('id').execute();
    return rows.map((r) => ({ id: Number(r.id), keyId: r.key_id, taskId: r.task_id, kind: r.kind, amountMicros: Number(r.amount_micros), note: r.note, createdAt: Number(r.created_at) }));
  }

  private async ledger(trx: Transaction<Database>, keyId: string, taskId: string | null, kind: string, amount: number, note: string, at: number): Promise<void> {
    await trx.insertInto('ledger').values({ key_id: keyId, task_id: taskId, kind, amount_micros: amount, note, created_at: at }).execute();
  }
}
