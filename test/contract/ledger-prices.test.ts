/**
 * The ledger's contract for prices by engine, on SQLite and (when DATABASE_URL is set) Postgres: a
 * settlement charges each image at its engine's price, records the engine and the unit price in
 * the release and the usage row, never charges past the hold, and happens once; a database from
 * before (migrations up to 0004) keeps its rows and amounts, and gets the engine of each row's task
 * (0006), or none where the task is gone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { TaskCharge, TaskOutput } from '../../src/domain/task.js';
import { addKey, billedTask as newTask, billingSuite, migrateStoreTo, output, reopenableTargets } from '../helpers/billing.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

for (const target of reopenableTargets('qig-prices-')) {
  describe(`ledger prices by engine: ${target().name}`, () => {
    const suite = billingSuite(target);

    /** Creates, claims and ends a task with these outputs and charge; the ended record. */
    async function run(keyId: string, n: number, holdUnit: number, outputs: TaskOutput[], charge: TaskCharge | undefined, engine: string) {
      const task = newTask(keyId, n, holdUnit);
      await suite.tasks.create(task);
      await suite.tasks.claim(task.id, 'w', 2_000, 32_000);
      const ended = await suite.tasks.finish(task.id, 'w', { status: 'succeeded', outputs, usage: { imageCount: outputs.length, width: 64, height: 64 }, actualPrompt: null, warnings: [], engine, charge }, 3_000);
      assert.ok(ended);
      return ended;
    }

    it("charges the producing engine's price, records it in the release and the usage row, and releases the rest", async () => {
      const keyId = await addKey(suite.store.db, 5_000_000);
      const ended = await run(keyId, 3, 500_000, [output(1, 'cheap'), output(2, 'cheap'), output(3, 'cheap')], { parts: [{ engine: 'cheap', images: 3, unitPriceMicros: 100_000 }] }, 'cheap');
      assert.deepEqual(ended.billing, { state: 'settled', unitPriceMicros: 100_000, holdMicros: 1_500_000, chargedMicros: 300_000 });
      assert.deepEqual((await suite.tasks.get(ended.id))?.billing, ended.billing, 'the row records the price applied');
      assert.deepEqual(await suite.ledger.balance(keyId), { balanceMicros: 4_700_000, heldMicros: 0 });
      const rows = await suite.ledger.ledgerRows(keyId);
      const release = rows.find((r) => r.kind === 'release');
      assert.equal(release?.amountMicros, 1_200_000);
      assert.equal(release?.engine, 'cheap');
      assert.equal(release?.unitPriceMicros, 100_000);
      assert.match(release?.note ?? '', /at ¥0\.10 by engine cheap, charged ¥0\.30/);
      const hold = rows.find((r) => r.kind === 'hold');
      assert.equal(hold?.engine, null, 'no engine is known when the hold is taken');
      const usage = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.equal(usage.records.length, 1);
      assert.equal(usage.records[0]?.engine, 'cheap');
      assert.equal(usage.records[0]?.unitPriceMicros, 100_000);
      assert.equal(usage.records[0]?.amountMicros, 300_000);
      assert.equal(usage.records[0]?.description, 'Image generation: 3 images × ¥0.10 = ¥0.30');
      assert.equal(await suite.ledger.settle(ended.id, 4_000), false, 'settled exactly once');
      await assertLedgerInvariant(suite.store.db);
    });

    it('records a free engine at 0 and releases the whole hold', async () => {
      const keyId = await addKey(suite.store.db, 1_000_000);
      const ended = await run(keyId, 2, 0, [output(1, 'local'), output(2, 'local')], { parts: [{ engine: 'local', images: 2, unitPriceMicros: 0 }] }, 'local');
      assert.equal(ended.billing.chargedMicros, 0);
      assert.deepEqual(await suite.ledger.balance(keyId), { balanceMicros: 1_000_000, heldMicros: 0 });
      const usage = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.equal(usage.records[0]?.engine, 'local');
      assert.equal(usage.records[0]?.unitPriceMicros, 0);
      assert.equal(usage.amountMicros, 0);
      assert.equal(usage.images, 2);
      await assertLedgerInvariant(suite.store.db);
    });

    it('charges each image at its own engine after a failover halfway, and filters usage by engine', async () => {
      const keyId = await addKey(suite.store.db, 5_000_000);
      const charge = { parts: [{ engine: 'gpu', images: 1, unitPriceMicros: 500_000 }, { engine: 'cpu', images: 2, unitPriceMicros: 100_000 }] };
      const ended = await run(keyId, 4, 500_000, [output(1, 'gpu'), output(2, 'cpu'), output(3, 'cpu')], charge, 'cpu');
      assert.equal(ended.billing.chargedMicros, 700_000);
      assert.deepEqual(await suite.ledger.balance(keyId), { balanceMicros: 4_300_000, heldMicros: 0 });
      const usage = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.equal(usage.records[0]?.engine, 'gpu+cpu');
      assert.equal(usage.records[0]?.unitPriceMicros, 233_333, 'the average over the engines');
      assert.equal(usage.records[0]?.description, 'Image generation: 1 image × ¥0.50 (gpu) + 2 images × ¥0.10 (cpu) = ¥0.70');
      assert.equal((await suite.ledger.usage({ keyId, engine: 'gpu+cpu', limit: 10, offset: 0 })).total, 1);
      assert.equal((await suite.ledger.usage({ keyId, engine: 'cpu', limit: 10, offset: 0 })).total, 0);
      await assertLedgerInvariant(suite.store.db);
    });

    it('never charges past the hold, and settles a task ended without a charge at the hold\'s price by its engine', async () => {
      const keyId = await addKey(suite.store.db, 5_000_000);
      const capped = await run(keyId, 1, 100_000, [output(1, 'dear')], { parts: [{ engine: 'dear', images: 1, unitPriceMicros: 900_000 }] }, 'dear');
      assert.equal(capped.billing.chargedMicros, 100_000);
      const cappedRow = (await suite.ledger.usage({ keyId, engine: 'dear', limit: 10, offset: 0 })).records[0];
      assert.equal(cappedRow?.description, 'Image generation: 1 image × ¥0.90 = ¥0.90, charged ¥0.10 (the hold)');
      assert.equal(cappedRow?.amountMicros, 100_000);
      const legacy = await run(keyId, 2, 200_000, [output(1), output(2)], undefined, 'old');
      assert.deepEqual(legacy.billing, { state: 'settled', unitPriceMicros: 200_000, holdMicros: 400_000, chargedMicros: 400_000 });
      const usage = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.deepEqual(usage.records.map((r) => r.engine).sort(), ['dear', 'old']);
      assert.deepEqual(await suite.ledger.balance(keyId), { balanceMicros: 4_500_000, heldMicros: 0 });
    });

    const migrateTo = (name: string) => migrateStoreTo(suite.store, name);

    it('migrates a database written before prices were by engine: its rows keep their amounts; with its task gone, a row has no engine', async () => {
      const { db } = suite.store;
      await migrateTo('0004_blob_retention');
      // Rows as the version before wrote them (no engine columns).
      const keyId = `key_${randomUUID()}`;
      await sql`insert into api_keys (id, name, key_hash, key_prefix, created_at, models, balance_micros) values (${keyId}, 'old', ${`h-${keyId}`}, 'old', 0, null, 640000)`.execute(db);
      await sql`insert into ledger (key_id, task_id, kind, amount_micros, note, created_at) values (${keyId}, null, 'credit', 1000000, 'opening', 1), (${keyId}, 'task_old', 'hold', -720000, 'hold', 2), (${keyId}, 'task_old', 'release', 360000, 'settled', 3)`.execute(db);
      await sql`insert into usage_records (task_id, key_id, model, images, unit_price_micros, amount_micros, currency, description, created_at) values ('task_old', ${keyId}, 'qwen-image-edit-plus', 2, 180000, 360000, 'CNY', 'Image generation: 2 images × ¥0.18 = ¥0.36', 3)`.execute(db);
      await suite.reopen();
      const usage = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.equal(usage.records.length, 1);
      assert.deepEqual(
        { ...usage.records[0] },
        { taskId: 'task_old', keyId, userId: `usr_${keyId}`, model: 'qwen-image-edit-plus', images: 2, unitPriceMicros: 180_000, amountMicros: 360_000, currency: 'CNY', description: 'Image generation: 2 images × ¥0.18 = ¥0.36', createdAt: 3, engine: null, credential: null, costMicros: 0 },
      );
      assert.equal(usage.amountMicros, 360_000);
      const rows = await suite.ledger.ledgerRows(keyId);
      assert.deepEqual(rows.map((r) => [r.kind, r.amountMicros, r.engine, r.unitPriceMicros]), [['credit', 1_000_000, null, null], ['hold', -720_000, null, null], ['release', 360_000, null, null]]);
      assert.deepEqual(await suite.ledger.balance(keyId), { balanceMicros: 640_000, heldMicros: 0 });
      // And the migrated database takes new settlements with their engine.
      const ended = await run(keyId, 1, 180_000, [output(9, 'cloud')], { parts: [{ engine: 'cloud', images: 1, unitPriceMicros: 180_000 }] }, 'cloud');
      assert.equal(ended.billing.chargedMicros, 180_000);
      assert.equal((await suite.ledger.usage({ keyId, engine: 'cloud', limit: 10, offset: 0 })).total, 1);
    });

    it("fills in the engine of the previous version's rows from their task (0006), also on a database that had run 0005", async () => {
      const { db } = suite.store;
      await migrateTo('0004_blob_retention');
      // The previous version's rows: a task settled with 2 images on `local`, one that failed on
      // `cloud`, one canceled before any engine ran it, and a settled task whose row is gone.
      const keyId = `key_${randomUUID()}`;
      const id = (name: string) => `${name}_${randomUUID()}`;
      const [made, failed, canceled, gone] = [id('made'), id('failed'), id('canceled'), id('gone')];
      await sql`insert into api_keys (id, name, key_hash, key_prefix, created_at, models, balance_micros) values (${keyId}, 'old', ${`h-${keyId}`}, 'old', 0, null, 280000)`.execute(db);
      const oldTask = (taskId: string, status: string, engine: string | null, n: number, charged: number) =>
        sql`insert into tasks (id, key_id, model, kind, status, spec, inputs, engine, outputs, warnings, attempts, cancel_requested, origin, request_id, created_at, updated_at, price_micros, hold_micros, charged_micros, billing_state)
            values (${taskId}, ${keyId}, 'qwen-image-edit-plus', 'edit', ${status}, '{}', '[]', ${engine}, '[]', '[]', 1, 0, 'dashscope', 'req', 1, 1, 180000, ${180_000 * n}, ${charged}, 'settled')`.execute(db);
      await oldTask(made, 'succeeded', 'local', 2, 360_000);
      await oldTask(failed, 'failed', 'cloud', 1, 0);
      await oldTask(canceled, 'canceled', null, 1, 0);
      await sql`insert into ledger (key_id, task_id, kind, amount_micros, note, created_at) values
        (${keyId}, null, 'credit', 1000000, 'opening', 1),
        (${keyId}, ${made}, 'hold', -360000, 'hold', 2), (${keyId}, ${made}, 'release', 0, 'settled', 3),
        (${keyId}, ${failed}, 'hold', -180000, 'hold', 4), (${keyId}, ${failed}, 'release', 180000, 'settled', 5),
        (${keyId}, ${canceled}, 'hold', -180000, 'hold', 6), (${keyId}, ${canceled}, 'release', 180000, 'settled', 7),
        (${keyId}, ${gone}, 'hold', -360000, 'hold', 8), (${keyId}, ${gone}, 'release', 0, 'settled', 9)`.execute(db);
      await sql`insert into usage_records (task_id, key_id, model, images, unit_price_micros, amount_micros, currency, description, created_at) values
        (${made}, ${keyId}, 'qwen-image-edit-plus', 2, 180000, 360000, 'CNY', 'Image generation: 2 images × ¥0.18 = ¥0.36', 3),
        (${gone}, ${keyId}, 'qwen-image-edit-plus', 2, 180000, 360000, 'CNY', 'Image generation: 2 images × ¥0.18 = ¥0.36', 9)`.execute(db);
      // A deployment that ran 0005 alone left them with no engine.
      await migrateTo('0005_engine_prices');
      const before = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.deepEqual(before.records.map((r) => r.engine), [null, null]);

      await suite.reopen();
      const usage = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.deepEqual(
        usage.records.map((r) => [r.taskId, r.engine, r.images, r.unitPriceMicros, r.amountMicros, r.description]),
        [
          [gone, null, 2, 180_000, 360_000, 'Image generation: 2 images × ¥0.18 = ¥0.36'],
          [made, 'local', 2, 180_000, 360_000, 'Image generation: 2 images × ¥0.18 = ¥0.36'],
        ],
      );
      assert.equal(usage.amountMicros, 720_000);
      assert.equal((await suite.ledger.usage({ keyId, engine: 'local', limit: 10, offset: 0 })).total, 1, 'the engine filter finds the old row');
      // The release of the task that made images names its engine and unit price, as one written now
      // would; holds, the credit and the releases of tasks that made nothing keep none.
      const rows = await suite.ledger.ledgerRows(keyId);
      assert.deepEqual(
        rows.map((r) => [r.taskId, r.kind, r.amountMicros, r.engine, r.unitPriceMicros]),
        [
          [null, 'credit', 1_000_000, null, null],
          [made, 'hold', -360_000, null, null],
          [made, 'release', 0, 'local', 180_000],
          [failed, 'hold', -180_000, null, null],
          [failed, 'release', 180_000, null, null],
          [canceled, 'hold', -180_000, null, null],
          [canceled, 'release', 180_000, null, null],
          [gone, 'hold', -360_000, null, null],
          [gone, 'release', 0, null, null],
        ],
      );
      assert.deepEqual(await suite.ledger.balance(keyId), { balanceMicros: 280_000, heldMicros: 0 });
      const [task] = (await sql<{ price_micros: number | string; charged_micros: number | string }>`select price_micros, charged_micros from tasks where id = ${made}`.execute(suite.store.db)).rows;
      assert.deepEqual([Number(task?.price_micros), Number(task?.charged_micros)], [180_000, 360_000], 'task amounts untouched');
    });
  });
}
