/**
 * The ledger: settlements, credits, balances and usage. A task's hold is taken in the transaction
 * that creates it and it is settled in the one that ends it (the task store's, see
 * ledger-entries.ts); this settles a task that ended otherwise (canceled while queued, or a crash
 * between end and settlement), exactly once.
 */
import type { Kysely } from 'kysely';
import { AppError } from '../domain/errors.js';
import { MAX_AMOUNT_TEXT, MAX_MICROS } from '../domain/money.js';
import { isTerminal, TERMINAL_STATUSES, type TaskRecord } from '../domain/task.js';
import { ledgerEntry, settleEnded } from './ledger-entries.js';
import { queryMargins } from './margins.js';
import type { Ledger, LedgerRow, MarginFilter, MarginRow, UsageFilter, UsageRecord } from './ports.js';
import { rowToTask } from './task-rows.js';
import type { Database } from './schema.js';

export class SqlLedger implements Ledger {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly currency: string,
  ) {}

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
      return task !== null && (await settleEnded(trx, task, now, this.currency)) !== null;
    });
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
      await ledgerEntry(trx, keyId, null, 'credit', micros, note, now);
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
    if (filter.engine !== undefined) query = query.where('engine', '=', filter.engine);
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
        engine: r.engine,
        credential: r.credential,
        costMicros: Number(r.cost_micros),
      })),
      total: Number(totals.n),
      images: Number(totals.images),
      amountMicros: Number(totals.amount),
    };
  }

  async margins(filter: MarginFilter): Promise<MarginRow[]> {
    return queryMargins(this.db, filter);
  }

  async ledgerRows(keyId: string): Promise<LedgerRow[]> {
    const rows = await this.db.selectFrom('ledger').selectAll().where('key_id', '=', keyId).orderBy('id').execute();
    return rows.map((r) => ({
      id: Number(r.id),
      keyId: r.key_id,
      taskId: r.task_id,
      kind: r.kind,
      amountMicros: Number(r.amount_micros),
      note: r.note,
      createdAt: Number(r.created_at),
      engine: r.engine,
      unitPriceMicros: r.unit_price_micros === null ? null : Number(r.unit_price_micros),
    }));
  }
}
