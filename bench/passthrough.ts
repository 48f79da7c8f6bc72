/**
 * (e) A sync OpenAI-style generation through the gateway to an instant upstream, against the same
 * request sent to the upstream directly: added latency per request at 1 connection, and
 * requests/s at 50 connections, with the engine in passthrough and in rehost mode.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { spawnServer } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/stores.js';
import { cpuMicros } from './lib/proc-cpu.js';
import { percentile, table } from './lib/report.js';

export const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 300);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** The generation every request of (e) and (l) sends. */
export const BODY = JSON.stringify({ model: 'qwen-image-2.0-pro', prompt: 'a red kite', size: '512x512' });

/** bench/lib/instant-upstream.mjs as a child process; `pid` is the node process itself. */
export async function startUpstream(dir: string): Promise<{ url: string; pid: number; stop(): void }> {
  const file = join(dir, 'img.png');
  writeFileSync(file, await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c33' } }).png().toBuffer());
  return startListener('instant-upstream.mjs', file);
}

/** One of bench/lib's small node:http servers as a child process, once it says its port. */
export async function startListener(script: string, argument: string): Promise<{ url: string; pid: number; stop(): void }> {
  const child = spawn(process.execPath, [new URL(`./lib/${script}`, import.meta.url).pathname, argument], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.on('data', (chunk: Buffer) => {
    const match = /listening (\d+)/.exec(chunk.toString());
    if (match) resolve(match[1] as string);
  }));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid as number, stop: () => child.kill() };
}

/** Median and p99 of one request at a time, in ms. */
export async function sequential(url: string, headers: Record<string, string>): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL + 20; i += 1) {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    if (i >= 20) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

export interface Load {
  perSecond: number;
  /** Answers received in the measured run. */
  requests: number;
  /** Connection errors and timeouts in the measured run. */
  errors: number;
  /** CPU the process `pid` used in the measured run per answer, in µs; NaN without a pid. */
  cpuUsPerRequest: number;
}

/** 50 connections for SECONDS after a 2 s warm-up; with `pid`, that process's CPU per request too. */
export async function concurrent(url: string, headers: Record<string, string>, pid?: number): Promise<Load> {
  const options = { url, method: 'POST' as const, connections: 50, headers: { 'content-type': 'application/json', ...headers }, body: BODY };
  await autocannon({ ...options, duration: 2 });
  // The warm-up's last requests may still be running in the server (a gateway task outlives its
  // client); let them end so their CPU is not counted in the measured run.
  if (pid !== undefined) await new Promise((resolve) => setTimeout(resolve, 300));
  const before = pid === undefined ? NaN : cpuMicros(pid);
  const result = await autocannon({ ...options, duration: SECONDS });
  const used = pid === undefined ? NaN : cpuMicros(pid) - before;
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} answers were not 2xx`);
  return { perSecond: result.requests.average, requests: result.requests.total, errors: result.errors, cpuUsPerRequest: used / result.requests.total };
}

/** This gateway as a child process, engine openai-compatible in `outputs` mode to `upstream` for every route. */
export async function gateway(upstream: string, outputs: 'passthrough' | 'rehost', dir: string, nodeArgs: readonly string[] = []) {
  const config = join(dir, `${outputs}.json`);
  writeFileSync(config, JSON.stringify({
    engines: { up: { type: 'openai-compatible', style: 'openai', baseUrl: upstream, apiKey: 'sk-bench', outputs } },
    routes: { '*': ['up'] },
    fetch: { allowHosts: [new URL(upstream).host] },
    limits: { workerConcurrency: 16 },
  }));
  const data = join(dir, outputs);
  const server = await spawnServer({ PORT: '0', QIG_DATA_DIR: data, QIG_CONFIG: config }, 20_000, nodeArgs);
  const key = /(sk-qig-\w+)/.exec(server.output())?.[1] as string;
  return { server, url: `${server.url}/v1/images/generations`, headers: { authorization: `Bearer ${key}` } };
}

export async function benchPassthrough(): Promise<void> {
  const dir = tempDir('qig-bench-');
  const upstream = await startUpstream(dir.path);
  try {
    const direct = { url: `${upstream.url}/v1/images/generations`, headers: {} };
    const rows: Array<Array<string | number>> = [];
    const base = await sequential(direct.url, direct.headers);
    rows.push(['upstream directly', base.p50, base.p99, 0, (await concurrent(direct.url, direct.headers)).perSecond]);
    for (const outputs of ['passthrough', 'rehost'] as const) {
      const { server, url, headers } = await gateway(upstream.url, outputs, dir.path);
      try {
        const through = await sequential(url, headers);
        rows.push([`through the gateway, ${outputs}`, through.p50, through.p99, through.p50 - base.p50, (await concurrent(url, headers)).perSecond]);
      } finally {
        await server.stop();
      }
    }
    table(
      `(e) sync OpenAI generation to an instant upstream: ${SEQUENTIAL} sequential requests, then 50 connections for ${SECONDS} s`,
      ['path', 'p50 ms (1 conn)', 'p99 ms (1 conn)', 'added p50 ms', 'req/s (50 conns)'],
      rows,
    );
  } finally {
    upstream.stop();
    dir.remove();
  }
}
