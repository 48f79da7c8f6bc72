/**
 * Faults of Postgres under a steady load on two API nodes and two workers: the app's connections
 * terminated by the server (`pg_terminate_backend`, as a restart or failover does), and Postgres
 * unreachable for 10 s. Every process stays up, requests in flight fail cleanly, the pools
 * reconnect, and afterwards every invariant holds. The nodes reach Postgres through a TCP proxy
 * the test controls, which is how it finds the app's connections and makes Postgres unreachable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { dropRedisPrefixes, testRedisPrefix } from '../helpers/redis.js';
import { postgresSchemaUrl } from '../helpers/stores.js';
import { recoverAndCheck, report, startCluster, startLoad, statusCounts, type Cluster } from './cluster.js';
import { startTcpProxy, type TcpProxy } from './infra.js';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;

describe('faults: Postgres', { skip: DATABASE_URL && REDIS_URL ? false : 'needs DATABASE_URL and REDIS_URL (.ci/run sets both)' }, () => {
  let proxy: TcpProxy;
  let cluster: Cluster;
  let schema: { url: string; drop(): Promise<void> };
  const prefix = testRedisPrefix();

  before(async () => {
    schema = postgresSchemaUrl(DATABASE_URL as string);
    const direct = new URL(schema.url);
    proxy = await startTcpProxy(Number(direct.port || 5432));
    const proxied = new URL(schema.url);
    proxied.port = String(proxy.port);
    cluster = await startCluster({
      databaseUrl: proxied.toString(),
      checkDatabaseUrl: schema.url,
      redisUrl: REDIS_URL as string,
      env: { QIG_REDIS_PREFIX: prefix },
      apiNodes: 2,
      workers: 2,
    });
  });
  after(async () => {
    await cluster?.stop();
    await proxy?.close();
    await schema?.drop();
    await dropRedisPrefixes(REDIS_URL as string, [prefix]);
  });

  const failedTasks = async (tag: string) =>
    (await cluster.store.db.selectFrom('tasks').select(['id', 'error']).where('request_id', 'like', `${tag}-%`).where('status', '=', 'failed').execute()).map((t) => `${t.id}: ${t.error}`);

  it('the app\'s connections terminated by the server: every process stays up, nothing is lost or billed twice', { timeout: 180_000 }, async () => {
    const load = startLoad(cluster, { concurrency: 4, tag: 'pg-terminate' });
    await sleep(3_000);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    for (let round = 0; round < 3; round += 1) {
      const ports = proxy.upstreamPorts();
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where client_addr = $1 and client_port = any($2::int[])', ['127.0.0.1', ports]);
      assert.ok((killed.rowCount ?? 0) > 0, 'the app had connections to terminate');
      await sleep(1_000);
    }
    await admin.end();
    assert.ok(cluster.alive().ok, cluster.alive().why);
    const { figures, serving } = await recoverAndCheck(cluster, load, { api: cluster.apis[0]!.url, servingBoundMs: 15_000, since: Date.now(), boundMs: 30_000 });
    // A write that failed under a task is retried, not recorded as the task's failure.
    assert.deepEqual(await failedTasks('pg-terminate'), [], 'no task failed for the database');
    report('postgres connections terminated', figures, serving);
  });

  it('Postgres unreachable for 10 s: requests fail cleanly meanwhile, then everything recovers', { timeout: 180_000 }, async () => {
    const load = startLoad(cluster, { concurrency: 4, tag: 'pg-down' });
    await sleep(2_000);
    await proxy.block();
    await sleep(10_000);
    assert.ok(cluster.alive().ok, cluster.alive().why);
    await proxy.open();
    const { figures, serving } = await recoverAndCheck(cluster, load, { api: cluster.apis[1]!.url, servingBoundMs: 30_000, since: Date.now(), boundMs: 30_000 });
    const statuses = statusCounts(load);
    assert.ok(statuses['0'] === undefined, 'no request was left without an answer or cut off');
    // Refused while the database is away: a 503 to retry, never a 500 that reads as a bug; a sync
    // request whose task was accepted and then lost sight of answers a timeout naming its task.
    const accepted = new Set((await cluster.store.db.selectFrom('tasks').select('request_id').where('request_id', 'like', 'pg-down-%').execute()).map((t) => t.request_id));
    const odd = load.sent.filter((s) => s.status !== 200 && s.status !== 503 && !(s.status === 408 && accepted.has(s.requestId))).map((s) => `${s.kind} ${s.requestId}: ${s.status} ${s.body ?? ''}`);
    assert.deepEqual(odd, [], `every answer is 200 or 503\n${cluster.errors()}`);
    assert.deepEqual(await failedTasks('pg-down'), [], 'no task failed for the database');
    report('postgres unreachable 10 s', figures, serving);
    console.log(`fault postgres unreachable 10 s: answers by status ${JSON.stringify(statuses)}`);
  });
});
