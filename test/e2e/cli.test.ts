/** `qig keys …` and `qig usage` on the configured store, with no server running. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openStore } from '../../src/store/db.js';
import { tempDir } from '../helpers/stores.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function qig(dataDir: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...env, QIG_DATA_DIR: dataDir } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

describe('qig CLI', () => {
  it('creates, lists, credits and revokes keys, and shows usage with its engine and unit price', async () => {
    const dir = tempDir();
    try {
      const created = await qig(dir.path, 'keys', 'create', '--name', 'shop', '--balance', '5', '--rpm', '30', '--models', 'qwen-image-edit-plus');
      assert.equal(created.code, 0, created.stderr);
      const key = JSON.parse(created.stdout) as { id: string; key: string; balance: string; rateLimitPerMinute: number; models: string[] };
      assert.match(key.key, /^sk-qig-/);
      assert.equal(key.balance, '5.00');
      assert.equal(key.rateLimitPerMinute, 30);
      assert.deepEqual(key.models, ['qwen-image-edit-plus']);

      const listed = await qig(dir.path, 'keys', 'list');
      assert.match(listed.stdout, /shop/);
      assert.doesNotMatch(listed.stdout, new RegExp(key.key));
      const json = JSON.parse((await qig(dir.path, 'keys', 'list', '--json')).stdout) as Array<{ id: string; userId: string }>;
      assert.equal(json.length, 1);

      const credited = JSON.parse((await qig(dir.path, 'keys', 'credit', key.id, '2.5')).stdout) as { balance: string };
      assert.equal(credited.balance, '7.50');
      // A second key of the same user draws on the one balance; it cannot bring a balance of its own.
      const { userId } = json[0] as { id: string; userId: string };
      const second = JSON.parse((await qig(dir.path, 'keys', 'create', '--name', 'shop-batch', '--user', userId)).stdout) as { userId: string; balance: string };
      assert.deepEqual([second.userId, second.balance], [userId, '7.50']);
      const both = await qig(dir.path, 'keys', 'create', '--name', 'x', '--user', userId, '--balance', '1');
      assert.equal(both.code, 2);
      assert.match(both.stderr, /balance: a key of an existing user draws on that user's balance/);
      const revoked = JSON.parse((await qig(dir.path, 'keys', 'revoke', key.id)).stdout) as { revokedAt: string | null };
      assert.ok(revoked.revokedAt);

      const usage = await qig(dir.path, 'usage');
      assert.equal(usage.code, 0);
      assert.match(usage.stdout, /0 task\(s\), 0 image\(s\), 0\.00 CNY/);

      // Usage rows as settlements write them: the engine and the unit price applied.
      const store = await openStore({ databaseUrl: null, dataDir: dir.path });
      const row = { key_id: key.id, model: 'qwen-image-edit-plus', images: 2, currency: 'CNY', created_at: 1_767_225_600_000 };
      await store.db
        .insertInto('usage_records')
        .values([
          { ...row, task_id: 't-cloud', engine: 'cloud', unit_price_micros: 180_000, amount_micros: 360_000, description: 'Image generation: 2 images × ¥0.18 = ¥0.36' },
          { ...row, task_id: 't-local', engine: 'local', unit_price_micros: 0, amount_micros: 0, description: 'Image generation: 2 images × ¥0.00 = ¥0.00' },
        ])
        .execute();
      await store.close();
      const table = await qig(dir.path, 'usage');
      assert.match(table.stdout, /^createdAt\s+keyId\s+model\s+engine\s+unitPrice\s+content/m);
      assert.match(table.stdout, /qwen-image-edit-plus\s+cloud\s+0\.18\s+Image generation/);
      assert.match(table.stdout, /2 task\(s\), 4 image\(s\), 0\.36 CNY/);
      const local = await qig(dir.path, 'usage', '--engine', 'local');
      assert.match(local.stdout, /qwen-image-edit-plus\s+local\s+0\.00\s+Image generation/);
      assert.match(local.stdout, /1 task\(s\), 2 image\(s\), 0\.00 CNY/);

      const bad = await qig(dir.path, 'keys', 'credit', key.id, 'lots');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /amount: must be a positive decimal amount/);
      // A negative amount reaches the rule (it once fell into the argument parser's raw message).
      const negative = await qig(dir.path, 'keys', 'credit', key.id, '-5');
      assert.equal(negative.code, 2);
      assert.match(negative.stderr, /^qig: amount: must be a positive decimal amount like "10\.00".*\(got "-5"\)\.$/m);
      const flag = await qig(dir.path, 'keys', 'create', '--name', 'y', '--rpm', '-3');
      assert.equal(flag.code, 2);
      assert.match(flag.stderr, /option '--rpm <n>' argument '-3' is invalid\. must be a whole number ≥ 1\./);
      const unknown = await qig(dir.path, 'keys', 'create', '--name', 'x', '--models', 'qwen-image-ultra');
      assert.match(unknown.stderr, /unknown model qwen-image-ultra/);
    } finally {
      dir.remove();
    }
  });
});
