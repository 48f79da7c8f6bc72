/**
 * Idempotency-Key under a tight balance: a key that can pay for exactly one request sends the
 * same request twice at once. The duplicate is never charged and never refused for money: it
 * gets the first request's task (a sync route waits for its result) or a 409 with Retry-After
 * while the first is still being accepted. On SQLite, and on Postgres when DATABASE_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';
import { postgresSchemaUrl } from '../helpers/stores.js';

const ADMIN = 'admin-token-idempotency';
const DATABASE_URL = process.env.DATABASE_URL;
const targets = [{ name: 'SQLite', databaseUrl: null as string | null }, ...(DATABASE_URL ? [{ name: 'Postgres', databaseUrl: DATABASE_URL }] : [])];

for (const target of targets) {
  describe(`Idempotency-Key at a balance for exactly one request: ${target.name}`, () => {
    let server: TestGateway;
    let drop: () => Promise<void> = async () => {};

    before(async () => {
      const schema = target.databaseUrl ? postgresSchemaUrl(target.databaseUrl) : null;
      if (schema) drop = schema.drop;
      server = await startTestGateway({
        env: { QIG_ADMIN_TOKEN: ADMIN, ...(schema ? { DATABASE_URL: schema.url } : {}) },
        config: { prices: { currency: 'CNY', perEngine: { local: { 'qwen-image-2.0': '0.20' } } } },
      });
    });
    after(async () => {
      await server.close();
      await drop();
    });

    async function oneRequestKey(): Promise<string> {
      const response = await fetch(`${server.url}/admin/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'one', balance: '0.20' }) });
      return ((await response.json()) as { key: string }).key;
    }

    const submit = async (key: string, idempotencyKey: string, sync: boolean) => {
      const response = await fetch(`${server.url}/api/v1/services/aigc/multimodal-generation/generation`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...(sync ? {} : { 'x-dashscope-async': 'enable' }) },
        body: JSON.stringify({ model: 'qwen-image-2.0', input: { messages: [{ role: 'user', content: [{ text: 'a kite' }] }] }, parameters: { size: '512*512', seed: 3 } }),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), json: (await response.json()) as any };
    };

    const balanceOf = async (key: string) => ((await (await fetch(`${server.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } })).json()) as { balance: string }).balance;

    for (const sync of [false, true]) {
      it(`two identical ${sync ? 'sync' : 'async'} submits at once: one task, charged once, the duplicate never refused for money`, async () => {
        for (let round = 0; round < 5; round += 1) {
          const key = await oneRequestKey();
          const answers = await Promise.all([submit(key, `same-${round}`, sync), submit(key, `same-${round}`, sync)]);
          for (const answer of answers) {
            assert.notEqual(answer.json.code, 'Arrearage', JSON.stringify(answer.json));
            assert.ok(answer.status === 200 || (answer.status === 409 && answer.retryAfter === '1'), JSON.stringify(answer));
          }
          assert.ok(answers.some((a) => a.status === 200), 'the first is accepted');
          // A later duplicate (the first is accepted by now) answers with the first task.
          const again = await submit(key, `same-${round}`, false);
          assert.equal(again.status, 200, JSON.stringify(again.json));
          const tasks = await server.gateway.store.db.selectFrom('tasks').select('id').where('request_id', 'in', answers.map((a) => a.json.request_id).filter(Boolean)).execute();
          assert.equal(tasks.length, 1, 'one task was created');
          if (!sync) for (const answer of answers.filter((a) => a.status === 200)) assert.equal(answer.json.output.task_id, again.json.output.task_id);
          for (let i = 0; i < 100 && (await balanceOf(key)) !== '0.00'; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
          assert.equal(await balanceOf(key), '0.00', 'charged exactly once');
        }
        await assertLedgerInvariant(server.gateway.store.db);
      });
    }
  });
}
