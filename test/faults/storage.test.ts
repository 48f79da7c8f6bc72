/**
 * Faults of the S3 endpoint under a steady load on two API nodes and two workers: answering 500
 * for 10 s, and leaving every request hanging for 10 s (the nodes reach S3 through an HTTP proxy
 * the test controls). Inputs refused meanwhile are a 503 to retry; outputs are retried, so a task
 * either keeps its images or fails cleanly with its hold released; afterwards every invariant
 * holds and every output URL points at a stored object.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dropRedisPrefixes, testRedisPrefix } from '../helpers/redis.js';
import { startTestS3, type TestS3 } from '../helpers/s3.js';
import { postgresSchemaUrl } from '../helpers/stores.js';
import { recoverAndCheck, report, startCluster, startLoad, statusCounts, type Cluster } from './cluster.js';
import { startHttpFaultProxy, type HttpFaultMode, type HttpFaultProxy } from './infra.js';

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;

describe('faults: S3', { skip: DATABASE_URL && REDIS_URL ? false : 'needs DATABASE_URL and REDIS_URL (.ci/run sets both)' }, () => {
  let s3: TestS3;
  let proxy: HttpFaultProxy;
  let cluster: Cluster;
  let schema: { url: string; drop(): Promise<void> };
  const prefix = testRedisPrefix();

  before(async () => {
    schema = postgresSchemaUrl(DATABASE_URL as string);
    s3 = await startTestS3();
    proxy = await startHttpFaultProxy(s3.endpoint);
    cluster = await startCluster({
      databaseUrl: schema.url,
      checkDatabaseUrl: schema.url,
      redisUrl: REDIS_URL as string,
      s3Env: { ...s3.env, QIG_S3_ENDPOINT: proxy.url },
      env: { QIG_REDIS_PREFIX: prefix },
      apiNodes: 2,
      workers: 2,
    });
  });
  after(async () => {
    await cluster?.stop();
    await proxy?.close();
    await s3?.close();
    await schema?.drop();
    await dropRedisPrefixes(REDIS_URL as string, [prefix]);
  });

  for (const mode of ['fail', 'hang'] as HttpFaultMode[]) {
    const name = mode === 'fail' ? 'S3 answering 500 for 10 s' : 'S3 hanging for 10 s';
    it(`${name}: inputs refused with a 503, outputs retried or their task failed cleanly, nothing lost or billed wrongly`, { timeout: 240_000 }, async () => {
      const faultedBefore = proxy.faulted;
      const load = startLoad(cluster, { concurrency: 4, tag: `s3-${mode}` });
      await sleep(2_000);
      proxy.mode = mode;
      await sleep(10_000);
      proxy.mode = 'pass';
      assert.ok(cluster.alive().ok, cluster.alive().why);
      const { figures, serving } = await recoverAndCheck(cluster, load, { api: cluster.apis[0]!.url, servingBoundMs: 60_000, since: Date.now(), boundMs: 90_000, s3 });
      const statuses = statusCounts(load);
      assert.deepEqual(Object.keys(statuses).filter((status) => status !== '200' && status !== '503'), [], 'every answer is 200, or 503 to retry');
      const faulted = proxy.faulted - faultedBefore;
      assert.ok(faulted > 0, 'the fault was met');
      const ours = await cluster.store.db.selectFrom('tasks').select(['status', 'error']).where('request_id', 'like', `s3-${mode}-%`).execute();
      const failed = ours.filter((t) => t.status === 'failed').map((t) => (JSON.parse(t.error ?? '{}') as { kind?: string }).kind);
      const otherwise = ours.filter((t) => t.status === 'failed' && (JSON.parse(t.error ?? '{}') as { kind?: string }).kind !== 'unavailable').map((t) => t.error);
      assert.deepEqual([...new Set(failed)].filter((kind) => kind !== 'unavailable'), [], `a task fails only as unavailable; these did not: ${[...new Set(otherwise)].slice(0, 5).join(' | ')}`);
      report(`${name}`, figures, serving);
      console.log(`fault ${name}: ${faulted} S3 requests faulted; answers by status ${JSON.stringify(statuses)}; tasks failed ${failed.length}`);
    });
  }
});
