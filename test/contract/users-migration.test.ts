/**
 * Migration 0008 (users), on SQLite and (when DATABASE_URL is set) Postgres: a database written
 * by the version before — balances on keys, ledger rows by key only, tasks and usage of those keys,
 * an unlimited key and a revoked one — gets one user per key (`usr_<key id>`, group `default`)
 * holding the key's balance intact, with every ledger, task and usage row marked with it; the keys
 * authenticate with their user and group, and take their holds from the user's balance. Migrating
 * down to 0007 puts each balance back on the user's first key, and up again gives the same books.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import { SqlKeyStore } from '../../src/store/key-store.js';
import { billedTask, billingSuite, migrateStoreTo, output, reopenableTargets } from '../helpers/billing.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const BEFORE_USERS = '0007_channels';
const USERS = '0008_users';

// The old version's rows, written with its columns (the typed schema is the new one's).
type AnyDb = Kysely<Database>;

interface OldKey {
  id: string;
  balance: number | null;
  createdAt: number;
  revokedAt?: number;
}

async function oldKey(db: AnyDb, key: OldKey): Promise<void> {
  await sql`insert into api_keys (id, name, key_hash, key_prefix, created_at, revoked_at, expires_at, rate_limit_per_minute, max_in_flight, models, balance_micros)
    values (${key.id}, ${`name of ${key.id}`}, ${`h-${key.id}`}, ${key.id.slice(0, 11)}, ${key.createdAt}, ${key.revokedAt ?? null}, null, 60, 4, null, ${key.balance})`.execute(db);
}

async function oldLedger(db: AnyDb, keyId: string, taskId: string | null, kind: string, amount: number, at: number, applied?: { engine: string; unit: number }): Promise<void> {
  await sql`insert into ledger (key_id, task_id, kind, amount_micros, note, created_at, engine, unit_price_micros)
    values (${keyId}, ${taskId}, ${kind}, ${amount}, ${`${kind} as the old version wrote it`}, ${at}, ${applied?.engine ?? null}, ${applied?.unit ?? null})`.execute(db);
}

interface OldTask {
  id: string;
  keyId: string;
  status: 'queued' | 'succeeded' | 'failed' | 'canceled';
  n: number;
  unit: number;
  /** Images made (each by `engine`). */
  made: number;
  charged: number | null;
  engine: string | null;
  at: number;
}

/**
 * A task as the old version left it, with its ledger rows (a hold; a release once settled) and
 * its usage row (when it made images).
 */
async function oldTask(db: AnyDb, task: OldTask): Promise<void> {
  const hold = task.unit * task.n;
  const settled = task.status !== 'queued';
  const outputs = JSON.stringify(Array.from({ length: task.made }, (_, i) => output(i + 1, task.engine ?? undefined)));
  const spec = JSON.stringify(billedTask(task.keyId, task.n, task.unit).spec);
  await sql`insert into tasks (id, key_id, model, kind, status, spec, inputs, engine, operation, outputs, usage, actual_prompt, error, warnings, attempts, cancel_requested, origin, request_id,
      created_at, started_at, finished_at, updated_at, lease_until, worker_id, price_micros, hold_micros, charged_micros, billing_state, blob_scope)
    values (${task.id}, ${task.keyId}, 'qwen-image-edit-plus', 'edit', ${task.status}, ${spec}, '[]', ${task.engine}, null, ${outputs}, null, null, null, '[]', ${settled ? 1 : 0}, 0, 'dashscope', 'req',
      ${task.at}, ${settled ? task.at + 1 : null}, ${settled ? task.at + 2 : null}, ${task.at + 2}, null, null, ${task.unit}, ${hold}, ${task.charged}, ${settled ? 'settled' : 'held'}, 'task')`.execute(db);
  await oldLedger(db, task.keyId, task.id, 'hold', -hold, task.at);
  if (!settled) return;
  const charged = task.charged ?? 0;
  await oldLedger(db, task.keyId, task.id, 'release', hold - charged, task.at + 2, task.made > 0 && task.engine ? { engine: task.engine, unit: task.unit } : undefined);
  if (task.made > 0) {
    await sql`insert into usage_records (task_id, key_id, model, images, unit_price_micros, amount_micros, currency, description, created_at, engine, credential, cost_micros)
      values (${task.id}, ${task.keyId}, 'qwen-image-edit-plus', ${task.made}, ${task.unit}, ${charged}, 'CNY', 'old usage', ${task.at + 2}, ${task.engine}, null, 0)`.execute(db);
  }
}

/** The old version's invariant: each metered key's balance is the sum of its ledger rows. */
async function assertOldBooks(db: AnyDb, expected: Record<string, number | null>): Promise<void> {
  const keys = (await sql<{ id: string; balance_micros: number | string | null }>`select id, balance_micros from api_keys`.execute(db)).rows;
  const sums = (await sql<{ key_id: string; total: number | string }>`select key_id, sum(amount_micros) as total from ledger group by key_id`.execute(db)).rows;
  for (const [id, balance] of Object.entries(expected)) {
    const key = keys.find((k) => k.id === id);
    assert.ok(key, `key ${id} is still there`);
    assert.equal(key.balance_micros === null ? null : Number(key.balance_micros), balance, `key ${id}: its balance, back on the key`);
    if (balance !== null) assert.equal(Number(sums.find((s) => s.key_id === id)?.total ?? 0), balance, `key ${id}: balance = the sum of its ledger rows`);
  }
}

async function columns(db: AnyDb, table: string, dialect: string): Promise<string[]> {
  if (dialect === 'postgres') {
    const rows = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_schema = current_schema() and table_name = ${table}`.execute(db);
    return rows.rows.map((r) => r.column_name).sort();
  }
  const rows = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return rows.rows.map((r) => r.name).sort();
}

/** The schema as rows to compare: each table's columns (type, nullability) and indexes, sorted. */
async function schemaOf(db: AnyDb, dialect: string): Promise<string[]> {
  if (dialect === 'postgres') {
    const cols = await sql<{ t: string; c: string; type: string; nullable: string; def: string | null }>`select table_name as t, column_name as c, data_type as type, is_nullable as nullable, column_default as def
      from information_schema.columns where table_schema = current_schema() and table_name not like 'kysely_%'`.execute(db);
    const indexes = await sql<{ t: string; name: string; def: string }>`select tablename as t, indexname as name, indexdef as def from pg_indexes where schemaname = current_schema() and tablename not like 'kysely_%'`.execute(db);
    const schema = (await sql<{ name: string }>`select current_schema() as name`.execute(db)).rows[0]?.name ?? '';
    const rows = [...cols.rows.map((r) => `column ${r.t}.${r.c} ${r.type} ${r.nullable} ${r.def ?? ''}`), ...indexes.rows.map((r) => `index ${r.t}.${r.name} ${r.def}`)];
    // Each database is in a schema of its own: compared without its name.
    return rows.map((row) => row.split(`${schema}.`).join('')).sort();
  }
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(db);
  const rows: string[] = [];
  for (const { name } of tables.rows) {
    const cols = await sql<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>`select name, type, "notnull", dflt_value, pk from pragma_table_info(${name})`.execute(db);
    rows.push(...cols.rows.map((c) => `column ${name}.${c.name} ${c.type} ${c.notnull ? 'not null' : 'null'} ${c.dflt_value ?? ''} ${c.pk ? 'pk' : ''}`));
  }
  const indexes = await sql<{ t: string; name: string; def: string | null }>`select tbl_name as t, name, sql as def from sqlite_master where type = 'index' and tbl_name not like 'kysely_%'`.execute(db);
  rows.push(...indexes.rows.map((r) => `index ${r.t}.${r.name} ${r.def ?? ''}`));
  return rows.sort();
}

const M1 = 'key_old_m1';
const M2 = 'key_old_m2';
const UNLIMITED = 'key_old_unlimited';
const REVOKED = 'key_old_revoked';
const BALANCES: Record<string, number | null> = { [M1]: 9_400_000, [M2]: 6_140_000, [UNLIMITED]: null, [REVOKED]: 2_000_000 };

for (const target of reopenableTargets('qig-users-migration-')) {
  describe(`migration 0008, users from keys: ${target().name}`, () => {
    const suite = billingSuite(target);

    it("gives each key a user of its own with the key's balance, marks the ledger, tasks and usage with it, and goes down and up again", async () => {
      await migrateStoreTo(suite.store, BEFORE_USERS);
      const old = suite.store.db;
      await oldKey(old, { id: M1, balance: 9_400_000, createdAt: 1_000 });
      await oldKey(old, { id: M2, balance: 6_140_000, createdAt: 1_001 });
      await oldKey(old, { id: UNLIMITED, balance: null, createdAt: 1_002 });
      await oldKey(old, { id: REVOKED, balance: 2_000_000, createdAt: 1_003, revokedAt: 5_000 });
      await oldLedger(old, M1, null, 'credit', 10_000_000, 1_100);
      await oldTask(old, { id: 'task_m1_made', keyId: M1, status: 'succeeded', n: 3, unit: 200_000, made: 2, charged: 400_000, engine: 'cloud', at: 2_000 });
      await oldTask(old, { id: 'task_m1_failed', keyId: M1, status: 'failed', n: 1, unit: 300_000, made: 0, charged: 0, engine: 'cloud', at: 2_100 });
      await oldTask(old, { id: 'task_m1_queued', keyId: M1, status: 'queued', n: 1, unit: 200_000, made: 0, charged: null, engine: null, at: 2_200 });
      await oldLedger(old, M2, null, 'credit', 5_000_000, 1_100);
      await oldLedger(old, M2, null, 'credit', 1_500_000, 1_200);
      await oldTask(old, { id: 'task_m2_made', keyId: M2, status: 'succeeded', n: 2, unit: 180_000, made: 2, charged: 360_000, engine: 'gpu', at: 2_300 });
      await oldTask(old, { id: 'task_unlimited', keyId: UNLIMITED, status: 'succeeded', n: 1, unit: 200_000, made: 1, charged: 200_000, engine: 'cloud', at: 2_400 });
      await oldLedger(old, REVOKED, null, 'credit', 2_000_000, 1_100);
      await oldTask(old, { id: 'task_revoked_canceled', keyId: REVOKED, status: 'canceled', n: 2, unit: 150_000, made: 0, charged: 0, engine: null, at: 2_500 });
      await assertOldBooks(old, BALANCES);
      const ledgerBefore = (await sql<{ id: number | string; key_id: string; amount_micros: number | string }>`select id, key_id, amount_micros from ledger order by id`.execute(old)).rows.map((r) => [Number(r.id), r.key_id, Number(r.amount_micros)]);

      // The current version opens it: migrated to the latest.
      await suite.reopen();
      const { db } = suite.store;
      const users = await db.selectFrom('users').selectAll().orderBy('id').execute();
      assert.deepEqual(
        users.map((u) => [u.id, u.name, u.group_name, u.balance_micros === null ? null : Number(u.balance_micros), Number(u.created_at)]),
        [
          [`usr_${M1}`, `name of ${M1}`, 'default', 9_400_000, 1_000],
          [`usr_${M2}`, `name of ${M2}`, 'default', 6_140_000, 1_001],
          [`usr_${REVOKED}`, `name of ${REVOKED}`, 'default', 2_000_000, 1_003],
          [`usr_${UNLIMITED}`, `name of ${UNLIMITED}`, 'default', null, 1_002],
        ],
        'one user per key, named after it, with its balance, in the default group',
      );
      for (const u of users) assert.deepEqual([u.rate_limit_per_minute, u.max_in_flight, u.models, u.budget_micros, u.disabled_at], [null, null, null, null, null], `user ${u.id}: no limits of its own`);
      const keys = await db.selectFrom('api_keys').select(['id', 'user_id', 'rate_limit_per_minute', 'max_in_flight', 'revoked_at', 'budget_micros']).orderBy('id').execute();
      for (const k of keys) assert.deepEqual([k.user_id, k.rate_limit_per_minute, k.max_in_flight, k.budget_micros], [`usr_${k.id}`, 60, 4, null], `key ${k.id}: its user set, its own limits kept`);
      const ledger = await db.selectFrom('ledger').select(['id', 'user_id', 'key_id', 'amount_micros']).orderBy('id').execute();
      assert.deepEqual(ledger.map((r) => [Number(r.id), r.key_id, Number(r.amount_micros)]), ledgerBefore, 'ledger rows kept, ids and amounts intact');
      for (const r of ledger) assert.equal(r.user_id, `usr_${r.key_id}`, `ledger row ${r.id}: marked with its key's user`);
      for (const t of await db.selectFrom('tasks').select(['id', 'key_id', 'user_id', 'price_multiplier_ppm']).execute()) {
        assert.deepEqual([t.user_id, Number(t.price_multiplier_ppm)], [`usr_${t.key_id}`, 1_000_000], `task ${t.id}: its user, at list prices`);
      }
      const usage = await db.selectFrom('usage_records').select(['task_id', 'key_id', 'user_id']).execute();
      assert.equal(usage.length, 3);
      for (const u of usage) assert.equal(u.user_id, `usr_${u.key_id}`, `usage of ${u.task_id}: marked with its user`);
      await assertLedgerInvariant(db);
      assert.deepEqual(await suite.ledger.balance(M1), { balanceMicros: 9_400_000, heldMicros: 200_000 });
      assert.equal((await suite.ledger.usage({ userId: `usr_${M2}`, limit: 10, offset: 0 })).amountMicros, 360_000);

      // Authentication finds each key with its user and the default group.
      const keyStore = new SqlKeyStore(db);
      for (const [id, balance] of Object.entries(BALANCES)) {
        const found = await keyStore.findByHash(`h-${id}`);
        assert.ok(found, `key ${id} authenticates`);
        assert.deepEqual([found.key.id, found.key.userId, found.user.id, found.user.balanceMicros, found.user.group, found.group.name, found.group.multiplierPpm], [id, `usr_${id}`, `usr_${id}`, balance, 'default', 'default', 1_000_000]);
        assert.deepEqual([found.key.rateLimitPerMinute, found.key.maxInFlight, found.key.budget], [60, 4, null]);
        assert.equal(found.key.revokedAt, id === REVOKED ? 5_000 : null);
      }

      // A new task of an old key takes its hold from the user's balance; the old queued task settles into it.
      const fresh = billedTask(M1, 2, 180_000, { createdAt: 10_000 });
      await suite.tasks.create(fresh, { maxInFlight: 4 });
      assert.deepEqual(await suite.ledger.balance({ userId: `usr_${M1}` }), { balanceMicros: 9_040_000, heldMicros: 560_000 });
      const rows = await suite.ledger.ledgerRows(M1);
      assert.deepEqual(rows.filter((r) => r.taskId === fresh.id).map((r) => [r.userId, r.keyId, r.kind, r.amountMicros]), [[`usr_${M1}`, M1, 'hold', -360_000]]);
      assert.equal(rows.at(-1)?.taskId, fresh.id, 'a new ledger row comes after the migrated ones');
      assert.ok(await suite.tasks.claim('task_m1_queued', 'w', 11_000, 41_000));
      const ended = await suite.tasks.finish('task_m1_queued', 'w', { status: 'succeeded', outputs: [output(1, 'cloud')], usage: { imageCount: 1, width: 64, height: 64 }, actualPrompt: null, warnings: [], engine: 'cloud', charge: { parts: [{ engine: 'cloud', images: 1, unitPriceMicros: 150_000 }] } }, 12_000);
      assert.equal(ended?.billing.chargedMicros, 150_000);
      assert.equal(ended?.userId, `usr_${M1}`);
      assert.deepEqual(await suite.ledger.balance(M1), { balanceMicros: 9_090_000, heldMicros: 360_000 });
      // The unlimited key stays unlimited.
      await suite.tasks.create(billedTask(UNLIMITED, 1, 200_000, { createdAt: 10_000 }));
      assert.deepEqual(await suite.ledger.balance(UNLIMITED), { balanceMicros: null, heldMicros: 200_000 });
      await assertLedgerInvariant(db);
      const balances = { ...BALANCES, [M1]: 9_090_000 };

      // Down to 0007: the balances go back on the keys, the ledger by key as before.
      await migrateStoreTo(suite.store, BEFORE_USERS);
      await assertOldBooks(db, balances);
      assert.ok(!(await columns(db, 'tasks', suite.store.dialect)).includes('user_id'));
      assert.ok(!(await columns(db, 'ledger', suite.store.dialect)).includes('user_id'));
      assert.ok((await columns(db, 'api_keys', suite.store.dialect)).includes('balance_micros'));
      assert.equal(Number((await sql<{ n: number | string }>`select count(*) as n from ledger where key_id = ''`.execute(db)).rows[0]?.n), 0, 'every ledger row has its key');

      // And up again: the same users and books.
      await migrateStoreTo(suite.store, USERS);
      const again = await db.selectFrom('users').select(['id', 'balance_micros']).orderBy('id').execute();
      assert.deepEqual(
        again.map((u) => [u.id, u.balance_micros === null ? null : Number(u.balance_micros)]),
        Object.entries(balances).map(([id, b]) => [`usr_${id}`, b]).sort(([a], [b]) => String(a).localeCompare(String(b))),
      );
      await assertLedgerInvariant(db);
      assert.deepEqual(await suite.ledger.balance(M1), { balanceMicros: 9_090_000, heldMicros: 360_000 });
      // The task held before the round trip still settles into its user's balance.
      assert.equal(await suite.ledger.settle(fresh.id, 13_000), false, 'not ended yet');
      assert.equal(await suite.tasks.cancelQueued(fresh.id, 13_000), true);
      assert.equal(await suite.ledger.settle(fresh.id, 13_000), true);
      assert.deepEqual(await suite.ledger.balance(M1), { balanceMicros: 9_450_000, heldMicros: 0 });
      await assertLedgerInvariant(db);

      // The round trip leaves the schema as a fresh database's.
      const place = target();
      const clean = await place.open();
      try {
        assert.deepEqual(await schemaOf(db, suite.store.dialect), await schemaOf(clean.db, clean.dialect));
      } finally {
        await clean.close();
        await place.cleanup();
      }
    });

    // Going down, a user's whole ledger moves with its balance to its first key (the rows its other
    // keys caused too), so 0007's per-key books balance, and they still do after going up again.
    it('a user with two keys goes down to 0007 and up again with its books balanced', async () => {
      const { db } = suite.store;
      const userId = 'usr_two_keys';
      const first = 'key_two_first';
      const second = 'key_two_second';
      await db.insertInto('users').values({ id: userId, name: 'two keys', email: null, group_name: 'default', balance_micros: null, rate_limit_per_minute: null, max_in_flight: null, models: null, budget_micros: null, budget_period: null, created_at: 30_000, updated_at: 30_000, disabled_at: null }).execute();
      await suite.ledger.credit({ userId }, 5_000_000, 'opening balance', 30_000, { opening: true });
      const keyStore = new SqlKeyStore(db);
      for (const [id, at] of [[first, 30_001], [second, 30_002]] as const) {
        await keyStore.create({ id, name: id, keyHash: `h-${id}`, keyPrefix: id.slice(0, 11), createdAt: at, revokedAt: null, expiresAt: null, rateLimitPerMinute: null, maxInFlight: null, models: null, userId, budget: null });
      }
      // The second key spends: a task settled with one image of two, and one still queued.
      const spent = billedTask(second, 2, 200_000, { userId, createdAt: 31_000 });
      await suite.tasks.create(spent);
      assert.ok(await suite.tasks.claim(spent.id, 'w', 31_000, 61_000));
      await suite.tasks.finish(spent.id, 'w', { status: 'succeeded', outputs: [output(1, 'cloud')], usage: { imageCount: 1, width: 64, height: 64 }, actualPrompt: null, warnings: [], engine: 'cloud', charge: { parts: [{ engine: 'cloud', images: 1, unitPriceMicros: 200_000 }] } }, 32_000);
      const queued = billedTask(second, 1, 300_000, { userId, createdAt: 33_000 });
      await suite.tasks.create(queued);
      await suite.ledger.credit({ userId }, 1_000_000, 'top-up', 34_000, { opening: false });
      assert.deepEqual(await suite.ledger.balance({ userId }), { balanceMicros: 5_500_000, heldMicros: 300_000 });
      await assertLedgerInvariant(db);

      await migrateStoreTo(suite.store, BEFORE_USERS);
      const keys = (await sql<{ id: string; balance_micros: number | string | null }>`select id, balance_micros from api_keys where id in (${first}, ${second})`.execute(db)).rows;
      assert.equal(Number(keys.find((k) => k.id === first)?.balance_micros), 5_500_000, "the user's balance is back on its first key");
      const sums = (await sql<{ key_id: string; total: number | string }>`select key_id, sum(amount_micros) as total from ledger where key_id in (${first}, ${second}) group by key_id`.execute(db)).rows;
      assert.equal(Number(sums.find((r) => r.key_id === first)?.total ?? 0), 5_500_000, "0007's books: the first key's balance is the sum of its ledger rows (the rows of the user's other keys moved with the balance)");

      await migrateStoreTo(suite.store, USERS);
      await assertLedgerInvariant(db);
    });
  });
}
