/**
 * The data disk full in the embedded mode (SQLite and the disk blob store in one directory):
 * under a steady load the directory, a small tmpfs of its own, is filled to the last byte and
 * freed again 10 s later. Meanwhile requests are refused with a clear 503 (never a 500), the
 * process stays up, and SQLite is not corrupted; once space returns everything accepted ends and
 * every invariant holds. Needs a tmpfs it may mount (root); skipped, saying why, elsewhere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { solidImage } from '../helpers/images.js';
import { recoverAndCheck, report, startCluster, startLoad, statusCounts, type Cluster } from './cluster.js';

/** A 64 MB tmpfs at a fresh directory, or why there cannot be one. */
function mountTmpfs(): { dir: string; unmount(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'qig-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`;
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes zeros into `path` until the disk refuses more; returns the bytes written. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // The last megabyte may still hold a few kilobytes: take those too.
        if (chunk.length === 1) return written;
        return written + fillRest(fd);
      }
    }
  } finally {
    closeSync(fd);
  }
}

function fillRest(fd: number): number {
  let written = 0;
  for (let size = 64 * 1024; size >= 1; size = Math.floor(size / 2)) {
    try {
      for (;;) written += writeSync(fd, Buffer.alloc(size));
    } catch {
      // Down to a smaller piece.
    }
  }
  return written;
}

const mount = process.platform === 'linux' ? mountTmpfs() : 'not Linux';

describe('faults: disk full (embedded mode)', { skip: typeof mount === 'string' ? mount : false }, () => {
  const { dir, unmount } = mount as { dir: string; unmount(): void };
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster({ databaseUrl: null, redisUrl: null, checkDatabaseUrl: null, dataDir: join(dir, 'data'), role: 'all', apiNodes: 1, workers: 0 });
  });
  after(async () => {
    await cluster?.stop();
    unmount?.();
  });

  it('the data directory full for 10 s: requests refused with a 503, SQLite intact, everything recovers', { timeout: 240_000 }, async () => {
    const load = startLoad(cluster, { concurrency: 3, tag: 'disk-full' });
    await sleep(3_000);
    const filler = join(dir, 'filler');
    const filled = fillDisk(filler);
    // A new input has nowhere to go: refused at once with a 503 that says why.
    const probe = await fetch(`${cluster.apis[0]!.url}/api/v1/services/aigc/multimodal-generation/generation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cluster.key}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' },
      body: JSON.stringify({ model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${(await solidImage(96, 96, [9, 8, 7])).toString('base64')}` }, { text: 'probe' }] }] } }),
    });
    const refusal = (await probe.json()) as { code?: string; message?: string };
    assert.equal(probe.status, 503, JSON.stringify(refusal));
    assert.equal(refusal.code, 'ServiceUnavailable');
    assert.match(refusal.message ?? '', /disk is full/);
    await sleep(10_000);
    assert.ok(cluster.alive().ok, cluster.alive().why);
    const duringOutage = load.sent.length;
    rmSync(filler);
    const { figures, serving } = await recoverAndCheck(cluster, load, { api: cluster.apis[0]!.url, servingBoundMs: 60_000, since: Date.now(), boundMs: 90_000 });
    const statuses = statusCounts(load);
    const odd = load.sent.filter((s) => s.status !== 200 && s.status !== 503).map((s) => `${s.kind} ${s.requestId}: ${s.status} ${s.body ?? ''}`);
    assert.deepEqual(odd.slice(0, 5), [], `every answer is 200, or 503 to retry: ${JSON.stringify(statuses)}\n${cluster.errors()}`);
    const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(cluster.store.db);
    assert.deepEqual(integrity.rows, [{ integrity_check: 'ok' }], 'SQLite is not corrupted');
    assert.ok(cluster.alive().ok, cluster.alive().why);
    report('disk full 10 s (embedded)', figures, serving);
    console.log(`fault disk full 10 s (embedded): filled ${Math.round(filled / 1024)} KB; ${duringOutage} answers by the end of the outage; answers by status ${JSON.stringify(statuses)}`);
  });
});
