/**
 * The ledger: settlements, credits, balances and usage. A task's hold is taken in the transaction
 * that creates it and it is settled in the one that ends it (the task store's, see
 * ledger-entries.ts); this settles a task that ended otherwise (canceled while queued, or a crash
 * between end and settlement), exactly once.
 */
import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../domain/errors.js';
import { isTerminal, TERMINAL_STATUSES, type TaskRecord } from '../domain/task.js';
import { creditUser, ownerOf } from './credits.js';
import { settleEnded, spentSince } from './ledger-entries.js';
import { queryMargins } from './margins.js';
import type { AccountRef, Ledger, LedgerRow, MarginFilter, MarginRow, UsageFilter, UsageRecord } from './ports.js';
import { rowToTask } from './task-rows.js';
import type { Database, LedgerTable } from './schema.js';

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

  /** Adds to a user's balance (only an opening credit turns an unlimited user metered); the new balance. */
  async credit(account: AccountRef, micros: number, note: string, now: number, options: { opening: boolean }): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const owner = await ownerOf(trx, account);
      return creditUser(trx, owner, micros, { kind: 'credit', note, now, opening: options.opening });
    });
  }

  /** The user's balance in micros; null when unlimited (or unknown: authentication refuses those). */
  async balanceOf(account: AccountRef): Promise<number | null> {
    const userId = await this.userIdOf(account);
    const user = userId === null ? undefined : await this.db.selectFrom('users').select('balance_micros').where('id', '=', userId).executeTakeFirst();
    return user?.balance_micros == null ? null : Number(user.balance_micros);
  }

  /** The user's balance (null: unlimited) and what its unfinished tasks hold. */
  async balance(account: AccountRef): Promise<{ balanceMicros: number | null; heldMicros: number }> {
    const userId = await this.userIdOf(account);
    const user = userId === null ? undefined : await this.db.selectFrom('users').select('balance_micros').where('id', '=', userId).executeTakeFirst();
    if (!user || userId === null) throw new AppError('not_found', `No ${typeof account === 'string' ? `key with id ${account}` : `user with id ${account.userId}`}.`);
    const held = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('hold_micros'), eb.val(0)).as('held'))
      .where('user_id', '=', userId)
      .where('billing_state', '=', 'held')
      .executeTakeFirstOrThrow();
    return { balanceMicros: user.balance_micros === null ? null : Number(user.balance_micros), heldMicros: Number(held.held) };
  }

  async spentSince(owner: 'user' | 'key', id: string, since: number): Promise<number> {
    return spentSince(this.db, owner, id, since);
  }

  private async userIdOf(account: AccountRef): Promise<string | null> {
    if (typeof account !== 'string') return account.userId;
    const key = await this.db.selectFrom('api_keys').select('user_id').where('id', '=', account).executeTakeFirst();
    return key?.user_id ?? null;
  }

  async usage(filter: UsageFilter): Promise<{ records: UsageRecord[]; total: number; images: number; amountMicros: number }> {
    let query = this.db.selectFrom('usage_records');
    if (filter.keyId !== undefined) query = query.where('key_id', '=', filter.keyId);
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
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
        userId: r.user_id,
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

  /** Every row of the user's ledger (a key stands for its user), oldest first. */
  async ledgerRows(account: AccountRef): Promise<LedgerRow[]> {
    const userId = (await this.userIdOf(account)) ?? '';
    const rows = await this.db.selectFrom('ledger').selectAll().where('user_id', '=', userId).orderBy('id').execute();
    return rows.map(toLedgerRow);
  }

  async ledgerPage(userId: string, limit: number, offset: number): Promise<{ rows: LedgerRow[]; total: number }> {
    const query = this.db.selectFrom('ledger').where('user_id', '=', userId);
    const [rows, count] = await Promise.all([
      query.selectAll().orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows: rows.map(toLedgerRow), total: Number(count.n) };
  }
}

function toLedgerRow(r: Selectable<LedgerTable>): LedgerRow {
  return {
    id: Number(r.id),
    userId: r.user_id,
    keyId: r.key_id,
    taskId: r.task_id,
    kind: r.kind,
    amountMicros: Number(r.amount_micros),
    note: r.note,
    createdAt: Number(r.created_at),
    engine: r.engine,
    unitPriceMicros: r.unit_price_micros === null ? null : Number(r.unit_price_micros),
  };
}
