/**
 * (a) GET /api/v1/tasks/{id} at 50 connections: requests/s and p50/p99, side by side with a bare
 * node:http server answering the same bytes. Both servers run as child processes; autocannon
 * drives them from this one.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { spawnServer } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/stores.js';
import { median, table } from './lib/report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<LoadResult> {
  const result = await autocannon({ url, connections: 50, duration: seconds, headers });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

async function startBare(bodyFile: string, contentType: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [new URL('./lib/bare-server.mjs', import.meta.url).pathname, bodyFile, contentType], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(match[1] as string);
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

export async function benchTaskGet(seconds = Number(process.env.BENCH_SECONDS ?? 4)): Promise<void> {
  const dir = tempDir('qig-bench-');
  const server = await spawnServer({ PORT: '0', QIG_DATA_DIR: dir.path });
  try {
    const key = /(sk-qig-\w+)/.exec(server.output())?.[1] as string;
    const auth = { authorization: `Bearer ${key}` };
    const submit = await fetch(`${server.url}/api/v1/services/aigc/text2image/image-synthesis`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-image-plus', input: { prompt: 'a red apple' } }),
    });
    const taskId = ((await submit.json()) as { output: { task_id: string } }).output.task_id;
    const taskUrl = `${server.url}/api/v1/tasks/${taskId}`;
    for (;;) {
      const status = ((await (await fetch(taskUrl, { headers: auth })).json()) as { output: { task_status: string } }).output.task_status;
      if (status === 'SUCCEEDED') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const sample = await fetch(taskUrl, { headers: auth });
    const bodyFile = join(dir.path, 'body.json');
    writeFileSync(bodyFile, Buffer.from(await sample.arrayBuffer()));
    const bare = await startBare(bodyFile, sample.headers.get('content-type') ?? 'application/json');
    try {
      await load(bare.url, auth, 2);
      await load(taskUrl, auth, 2);
      // Alternating rounds, so drift in the machine's speed hits both servers alike.
      const rows: Array<Array<string | number>> = [];
      const ratios: number[] = [];
      for (let round = 1; round <= ROUNDS; round += 1) {
        const bareResult = await load(bare.url, auth, seconds);
        const gatewayResult = await load(taskUrl, auth, seconds);
        const ratio = gatewayResult.rps / bareResult.rps;
        ratios.push(ratio);
        rows.push([`${round}: bare node:http, same bytes`, bareResult.rps, bareResult.p50, bareResult.p99, bareResult.errors + bareResult.non2xx, '1.00']);
        rows.push([`${round}: qwen-image-gateway`, gatewayResult.rps, gatewayResult.p50, gatewayResult.p99, gatewayResult.errors + gatewayResult.non2xx, ratio.toFixed(2)]);
      }
      table(
        `(a) GET /api/v1/tasks/{id}, 50 connections, ${ROUNDS} alternating rounds of ${seconds} s (after a 2 s warm-up each); median ratio ${median(ratios).toFixed(2)}`,
        ['round: server', 'req/s', 'p50 ms', 'p99 ms', 'errors + non-2xx', 'vs bare'],
        rows,
      );
    } finally {
      bare.stop();
    }
  } finally {
    await server.stop();
    dir.remove();
  }
}
