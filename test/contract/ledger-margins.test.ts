/**
 * The ledger's costs and margins (decision 0011), on SQLite and (when DATABASE_URL is set)
 * Postgres: a settlement records the credential(s) that made the images and their upstream cost
 * (of the images charged, never capped by the hold); margins group revenue and cost by UTC day,
 * model, channel, credential and key, with filters; a database from before (0006) keeps its usage
 * rows and amounts, with no credential and a cost of 0.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { TaskCharge } from '../../src/domain/task.js';
import { addKey, billedTask, billingSuite, migrateStoreTo, output, reopenableTargets } from '../helpers/billing.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

const JAN1 = Date.UTC(2026, 0, 1, 10);
const JAN1_LAST = Date.UTC(2026, 0, 1, 23, 59, 59, 999);
const JAN2 = Date.UTC(2026, 0, 2);
const JAN3 = Date.UTC(2026, 0, 3);
const EDIT = 'qwen-image-edit-plus';

for (const target of reopenableTargets('qig-margins-')) {
  describe(`ledger costs and margins: ${target().name}`, () => {
    const suite = billingSuite(target);

    /** A task of `n` images held at `holdUnit`, ended at `at` with `made` images and this charge. */
    async function settleAt(at: number, keyId: string, model: string, n: number, holdUnit: number, made: number, charge: TaskCharge): Promise<string> {
      const task = billedTask(keyId, n, holdUnit, { model, createdAt: at - 10_000 });
      await suite.tasks.create(task);
      await suite.tasks.claim(task.id, 'w', at - 5_000, at + 30_000);
      const outputs = Array.from({ length: made }, (_, i) => output(i + 1));
      const ended = await suite.tasks.finish(task.id, 'w', { status: 'succeeded', outputs, usage: { imageCount: made, width: 64, height: 64 }, actualPrompt: null, warnings: [], engine: charge.parts.at(-1)?.engine ?? null, charge }, at);
      assert.equal(ended?.billing.state, 'settled');
      return task.id;
    }

    it('records the credentials and the upstream cost of the images charged, and groups margins by day, model, channel, credential and key', async () => {
      const keyA = await addKey(suite.store.db, 10_000_000);
      const keyB = await addKey(suite.store.db, 10_000_000);
      const cloud = (credential: string, images: number, unitCostMicros: number, unitPriceMicros = 200_000) => ({ engine: 'cloud', credential, images, unitPriceMicros, unitCostMicros });
      const one = await settleAt(JAN1, keyA, EDIT, 2, 200_000, 2, { parts: [cloud('cr_a', 2, 140_000)] });
      // A failover between two credentials of one channel, on the last millisecond of the UTC day.
      const failover = await settleAt(JAN1_LAST, keyA, EDIT, 2, 200_000, 2, { parts: [cloud('cr_a', 1, 140_000), cloud('cr_b', 1, 100_000)] });
      // A keyless engine with no cost table.
      await settleAt(JAN2, keyB, 'qwen-image', 1, 0, 1, { parts: [{ engine: 'local', images: 1, unitPriceMicros: 0 }] });
      // Two of three images made: the cost of the two billed only.
      await settleAt(JAN2 + 1, keyB, EDIT, 3, 200_000, 2, { parts: [cloud('cr_b', 3, 100_000)] });
      // Charged no more than the hold (prices rose while it ran); the upstream still billed its cost.
      await settleAt(JAN2 + 2, keyB, EDIT, 1, 100_000, 1, { parts: [cloud('cr_b', 1, 150_000, 300_000)] });
      await assertLedgerInvariant(suite.store.db);

      const usage = await suite.ledger.usage({ keyId: keyA, limit: 10, offset: 0 });
      assert.deepEqual(
        usage.records.map((r) => [r.taskId, r.engine, r.credential, r.amountMicros, r.costMicros]),
        [
          [failover, 'cloud', 'cr_a+cr_b', 400_000, 240_000],
          [one, 'cloud', 'cr_a', 400_000, 280_000],
        ],
      );
      const keyless = await suite.ledger.usage({ keyId: keyB, engine: 'local', limit: 10, offset: 0 });
      assert.deepEqual(keyless.records.map((r) => [r.credential, r.costMicros]), [[null, 0]]);

      const range = { from: JAN1, to: JAN3 };
      const totals = (tasks: number, images: number, revenueMicros: number, costMicros: number) => ({ tasks, images, revenueMicros, costMicros });
      assert.deepEqual(await suite.ledger.margins({ ...range, groupBy: ['day'], limit: 10 }), [
        { day: '2026-01-01', ...totals(2, 4, 800_000, 520_000) },
        { day: '2026-01-02', ...totals(3, 4, 500_000, 350_000) },
      ]);
      assert.deepEqual(await suite.ledger.margins({ ...range, groupBy: ['channel'], limit: 10 }), [
        { channel: 'cloud', ...totals(4, 7, 1_300_000, 870_000) },
        { channel: 'local', ...totals(1, 1, 0, 0) },
      ]);
      assert.deepEqual(await suite.ledger.margins({ ...range, groupBy: ['model', 'credential'], limit: 10 }), [
        { model: EDIT, credential: 'cr_b', ...totals(2, 3, 500_000, 350_000) },
        { model: EDIT, credential: 'cr_a', ...totals(1, 2, 400_000, 280_000) },
        { model: EDIT, credential: 'cr_a+cr_b', ...totals(1, 2, 400_000, 240_000) },
        { model: 'qwen-image', credential: null, ...totals(1, 1, 0, 0) },
      ]);
      assert.deepEqual(await suite.ledger.margins({ ...range, groupBy: ['credential'], limit: 2 }), [
        { credential: 'cr_b', ...totals(2, 3, 500_000, 350_000) },
        { credential: 'cr_a', ...totals(1, 2, 400_000, 280_000) },
      ], 'the largest revenue first, limited');
      assert.deepEqual(await suite.ledger.margins({ ...range, model: EDIT, groupBy: ['key'], limit: 10 }), [
        { keyId: keyA, ...totals(2, 4, 800_000, 520_000) },
        { keyId: keyB, ...totals(2, 3, 500_000, 350_000) },
      ]);
      assert.deepEqual(await suite.ledger.margins({ ...range, channel: 'cloud', keyId: keyB, groupBy: ['day', 'key'], limit: 10 }), [{ day: '2026-01-02', keyId: keyB, ...totals(2, 3, 500_000, 350_000) }]);
      assert.deepEqual(await suite.ledger.margins({ from: JAN2, to: JAN3, groupBy: ['day'], limit: 10 }), [{ day: '2026-01-02', ...totals(3, 4, 500_000, 350_000) }], 'from is inclusive');
      assert.deepEqual(await suite.ledger.margins({ from: JAN1, to: JAN1_LAST + 1, groupBy: ['day', 'model'], limit: 10 }), [{ day: '2026-01-01', model: EDIT, ...totals(2, 4, 800_000, 520_000) }], 'to is exclusive: its last millisecond before is in');
      assert.deepEqual(await suite.ledger.margins({ from: JAN1, to: JAN1_LAST, groupBy: ['day', 'model'], limit: 10 }), [{ day: '2026-01-01', model: EDIT, ...totals(1, 2, 400_000, 280_000) }], 'to is exclusive: a row at it is out');
      assert.deepEqual(await suite.ledger.margins({ ...range, channel: 'nothing', groupBy: ['day'], limit: 10 }), []);
    });

    it('migrates usage rows written before costs were recorded: amounts kept, no credential, a cost of 0, in the margins', async () => {
      const { db } = suite.store;
      await migrateStoreTo(suite.store, '0006_backfill_engines');
      // Rows as the version before wrote them (no credential or cost columns).
      const keyId = `key_${randomUUID()}`;
      const [made, local] = [`made_${randomUUID()}`, `local_${randomUUID()}`];
      await sql`insert into usage_records (task_id, key_id, model, images, unit_price_micros, amount_micros, currency, description, created_at, engine) values
        (${made}, ${keyId}, ${EDIT}, 2, 180000, 360000, 'CNY', 'Image generation: 2 images × ¥0.18 = ¥0.36', 3, 'cloud'),
        (${local}, ${keyId}, ${EDIT}, 1, 0, 0, 'CNY', 'Image generation: 1 image × ¥0.00 = ¥0.00', 86400005, null)`.execute(db);
      await suite.reopen();

      const usage = await suite.ledger.usage({ keyId, limit: 10, offset: 0 });
      assert.deepEqual(usage.records.map((r) => ({ ...r })), [
        { taskId: local, keyId, userId: `usr_${keyId}`, model: EDIT, images: 1, unitPriceMicros: 0, amountMicros: 0, currency: 'CNY', description: 'Image generation: 1 image × ¥0.00 = ¥0.00', createdAt: 86_400_005, engine: null, credential: null, costMicros: 0 },
        { taskId: made, keyId, userId: `usr_${keyId}`, model: EDIT, images: 2, unitPriceMicros: 180_000, amountMicros: 360_000, currency: 'CNY', description: 'Image generation: 2 images × ¥0.18 = ¥0.36', createdAt: 3, engine: 'cloud', credential: null, costMicros: 0 },
      ]);
      assert.equal(usage.amountMicros, 360_000);
      assert.deepEqual(await suite.ledger.margins({ keyId, groupBy: ['day', 'channel', 'credential'], limit: 10 }), [
        { day: '1970-01-01', channel: 'cloud', credential: null, tasks: 1, images: 2, revenueMicros: 360_000, costMicros: 0 },
        { day: '1970-01-02', channel: null, credential: null, tasks: 1, images: 1, revenueMicros: 0, costMicros: 0 },
      ]);
    });
  });
}
