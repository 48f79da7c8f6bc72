/**
 * Faults of Redis under a steady load on two API nodes and two workers (Postgres and S3 stay up):
 * Redis restarted empty (`SHUTDOWN NOSAVE` and started again: every queued id, delayed poll and
 * rate bucket in it is gone), and Redis unreachable for 30 s. The database is the truth: nothing
 * accepted is lost, the lost queue is refilled from it as soon as Redis is back, and afterwards
 * every invariant holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresSchemaUrl } from '../helpers/stores.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { recoverAndCheck, report, startCluster, startLoad, statusCounts, type Cluster } from './cluster.js';
import { startOwnRedis, startTcpProxy, type OwnRedis, type TcpProxy } from './infra.js';

const DATABASE_URL = process.env.DATABASE_URL;

describe('faults: Redis', { skip: DATABASE_URL ? false : 'needs DATABASE_URL (.ci/run sets it)' }, () => {
  let redis: OwnRedis;
  let proxy: TcpProxy;
  let s3: TestS3;
  let cluster: Cluster;
  let schema: { url: string; drop(): Promise<void> };

  before(async () => {
    schema = postgresSchemaUrl(DATABASE_URL as string);
    redis = await startOwnRedis();
    proxy = await startTcpProxy(Number(new URL(redis.url).port));
    s3 = await startTestS3();
    cluster = await startCluster({ databaseUrl: schema.url, checkDatabaseUrl: schema.url, redisUrl: `redis://127.0.0.1:${proxy.port}`, s3Env: s3.env, apiNodes: 2, workers: 2 });
  });
  after(async () => {
    await cluster?.stop();
    await proxy?.close();
    await redis?.close();
    await s3?.close();
    await schema?.drop();
  });

  it('Redis restarted without its data: the queue is refilled from the database at once, nothing is lost or billed twice', { timeout: 180_000 }, async () => {
    const load = startLoad(cluster, { concurrency: 4, tag: 'redis-restart' });
    await sleep(3_000);
    await redis.kill();
    proxy.cut();
    await sleep(500);
    await redis.start();
    // Well inside the 60 s re-queue tick: the refill on reconnect did it.
    const { figures, serving } = await recoverAndCheck(cluster, load, { api: cluster.apis[0]!.url, servingBoundMs: 30_000, since: Date.now(), boundMs: 40_000, s3 });
    report('redis restarted empty', figures, serving);
  });

  it('Redis unreachable for 30 s: submits are still accepted, nothing is lost, everything ends once it is back', { timeout: 240_000 }, async () => {
    const load = startLoad(cluster, { concurrency: 4, tag: 'redis-down' });
    await sleep(2_000);
    await proxy.block();
    await sleep(5_000);
    // Still in rotation: readiness reports Redis as degraded, and metrics still scrape.
    const ready = await fetch(`${cluster.apis[0]!.url}/readyz`);
    const readiness = (await ready.json()) as { status: string; checks: Array<{ name: string; ok: boolean }> };
    assert.equal(ready.status, 200, JSON.stringify(readiness));
    assert.equal(readiness.status, 'degraded');
    assert.equal(readiness.checks.find((c) => c.name === 'redis')?.ok, false);
    assert.equal((await fetch(`${cluster.apis[0]!.url}/metrics`)).status, 200);
    await sleep(25_000);
    assert.ok(cluster.alive().ok, cluster.alive().why);
    const duringOutage = load.sent.length;
    await proxy.open();
    const { figures, serving } = await recoverAndCheck(cluster, load, { api: cluster.apis[1]!.url, servingBoundMs: 30_000, since: Date.now(), boundMs: 40_000, s3 });
    const statuses = statusCounts(load);
    assert.deepEqual(Object.keys(statuses), ['200'], 'every submit was accepted during the outage');
    report('redis unreachable 30 s', figures, serving);
    console.log(`fault redis unreachable 30 s: ${duringOutage} requests answered by the end of the outage; answers by status ${JSON.stringify(statuses)}`);
  });
});
