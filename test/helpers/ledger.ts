/**
 * The ledger invariant, checked after billing tests: for every metered user, balance = credits −
 * holds + releases (= credits − settled charges once every task is settled); every settled task
 * has exactly one hold and one release, and its charge is hold − release; no task settled twice.
 * A settled task's unit price is the one applied (its engine's).
 * Every table is read in one snapshot (one repeatable-read transaction), so a task settling while
 * the check reads cannot look settled in one table and unsettled in another.
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

export async function assertLedgerInvariant(db: Kysely<Database>): Promise<void> {
  const { users, ledger, tasks, usage } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => ({
      users: await trx.selectFrom('users').select(['id', 'balance_micros']).execute(),
      ledger: await trx.selectFrom('ledger').selectAll().execute(),
      tasks: await trx.selectFrom('tasks').select(['id', 'status', 'billing_state', 'hold_micros', 'charged_micros', 'outputs', 'spec', 'price_micros']).execute(),
      usage: await trx.selectFrom('usage_records').selectAll().execute(),
    }));
  for (const user of users) {
    if (user.balance_micros === null) continue;
    const sum = ledger.filter((row) => row.user_id === user.id).reduce((total, row) => total + Number(row.amount_micros), 0);
    assert.equal(Number(user.balance_micros), sum, `user ${user.id}: balance equals the sum of its ledger`);
    assert.ok(Number(user.balance_micros) >= 0, `user ${user.id}: balance never negative`);
  }
  for (const task of tasks) {
    const rows = ledger.filter((row) => row.task_id === task.id);
    const holds = rows.filter((row) => row.kind === 'hold');
    const releases = rows.filter((row) => row.kind === 'release');
    if (task.billing_state === 'none') {
      assert.equal(rows.length, 0);
      continue;
    }
    assert.equal(holds.length, 1, `task ${task.id}: one hold`);
    assert.equal(Number(holds[0]!.amount_micros) + Number(task.hold_micros), 0, `task ${task.id}: the hold row takes the hold`);
    if (task.billing_state === 'held') {
      assert.equal(releases.length, 0, `task ${task.id}: not released before it ends`);
      continue;
    }
    assert.equal(releases.length, 1, `task ${task.id}: settled exactly once`);
    const charged = Number(task.hold_micros) - Number(releases[0]!.amount_micros);
    assert.equal(Number(task.charged_micros), charged, `task ${task.id}: charge = hold − release`);
    // Settlement charges at most the n images asked for.
    const images = task.status === 'succeeded' ? Math.min((JSON.parse(task.outputs) as unknown[]).length, (JSON.parse(task.spec) as { n: number }).n) : 0;
    const records = usage.filter((u) => u.task_id === task.id);
    assert.equal(records.length, images > 0 ? 1 : 0);
    if (images > 0) assert.equal(Number(records[0]!.amount_micros), charged);
    // One engine: the images at its unit price (never past the hold); several ("a+b"): the row's
    // unit price is their average and its line gives each engine's share.
    const several = records[0]?.engine?.includes('+') ?? false;
    if (!several) assert.equal(charged, Math.min(images * Number(task.price_micros), Number(task.hold_micros)), `task ${task.id}: charged for the images produced`);
    assert.ok(charged <= Number(task.hold_micros), `task ${task.id}: never charged past its hold`);
  }
}
