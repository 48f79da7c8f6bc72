/**
 * Channels across nodes (decision 0011): two API nodes and a worker on one Postgres and Redis. A
 * channel and a route created through the admin API of one node are on the other node and on the
 * worker within a second — the change event over Redis, not the 5-second version check — and the
 * worker runs the next task on the new channel. Runs when DATABASE_URL and REDIS_URL are set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { dropRedisPrefixes, testRedisPrefix } from '../helpers/redis.js';
import { postgresSchemaUrl, tempDir } from '../helpers/stores.js';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const ADMIN = 'admin-token-channels-scale-out';
const skip = DATABASE_URL && REDIS_URL ? false : 'needs DATABASE_URL and REDIS_URL (PostgreSQL and Redis on 127.0.0.1; .ci/run sets both)';

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** Polls `probe` until it is true; how long it took, or null after `ms`. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await probe()) return performance.now() - start;
    await sleep(20);
  }
  return null;
}

describe('channels across nodes', { skip, timeout: 120_000 }, () => {
  const schema = postgresSchemaUrl(DATABASE_URL ?? 'postgres://unused');
  const prefix = testRedisPrefix();
  const dirs = [tempDir(), tempDir(), tempDir()];
  let apiA: TestGateway;
  let apiB: TestGateway;
  let worker: TestGateway;

  before(async () => {
    const env = { DATABASE_URL: schema.url, REDIS_URL: REDIS_URL ?? '', QIG_REDIS_PREFIX: prefix, QIG_ADMIN_TOKEN: ADMIN, QIG_SECRET_KEY: 'channels-scale-out-secret-key' };
    const config = { engines: { cpu: { type: 'local' } }, routes: { '*': ['cpu'] } };
    apiA = await startTestGateway({ env: { ...env, QIG_ROLE: 'api' }, config, dataDir: dirs[0]?.path });
    [apiB, worker] = await Promise.all([
      startTestGateway({ env: { ...env, QIG_ROLE: 'api' }, config, dataDir: dirs[1]?.path }),
      startTestGateway({ env: { ...env, QIG_ROLE: 'worker' }, config, dataDir: dirs[2]?.path }),
    ]);
  });

  after(async () => {
    await Promise.all([apiA?.close(), apiB?.close(), worker?.close()]);
    for (const dir of dirs) dir.remove();
    await schema.drop();
    await dropRedisPrefixes(REDIS_URL ?? '', [prefix]);
  });

  it('an edit on one API node reaches the other API node and the worker within a second', async () => {
    const created = await call(apiA.url, 'POST', '/admin/v1/channels', { name: 'fresh', engine: { type: 'local' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const routed = await call(apiA.url, 'PUT', `/admin/v1/routes/${encodeURIComponent('*')}`, { entries: [{ channel: 'fresh', priority: 1, weight: 1 }] });
    assert.equal(routed.status, 200, JSON.stringify(routed.body));

    const seenByB = await within(1_000, async () => {
      const view = await call(apiB.url, 'GET', '/admin/v1/routes');
      return view.body?.routes?.['*']?.[0]?.channel === 'fresh';
    });
    assert.notEqual(seenByB, null, 'the second API node did not see the new route within a second');

    // The worker: its engine list, read from its own ops port, names the new channel.
    const seenByWorker = await within(1_000, async () => {
      const ready = (await (await fetch(`${worker.url}/readyz`)).json()) as { engines: Array<{ name: string }> };
      return ready.engines.some((engine) => engine.name === 'fresh');
    });
    assert.notEqual(seenByWorker, null, 'the worker did not load the new channel within a second');

    // And it runs the next task there.
    const key = (await call(apiA.url, 'POST', '/admin/v1/keys', { name: 'scale' })).body.key as string;
    const submit = await fetch(`${apiB.url}/api/v1/services/aigc/multimodal-generation/generation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-image-2.0-pro', input: { messages: [{ role: 'user', content: [{ text: 'a red square' }] }] }, parameters: { size: '512*512' } }),
    });
    assert.equal(submit.status, 200, await submit.clone().text());
    const tasks = await call(apiA.url, 'GET', '/admin/v1/tasks?limit=1');
    assert.equal(tasks.body.data[0]?.engine, 'fresh');

    const audit = await call(apiB.url, 'GET', '/admin/v1/audit?limit=10');
    const actions = (audit.body.data as Array<{ action: string; subject: string }>).map((e) => `${e.action} ${e.subject}`);
    assert.ok(actions.includes('channel.create channel:fresh'), actions.join('\n'));
    assert.ok(actions.includes('route.set route:*'), actions.join('\n'));
  });
});
