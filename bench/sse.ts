/**
 * 1000 SSE status subscribers (`/fal/…/requests/{id}/status/stream`) on one spawned server
 * while their tasks complete: the server's memory per open stream (RSS delta / subscribers, from
 * /proc) and the delivery latency of COMPLETED, from each task's end (its `end_time`) to each
 * subscriber's event. Tasks run on an OpenAI-style upstream in this process that holds every
 * call until all streams are open, then lets them all finish at once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { spawnServer } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/stores.js';
import { memoryOf, percentile, table } from './lib/report.js';

const TASKS = 10;
const SUBSCRIBERS = 1000;
const BATCH = 100;

interface Subscriber {
  taskId: string;
  firstAt: number | null;
  completedAt: number | null;
}

/** Holds every generation until `release()`; answers each with one small PNG. */
async function startHeldUpstream(png: string) {
  const held: ServerResponse[] = [];
  let released = false;
  const answer = (response: ServerResponse) => {
    const body = JSON.stringify({ created: Math.floor(Date.now() / 1000), data: [{ b64_json: png }] });
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  };
  const server = createServer((request: IncomingMessage, response) => {
    request.resume();
    request.on('end', () => (released ? answer(response) : held.push(response)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    held,
    release() {
      released = true;
      for (const response of held.splice(0)) answer(response);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Opens one status stream and notes when its first event and its COMPLETED arrive. */
function subscribe(url: string, key: string, agent: Agent, subscriber: Subscriber): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent, headers: { authorization: `Key ${key}`, accept: 'text/event-stream' } }, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const now = Date.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.startsWith('data: ')) continue;
          subscriber.firstAt ??= now;
          if ((JSON.parse(event.slice(6)) as { status: string }).status === 'COMPLETED') subscriber.completedAt = now;
        }
      });
      response.on('end', resolve);
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** DashScope's `end_time` (server local time, ms precision) as epoch ms. */
function endTimeMs(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})$/.exec(text);
  if (!m) throw new Error(`unexpected end_time ${text}`);
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function benchSse(): Promise<void> {
  const dir = tempDir('qig-bench-sse-');
  const png = (await sharp({ create: { width: 512, height: 512, channels: 3, background: { r: 90, g: 120, b: 200 } } }).png().toBuffer()).toString('base64');
  const upstream = await startHeldUpstream(png);
  const configPath = join(dir.path, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      engines: { held: { type: 'openai-compatible', baseUrl: `http://127.0.0.1:${upstream.port}`, apiKey: 'bench', style: 'openai', timeoutSeconds: 600 } },
      routes: { '*': ['held'] },
      fetch: { allowHosts: [`127.0.0.1:${upstream.port}`] },
      limits: { workerConcurrency: TASKS },
    }),
  );
  const server = await spawnServer({ PORT: '0', QIG_DATA_DIR: dir.path, QIG_CONFIG: configPath });
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    const key = /(sk-qig-\w+)/.exec(server.output())?.[1] as string;
    const pid = server.child.pid as number;
    const rss = () => memoryOf(pid, (path) => readFileSync(path, 'utf8')).rssMb;
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i += 1) {
      const response = await fetch(`${server.url}/fal/qwen/qwen-image-2.0`, {
        method: 'POST',
        headers: { authorization: `Key ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `bench ${i}`, image_size: { width: 512, height: 512 } }),
      });
      ids.push(((await response.json()) as { request_id: string }).request_id);
    }
    await until(() => upstream.held.length === TASKS, 'every task to reach the upstream');
    // Warm the route up, so its first use is not counted as per-subscriber memory.
    await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${server.url}/fal/qwen/qwen-image-2.0/requests/${ids[i % TASKS]}/status`, { headers: { authorization: `Key ${key}` } })));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = rss();

    const subscribers: Subscriber[] = Array.from({ length: SUBSCRIBERS }, (_, i) => ({ taskId: ids[i % TASKS] as string, firstAt: null, completedAt: null }));
    const opened = performance.now();
    const streams: Array<Promise<void>> = [];
    // In batches: a thousand connects at once overflow the listen backlog (511) and wait for SYN retries.
    for (let from = 0; from < SUBSCRIBERS; from += BATCH) {
      const batch = subscribers.slice(from, from + BATCH);
      streams.push(...batch.map((s) => subscribe(`${server.url}/fal/qwen/qwen-image-2.0/requests/${s.taskId}/status/stream`, key, agent, s)));
      await until(() => batch.every((s) => s.firstAt !== null), 'a batch of streams to open');
    }
    const openSeconds = (performance.now() - opened) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const during = rss();

    const released = Date.now();
    upstream.release();
    await Promise.all(streams);
    const allDoneMs = Math.max(...subscribers.map((s) => s.completedAt ?? Infinity)) - released;

    const ends = new Map<string, number>();
    for (const id of ids) {
      const task = (await (await fetch(`${server.url}/api/v1/tasks/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { output: { end_time: string } };
      ends.set(id, endTimeMs(task.output.end_time));
    }
    const latencies = subscribers.map((s) => (s.completedAt ?? NaN) - (ends.get(s.taskId) as number)).sort((a, b) => a - b);
    table(
      `SSE status streams: ${SUBSCRIBERS} subscribers on ${TASKS} tasks, one server (client in the same machine)`,
      ['measure', 'value'],
      [
        ['server RSS with the tasks running, no streams (MB)', before],
        [`server RSS with ${SUBSCRIBERS} streams open (MB)`, during],
        ['memory per subscriber (KB, RSS delta / subscribers)', ((during - before) * 1024) / SUBSCRIBERS],
        [`time to open ${SUBSCRIBERS} streams (s)`, openSeconds],
        ['COMPLETED delivery latency p50 (ms, task end → event)', percentile(latencies, 50)],
        ['COMPLETED delivery latency p99 (ms)', percentile(latencies, 99)],
        ['COMPLETED delivery latency max (ms)', latencies.at(-1) ?? NaN],
        ['release → last subscriber COMPLETED (ms)', allDoneMs],
      ],
    );
  } finally {
    agent.destroy();
    await server.stop();
    await upstream.close();
    dir.remove();
  }
}
