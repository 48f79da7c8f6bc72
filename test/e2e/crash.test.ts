/**
 * A server process killed with SIGKILL while a task runs: after a restart the task is taken up
 * again, and its hold is settled exactly once (the ledger invariant holds).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { startFakeDashScope } from '../fakes/dashscope.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';
import { gradientImage } from '../helpers/images.js';
import { spawnServer } from '../helpers/process.js';
import { tempDir } from '../helpers/stores.js';

const ADMIN = 'admin-token-crash-test';

describe('crash recovery', () => {
  it('settles the hold of a task whose process was SIGKILLed mid-run exactly once', async () => {
    const fake = await startFakeDashScope();
    const dir = tempDir();
    const host = new URL(fake.url).host;
    const configFile = join(dir.path, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      engines: { cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey } },
      routes: { '*': ['cloud'] },
      fetch: { allowHosts: [host] },
      limits: { leaseSeconds: 2 },
    }));
    const env = { PORT: '0', QIG_DATA_DIR: dir.path, QIG_CONFIG: configFile, QIG_ADMIN_TOKEN: ADMIN };
    try {
      fake.script.push('sync', { kind: 'hang' });
      const first = await spawnServer(env);
      const created = await fetch(`${first.url}/admin/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'crash', balance: '1.00' }),
      });
      const key = ((await created.json()) as { key: string }).key;
      const image = `data:image/png;base64,${(await gradientImage(640, 480)).toString('base64')}`;
      const submit = await fetch(`${first.url}/api/v1/services/aigc/multimodal-generation/generation`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' },
        body: JSON.stringify({ model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image }, { text: 'make it blue' }] }] }, parameters: { n: 2 } }),
      });
      const taskId = ((await submit.json()) as { output: { task_id: string } }).output.task_id;
      while (!fake.requests.some((r) => r.path.includes('multimodal-generation'))) await new Promise((resolve) => setTimeout(resolve, 20));
      const held = (await (await fetch(`${first.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } })).json()) as { balance: string; held: string };
      assert.deepEqual([held.balance, held.held], ['0.64', '0.36']);
      await first.stop('SIGKILL');

      const second = await spawnServer(env);
      let status = '';
      for (let i = 0; i < 300 && status !== 'SUCCEEDED'; i += 1) {
        const task = (await (await fetch(`${second.url}/api/v1/tasks/${taskId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { output: { task_status: string } };
        status = task.output.task_status;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(status, 'SUCCEEDED', second.output());
      const after = (await (await fetch(`${second.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } })).json()) as { balance: string; held: string };
      assert.deepEqual([after.balance, after.held], ['0.64', '0.00']);
      assert.equal(await second.stop(), 0);

      const store = await openStore({ databaseUrl: null, dataDir: dir.path });
      try {
        await assertLedgerInvariant(store.db);
        const rows = await store.db.selectFrom('ledger').select(['kind', 'amount_micros']).where('task_id', '=', taskId).execute();
        assert.deepEqual(rows.map((r) => [r.kind, Number(r.amount_micros)]), [['hold', -360000], ['release', 0]]);
        const task = await store.db.selectFrom('tasks').select(['attempts']).where('id', '=', taskId).executeTakeFirstOrThrow();
        assert.equal(Number(task.attempts), 2, 'taken up again after the crash');
      } finally {
        await store.close();
      }
    } finally {
      await fake.close();
      dir.remove();
    }
  });
});
