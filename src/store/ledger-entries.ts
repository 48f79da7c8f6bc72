/**
 * The ledger's movements, written inside a transaction someone else opened: a task's hold, taken
 * in the transaction that creates the task, and its settlement, in the one that ends it (or in the
 * ledger's own, for a task that ended without its worker). Each is a ledger row tied to the task.
 *
 * Both touch the key's balance row last: the UPDATE locks it (Postgres) until the commit, and every
 * submit and settlement of that key waits for the lock, so it is held for as short a time as
 * possible.
 */
import type { Transaction } from 'kysely';
import { AppError } from '../domain/errors.js';
import { formatMoney, insufficientBalance, usageLine } from '../domain/money.js';
import { isTerminal, type TaskRecord, type TaskStatus } from '../domain/task.js';
import type { NewTask, SubmitLimits } from './ports.js';
import type { Database } from './schema.js';

const IN_FLIGHT: TaskStatus[] = ['queued', 'running'];

export async function ledgerEntry(trx: Transaction<Database>, keyId: string, taskId: string | null, kind: string, amount: number, note: string, at: number): Promise<void> {
  await trx.insertInto('ledger').values({ key_id: keyId, task_id: taskId, kind, amount_micros: amount, note, created_at: at }).execute();
}

/**
 * Takes a new task's hold from its key's balance (by one conditional UPDATE, so concurrency can
 * never overdraw it) and checks the key's tasks in flight, the new one (already inserted) included.
 */
export async function takeHold(trx: Transaction<Database>, task: NewTask, limits: SubmitLimits, currency: string): Promise<void> {
  const hold = task.billing?.holdMicros ?? 0;
  if (task.billing) {
    await ledgerEntry(trx, task.keyId, task.id, 'hold', -hold, `hold for ${task.spec.n} image(s) of ${task.model} at ${formatMoney(task.billing.unitPriceMicros, currency)}`, task.createdAt);
  }
  const held = await trx
    .updateTable('api_keys')
    .set((eb) => ({ balance_micros: eb('balance_micros', '-', hold) }))
    .where('id', '=', task.keyId)
    .where((eb) => eb.or([eb('balance_micros', 'is', null), eb('balance_micros', '>=', hold)]))
    .executeTakeFirst();
  if (Number(held.numUpdatedRows) !== 1) {
    const key = await trx.selectFrom('api_keys').select('balance_micros').where('id', '=', task.keyId).executeTakeFirst();
    if (!key) throw new AppError('unauthorized', 'Invalid API-key provided.');
    throw insufficientBalance(hold, Number(key.balance_micros ?? 0), currency);
  }
  if (limits.maxInFlight !== null) {
    // Counted under the lock (a fresh snapshot in Postgres' read committed).
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
}

/**
 * Settles an ended task exactly once — charges the images it produced (none when it failed or was
 * canceled) and releases the rest of its hold — by one conditional UPDATE of its billing state.
 * The amount charged, or null when there was nothing to settle.
 */
export async function settleEnded(trx: Transaction<Database>, task: TaskRecord, now: number, currency: string): Promise<number | null> {
  if (task.billing.state !== 'held' || !isTerminal(task.status)) return null;
  const images = task.status === 'succeeded' ? Math.min(task.outputs.length, task.spec.n) : 0;
  const charged = Math.min(images * task.billing.unitPriceMicros, task.billing.holdMicros);
  const release = task.billing.holdMicros - charged;
  const marked = await trx
    .updateTable('tasks')
    .set({ billing_state: 'settled', charged_micros: charged })
    .where('id', '=', task.id)
    .where('billing_state', '=', 'held')
    .executeTakeFirst();
  if (Number(marked.numUpdatedRows) !== 1) return null;
  const why = task.status === 'succeeded' ? `${images} of ${task.spec.n} image(s) produced` : `task ${task.status}`;
  await ledgerEntry(trx, task.keyId, task.id, 'release', release, `settled: ${why}, charged ${formatMoney(charged, currency)}`, now);
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
        currency,
        description: usageLine(images, task.billing.unitPriceMicros, currency),
        created_at: now,
      })
      .execute();
  }
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
