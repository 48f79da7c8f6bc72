/**
 * An API node SIGKILLed while sync requests wait on it (two API nodes, two workers, Postgres and
 * Redis): the waiting clients lose their connection, but their tasks were accepted into the
 * database, so workers finish them, each is billed once, and each is readable by id — with its
 * images — from the other node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dropRedisPrefixes, testRedisPrefix } from '../helpers/redis.js';
import { postgresSchemaUrl } from '../helpers/stores.js';
import { checkAfterRecovery, report, startCluster, type Cluster, type Load } from './cluster.js';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
const WAITING = 12;

describe('faults: an API node killed', { skip: DATABASE_URL && REDIS_URL ? false : 'needs DATABASE_URL and REDIS_URL (.ci/run sets both)' }, () => {
  let cluster: Cluster;
  let schema: { url: string; drop(): Promise<void> };
  const prefix = testRedisPrefix();

  before(async () => {
    schema = postgresSchemaUrl(DATABASE_URL as string);
    cluster = await startCluster({ databaseUrl: schema.url, checkDatabaseUrl: schema.url, redisUrl: REDIS_URL as string, env: { QIG_REDIS_PREFIX: prefix }, apiNodes: 2, workers: 2 });
  });
  after(async () => {
    await cluster?.stop();
    await schema?.drop();
    await dropRedisPrefixes(REDIS_URL as string, [prefix]);
  });

  it(`SIGKILL with ${WAITING} sync requests waiting: their tasks finish on the workers and read by id from the other node`, { timeout: 180_000 }, async () => {
    // Each upstream task stays pending for a few polls, so the requests are still waiting at the kill.
    cluster.upstream.options.pendingQueries = 4;
    const [doomed, other] = cluster.apis as [(typeof cluster.apis)[number], (typeof cluster.apis)[number]];
    const load: Load = { sent: [], stop: async () => {} };
    const waiting = Array.from({ length: WAITING }, async (_, i) => {
      const requestId = `api-kill-${i}`;
      let status: number;
      try {
        const response = await fetch(`${doomed.url}/v1/images/generations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cluster.key}`, 'content-type': 'application/json', 'x-request-id': requestId },
          body: JSON.stringify({ model: 'qwen-image-plus', prompt: `kill ${i}`, size: '1328x1328', response_format: 'url' }),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      load.sent.push({ requestId, kind: 'openai-sync', status, api: 0 });
    });
    const db = cluster.store.db;
    const accepted = async () => db.selectFrom('tasks').select(['id', 'request_id', 'status']).where('request_id', 'like', 'api-kill-%').execute();
    for (let i = 0; (await accepted()).length < WAITING; i += 1) {
      assert.ok(i < 300, 'the requests were accepted');
      await sleep(50);
    }
    const atKill = await accepted();
    await doomed.stop('SIGKILL');
    const killed = Date.now();
    await Promise.all(waiting);
    assert.ok(load.sent.every((s) => s.status === 0), 'the waiting clients lost their connection');
    assert.ok(atKill.some((t) => t.status !== 'succeeded'), 'some were still waiting at the kill');

    // Readable by id from the other node, as the client that lost its answer would ask.
    const ended = new Map<string, { task_status: string; results?: Array<{ url: string }> }>();
    for (let i = 0; ended.size < WAITING; i += 1) {
      assert.ok(i < 600, `every task ended: ${ended.size} of ${WAITING}`);
      for (const task of atKill.filter((t) => !ended.has(t.id))) {
        const response = await fetch(`${other.url}/api/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${cluster.key}` } });
        const body = (await response.json()) as { output: { task_status: string; results?: Array<{ url: string }> } };
        assert.equal(response.status, 200, JSON.stringify(body));
        if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(body.output.task_status)) ended.set(task.id, body.output);
      }
      await sleep(100);
    }
    const drained = Date.now() - killed;
    for (const [id, output] of ended) {
      assert.equal(output.task_status, 'SUCCEEDED', id);
      const image = await fetch(output.results?.[0]?.url ?? 'about:blank');
      assert.equal(image.status, 200, `${id}: its image is served`);
      assert.equal(image.headers.get('content-type'), 'image/png');
      await image.arrayBuffer();
    }
    const figures = await checkAfterRecovery({ ...cluster, apis: [other] }, load, { since: killed, boundMs: 30_000 });
    assert.equal(figures.accepted, WAITING);
    report(`API node SIGKILLed with ${WAITING} sync requests waiting`, { ...figures, drainedMs: drained }, null);
  });
});
