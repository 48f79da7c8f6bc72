/**
 * The ledger's movements, written inside a transaction someone else opened: a task's hold, taken
 * in the transaction that creates the task, and its settlement, in the one that ends it (or in the
 * ledger's own, for a task that ended without its worker). Each is a ledger row tied to the task.
 *
 * Both touch the user's balance row last: the UPDATE locks it (Postgres) until the commit, and every
 * submit and settlement of that user's keys waits for the lock, so it is held for as short a time
 * as possible. The checks made under it (tasks in flight, budgets) are therefore exact.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import { AppError } from '../domain/errors.js';
import { formatMoney, insufficientBalance, usageLine } from '../domain/money.js';
import { isTerminal, type ChargePart, type TaskCharge, type TaskRecord, type TaskStatus } from '../domain/task.js';
import { budgetExceeded } from '../domain/users.js';
import type { SqlDialect } from './dialect-name.js';
import type { NewTask, SubmitLimits } from './ports.js';
import { compiledOnce } from './compiled-once.js';
import type { Database, LedgerTable, UsageRecordsTable } from './schema.js';

const IN_FLIGHT: TaskStatus[] = ['queued', 'running'];

// The statements every task's hold and settlement run, compiled once (compiled-once.ts).
const insertLedgerRow = compiledOnce((db, row: Insertable<LedgerTable>) => db.insertInto('ledger').values(row));
const insertUsageRecord = compiledOnce((db, row: Insertable<UsageRecordsTable>) => db.insertInto('usage_records').values(row));
/** The hold: from a metered user's balance if it covers it; `orUnlimited` also passes an unlimited user (locking the row). */
const holdFrom = (orUnlimited: boolean) =>
  compiledOnce((db, v: { userId: string; hold: number }) =>
    db
      .updateTable('users')
      .set((eb) => ({ balance_micros: eb('balance_micros', '-', v.hold) }))
      .where('id', '=', v.userId)
      .where((eb) => (orUnlimited ? eb.or([eb('balance_micros', 'is', null), eb('balance_micros', '>=', v.hold)]) : eb('balance_micros', '>=', v.hold))),
  );
const holdExclusive = holdFrom(true);
const holdMetered = holdFrom(false);
const markSettled = compiledOnce((db, v: { id: string; charged: number; unitPrice?: number }) =>
  db
    .updateTable('tasks')
    // Present or not by the shape of the values, which the compiled query follows.
    .set({ billing_state: 'settled', charged_micros: v.charged, ...(v.unitPrice !== undefined ? { price_micros: v.unitPrice } : {}) })
    .where('id', '=', v.id)
    .where('billing_state', '=', 'held'),
);

/** A release's price: the engine whose unit price was applied. */
interface AppliedPrice {
  engine: string | null;
  unitPriceMicros: number;
}

/** Whose balance a ledger row changes: the user's, caused by the key (null: by an operator). */
export interface EntryOwner {
  userId: string;
  keyId: string | null;
}

export async function ledgerEntry(trx: Transaction<Database>, owner: EntryOwner, taskId: string | null, kind: string, amount: number, note: string, at: number, applied?: AppliedPrice): Promise<void> {
  await trx.executeQuery(
    insertLedgerRow(trx, { user_id: owner.userId, key_id: owner.keyId, task_id: taskId, kind, amount_micros: amount, note, created_at: at, ...(applied ? { engine: applied.engine, unit_price_micros: applied.unitPriceMicros } : {}) }),
  );
}

/**
 * What the user's (or only the key's) tasks created since `since` hold or were charged: a budget's
 * use. A task still held counts its whole hold, so concurrent submits never overrun a budget.
 */
export async function spentSince(db: Kysely<Database> | Transaction<Database>, owner: 'user' | 'key', id: string, since: number): Promise<number> {
  const row = await db
    .selectFrom('tasks')
    .select((eb) =>
      eb.fn
        .coalesce(
          eb.fn.sum<number>(eb.case().when('billing_state', '=', 'held').then(eb.ref('hold_micros')).when('billing_state', '=', 'settled').then(eb.fn.coalesce('charged_micros', eb.val(0))).else(eb.val(0)).end()),
          eb.val(0),
        )
        .as('spent'),
    )
    .where(owner === 'user' ? 'user_id' : 'key_id', '=', id)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.spent);
}

/** Tasks of the key (or of all the user's keys) queued or running. */
async function inFlight(trx: Transaction<Database>, column: 'key_id' | 'user_id', id: string): Promise<number> {
  const row = await trx
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(column, '=', id)
    .where('status', 'in', IN_FLIGHT)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The parts billed for `images` images: the charge's (as the runner priced them, trimmed to
 * `images`), or — a task ended without one, as before prices were by engine — all at the hold's
 * unit price, by the task's engine.
 */
function billedParts(task: TaskRecord, images: number, charge: TaskCharge | undefined): ChargePart[] {
  if (!charge) return images > 0 ? [{ engine: task.engine, images, unitPriceMicros: task.billing.unitPriceMicros }] : [];
  const parts: ChargePart[] = [];
  let left = images;
  for (const part of charge.parts) {
    const taken = Math.min(part.images, left);
    if (taken > 0) parts.push({ ...part, images: taken });
    left -= taken;
  }
  return parts;
}

/**
 * The engine and unit price a settlement records: the one part's, or the engines ("a+b"; one
 * engine once, when a failover moved between two of its credentials) and the average.
 */
function appliedPrice(parts: readonly ChargePart[], images: number, amount: number): AppliedPrice {
  if (parts.length === 1) return { engine: (parts[0] as ChargePart).engine, unitPriceMicros: (parts[0] as ChargePart).unitPriceMicros };
  return { engine: [...new Set(parts.map((p) => p.engine ?? 'unknown'))].join('+'), unitPriceMicros: images > 0 ? Math.round(amount / images) : 0 };
}

/** The credential(s) that made the images: the one, "x+y" for several distinct, null for none (keyless engines, charges from before). */
function producingCredential(parts: readonly ChargePart[]): string | null {
  const credentials = [...new Set(parts.map((p) => p.credential).filter((c): c is string => typeof c === 'string'))];
  return credentials.length > 0 ? credentials.join('+') : null;
}

/** What the upstream billed for the images charged, by each part's unit cost (0 where none is known). */
function upstreamCost(parts: readonly ChargePart[]): number {
  return Math.round(parts.reduce((sum, p) => sum + p.images * (p.unitCostMicros ?? 0), 0));
}

/**
 * The usage line: seed 004's for one engine, one term per engine after a failover; and what was
 * charged when the hold capped it (prices changed while the task ran).
 */
function chargeLine(parts: readonly ChargePart[], amount: number, charged: number, currency: string): string {
  const terms = parts.map((p) => `${p.images} ${p.images === 1 ? 'image' : 'images'} × ${formatMoney(p.unitPriceMicros, currency)} (${p.engine ?? 'unknown'})`);
  const line = parts.length === 1 ? usageLine((parts[0] as ChargePart).images, (parts[0] as ChargePart).unitPriceMicros, currency) : `Image generation: ${terms.join(' + ')} = ${formatMoney(amount, currency)}`;
  return charged < amount ? `${line}, charged ${formatMoney(charged, currency)} (the hold)` : line;
}

/**
 * Takes a new task's hold from its user's balance (by one conditional UPDATE, so concurrency can
 * never overdraw it), then — under that row's lock, so exactly — checks the key's and the user's
 * tasks in flight and the budgets, the new task (already inserted) included.
 *
 * An unlimited user (no balance) with no such limits takes no exclusive lock: on Postgres the hold
 * share-locks the row instead (an admin setting a balance meanwhile waits for the commit), so
 * concurrent submits of one user do not queue behind each other's commits.
 */
export async function takeHold(trx: Transaction<Database>, task: NewTask, limits: SubmitLimits, currency: string, dialect: SqlDialect): Promise<void> {
  const hold = task.billing?.holdMicros ?? 0;
  if (task.billing) {
    await ledgerEntry(trx, task, task.id, 'hold', -hold, `hold for ${task.spec.n} image(s) of ${task.model} at ${formatMoney(task.billing.unitPriceMicros, currency)}`, task.createdAt);
  }
  const counted = limits.maxInFlight !== null || (limits.userMaxInFlight ?? null) !== null || (limits.budgets?.length ?? 0) > 0;
  // SQLite has one writer at a time anyway: there the one UPDATE that locks is also the cheapest.
  const exclusive = counted || dialect === 'sqlite';
  const held = await trx.executeQuery((exclusive ? holdExclusive : holdMetered)(trx, { userId: task.userId, hold }));
  if (Number(held.numAffectedRows ?? 0) !== 1) {
    let read = trx.selectFrom('users').select('balance_micros').where('id', '=', task.userId);
    if (!exclusive) read = read.forShare();
    const user = await read.executeTakeFirst();
    if (!user) throw new AppError('unauthorized', 'Invalid API-key provided.');
    if (exclusive || user.balance_micros !== null) throw insufficientBalance(hold, Number(user.balance_micros ?? 0), currency);
  }
  // Counted under the lock (a fresh snapshot in Postgres' read committed).
  for (const [owner, column, id, max] of [['key', 'key_id', task.keyId, limits.maxInFlight], ['user', 'user_id', task.userId, limits.userMaxInFlight ?? null]] as const) {
    if (max === null) continue;
    const others = (await inFlight(trx, column, id)) - 1;
    if (others >= max) {
      throw new AppError('rate_limited', `This ${owner} already has ${others} tasks in flight, its limit; retry when one finishes.`, { retryAfterSeconds: 5 });
    }
  }
  for (const check of limits.budgets ?? []) {
    const spent = await spentSince(trx, check.owner, check.owner === 'user' ? task.userId : task.keyId, check.start);
    if (spent > check.budget.micros) throw budgetExceeded(check.owner, check.budget, spent - hold, hold, check.resetAt, currency);
  }
}

/**
 * Settles an ended task exactly once — charges the images it produced (none when it failed or was
 * canceled), each at the price of the engine that made it (`charge`, priced by the runner), and
 * releases the rest of its hold — by one conditional UPDATE of its billing state.
 * The amount charged and the unit price the task now records, or null when there was nothing to settle.
 */
export async function settleEnded(trx: Transaction<Database>, task: TaskRecord, now: number, currency: string, charge?: TaskCharge): Promise<{ chargedMicros: number; unitPriceMicros: number } | null> {
  if (task.billing.state !== 'held' || !isTerminal(task.status)) return null;
  const images = task.status === 'succeeded' ? Math.min(task.outputs.length, task.spec.n) : 0;
  const parts = billedParts(task, images, charge);
  const amount = parts.reduce((sum, p) => sum + p.images * p.unitPriceMicros, 0);
  // The hold covers the dearest engine of the route; it is never exceeded.
  const charged = Math.min(amount, task.billing.holdMicros);
  const release = task.billing.holdMicros - charged;
  const applied = parts.length > 0 ? appliedPrice(parts, images, charged) : null;
  const marked = await trx.executeQuery(markSettled(trx, { id: task.id, charged, ...(applied ? { unitPrice: applied.unitPriceMicros } : {}) }));
  if (Number(marked.numAffectedRows ?? 0) !== 1) return null;
  const why = task.status === 'succeeded' ? `${images} of ${task.spec.n} image(s) produced` : `task ${task.status}`;
  const by = applied ? ` at ${formatMoney(applied.unitPriceMicros, currency)} by engine ${applied.engine ?? 'unknown'}` : '';
  await ledgerEntry(trx, task, task.id, 'release', release, `settled: ${why}${by}, charged ${formatMoney(charged, currency)}`, now, applied ?? undefined);
  if (applied) {
    await trx.executeQuery(
      insertUsageRecord(trx, {
        task_id: task.id,
        key_id: task.keyId,
        user_id: task.userId,
        model: task.model,
        images,
        unit_price_micros: applied.unitPriceMicros,
        amount_micros: charged,
        currency,
        description: chargeLine(parts, amount, charged, currency),
        created_at: now,
        engine: applied.engine,
        credential: producingCredential(parts),
        cost_micros: upstreamCost(parts),
      }),
    );
  }
  if (release > 0) {
    await trx
      .updateTable('users')
      .set((eb) => ({ balance_micros: eb('balance_micros', '+', release) }))
      .where('id', '=', task.userId)
      .where('balance_micros', 'is not', null)
      .execute();
  }
  return { chargedMicros: charged, unitPriceMicros: applied?.unitPriceMicros ?? task.billing.unitPriceMicros };
}
