/** The idempotency-key store contract, run on SQLite and (with DATABASE_URL) Postgres. */
import { insertAccount } from '../helpers/accounts.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SqlLedger } from '../../src/store/ledger-store.js';
import { SqlIdempotencyStore } from '../../src/store/idempotency-store.js';
import { SqlTaskStore } from '../../src/store/task-store.js';
import { storeTargets } from '../helpers/stores.js';

const times = (now: number) => ({ now, windowStart: now - 1_000_000, staleBefore: now - 1_000 });

for (const target of storeTargets()) {
  describe(`idempotency store contract: ${target.name}`, () => {
    let store: SqlIdempotencyStore;
    let billing: SqlLedger;
    let tasks: SqlTaskStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      const opened = await target.open();
      store = new SqlIdempotencyStore(opened.store.db);
      billing = new SqlLedger(opened.store.db, 'CNY');
      tasks = new SqlTaskStore(opened.store.db, { currency: 'CNY', dialect: opened.store.dialect });
      await insertAccount(opened.store.db, { id: 'k', balanceMicros: 1_000_000 });
      cleanup = opened.cleanup;
    });
    after(async () => cleanup());

    it('lets exactly one of many concurrent claims of a key win', async () => {
      const claims = await Promise.all(Array.from({ length: 20 }, () => store.claim('k', 'race', 'fp', times(10_000))));
      assert.equal(claims.filter((c) => c.kind === 'claimed').length, 1);
      for (const claim of claims) if (claim.kind === 'existing') assert.deepEqual(claim, { kind: 'existing', fingerprint: 'fp', taskId: null, createdAt: 10_000 });
    });

    it('fills the claim in with the task that is created, in the same transaction', async () => {
      assert.deepEqual(await store.claim('k', 'made', 'fp', times(20_000)), { kind: 'claimed' });
      const id = randomUUID();
      const task = { id, keyId: 'k', userId: 'usr_k', model: 'qwen-image-2.0', kind: 'generate' as const, spec: { prompt: 'p', negativePrompt: null, n: 1, size: { width: 512, height: 512 }, sizeSource: 'request' as const, seed: 1, promptExtend: false, watermark: false, outputFormat: 'png' as const }, inputs: [], warnings: [], origin: 'dashscope', requestId: 'r', createdAt: 20_000, billing: { unitPriceMicros: 100_000, holdMicros: 100_000 } };
      await tasks.create(task, { maxInFlight: null, idempotencyKey: 'made' });
      assert.deepEqual(await store.claim('k', 'made', 'fp', times(21_000)), { kind: 'existing', fingerprint: 'fp', taskId: id, createdAt: 20_000 });
      // A task created under a claim it no longer holds is not created at all, and holds nothing.
      await assert.rejects(tasks.create({ ...task, id: randomUUID() }, { maxInFlight: null, idempotencyKey: 'made' }), /taken by another request/);
      assert.deepEqual(await billing.balance('k'), { balanceMicros: 900_000, heldMicros: 100_000 });
    });

    it('gives a released claim to the next request', async () => {
      assert.equal((await store.claim('k', 'released', 'fp', times(30_000))).kind, 'claimed');
      await store.release('k', 'released');
      assert.equal((await store.claim('k', 'released', 'fp2', times(30_001))).kind, 'claimed');
    });

    it('takes over an abandoned claim once, and a key past its window', async () => {
      assert.equal((await store.claim('k', 'old', 'fp', times(40_000))).kind, 'claimed');
      assert.equal((await store.claim('k', 'old', 'fp', times(40_500))).kind, 'existing', 'not yet abandoned');
      const later = await Promise.all([store.claim('k', 'old', 'fp', times(42_000)), store.claim('k', 'old', 'fp', times(42_000))]);
      assert.deepEqual(later.map((c) => c.kind).sort(), ['claimed', 'existing']);
      const past = { now: 5_000_000, windowStart: 4_000_000, staleBefore: 4_999_000 };
      assert.equal((await store.claim('k', 'made', 'other', past)).kind, 'claimed', 'a key past the window is free again');
    });
  });
}
