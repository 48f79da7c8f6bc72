/**
 * (l) The sync OpenAI generation of (e) four ways: to the instant upstream directly, through this
 * gateway (passthrough, default `info` logging), through Portkey's open-source gateway
 * (`@portkey-ai/gateway`, MIT, a dev dependency) and through a bare node:http proxy
 * (`lib/bare-proxy.mjs`: the floor of any Node gateway). For each: req/s and the server process's
 * CPU per request at 50 connections, p50 at one connection and what it adds to the direct path.
 * The servers start once, as child node processes of this one, and are measured in alternating
 * rounds so drift in a shared machine's speed hits them alike.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test/helpers/stores.js';
import { concurrent, gateway, SECONDS, SEQUENTIAL, sequential, startListener, startUpstream } from './passthrough.js';
import { table } from './lib/report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PORTKEY_DIR = new URL('../node_modules/@portkey-ai/gateway/', import.meta.url);
const START_TIMEOUT_MS = 30_000;
/** How much of what Portkey writes after its start line is kept to show (it is counted in full). */
const KEEP_OUTPUT = 4096;

interface Portkey {
  url: string;
  pid: number;
  version: string;
  /** What it wrote after "Ready for connections": bytes in all, and the first KEEP_OUTPUT characters. */
  later(): { bytes: number; head: string };
  stop(): Promise<void>;
}

/** A port free right now. Portkey listens on every address ('::'), so the probe does too. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startPortkeyOn(port: number): Promise<Portkey> {
  const version = (JSON.parse(readFileSync(new URL('package.json', PORTKEY_DIR), 'utf8')) as { version: string }).version;
  // Not our whole environment: a REDIS_CONNECTION_STRING would give it a Redis cache, a proxy
  // variable would route its upstream calls elsewhere.
  const { REDIS_CONNECTION_STRING: _cache, HTTP_PROXY: _http, HTTPS_PROXY: _https, PORT: _port, DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
  // node itself, not npx or a shell, so the pid is the process whose CPU is read.
  const child = spawn(process.execPath, [fileURLToPath(new URL('build/start-server.js', PORTKEY_DIR)), `--port=${port}`, '--headless'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let startup = '';
  let ready = false;
  let laterBytes = 0;
  let laterHead = '';
  const onData = (chunk: Buffer) => {
    if (!ready) {
      startup += chunk.toString();
      return;
    }
    laterBytes += chunk.length;
    if (laterHead.length < KEEP_OUTPUT) laterHead += chunk.toString().slice(0, KEEP_OUTPUT - laterHead.length);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`Portkey did not start in ${START_TIMEOUT_MS} ms:\n${startup}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      if (!/Ready for connections/.test(startup)) return;
      ready = true;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve();
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Portkey exited with ${code}:\n${startup}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    version,
    later: () => ({ bytes: laterBytes, head: laterHead }),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill();
      await exited;
    },
  };
}

/** It takes a port number only: pick a free one, and pick again if another process took it first. */
async function startPortkey(): Promise<Portkey> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startPortkeyOn(await freePort());
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  pid: number;
}

interface Samples {
  p50: number[];
  added: number[];
  perSecond: number[];
  cpuUs: number[];
}

/** The middle value, or the mean of the two middle ones: with BENCH_ROUNDS=2 a lower median would be the best round. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[half] as number) : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
const range = (values: readonly number[]) => {
  const digits = Math.max(...values) >= 100 ? 0 : Math.max(...values) >= 10 ? 1 : 2;
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
};
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

export async function benchPortkey(): Promise<void> {
  const dir = tempDir('qig-bench-');
  let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
  let ours: Awaited<ReturnType<typeof gateway>> | undefined;
  let portkey: Portkey | undefined;
  let bare: Awaited<ReturnType<typeof startListener>> | undefined;
  try {
    upstream = await startUpstream(dir.path);
    ours = await gateway(upstream.url, 'passthrough', dir.path);
    portkey = await startPortkey();
    bare = await startListener('bare-proxy.mjs', upstream.url);
    const targets: Target[] = [
      { name: 'upstream directly', url: `${upstream.url}/v1/images/generations`, headers: {}, pid: upstream.pid },
      { name: 'qwen-image-gateway, passthrough', url: ours.url, headers: ours.headers, pid: ours.server.child.pid as number },
      {
        name: `Portkey gateway ${portkey.version}`,
        url: `${portkey.url}/v1/images/generations`,
        headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstream.url}/v1`, authorization: 'Bearer sk-bench' },
        pid: portkey.pid,
      },
      { name: 'bare node:http proxy', url: `${bare.url}/v1/images/generations`, headers: {}, pid: bare.pid },
    ];
    const samples = targets.map((): Samples => ({ p50: [], added: [], perSecond: [], cpuUs: [] }));
    const rows: Array<Array<string | number>> = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      let base = NaN;
      for (const [i, target] of targets.entries()) {
        const sample = samples[i] as Samples;
        // The previous target's last requests may still be running (a gateway task outlives its client).
        await settle();
        const { p50 } = await sequential(target.url, target.headers);
        if (i === 0) base = p50;
        const load = await concurrent(target.url, target.headers, target.pid);
        sample.p50.push(p50);
        sample.added.push(p50 - base);
        sample.perSecond.push(load.perSecond);
        sample.cpuUs.push(load.cpuUsPerRequest);
        rows.push([`${round}: ${target.name}`, p50, p50 - base, load.perSecond, load.cpuUsPerRequest, String(load.errors)]);
      }
    }
    const [direct, ourSamples, theirs, floor] = samples as [Samples, Samples, Samples, Samples];
    for (const [i, target] of targets.entries()) {
      const sample = samples[i] as Samples;
      rows.push([`median: ${target.name}`, median(sample.p50), median(sample.added), median(sample.perSecond), median(sample.cpuUs), '']);
    }
    table(
      `(l) sync OpenAI generation to an instant upstream: directly, through this gateway (QIG_LOG_LEVEL=info, the default), through Portkey's gateway ${portkey.version} and through a bare node:http proxy; ${ROUNDS} alternating rounds of ${SEQUENTIAL} sequential requests, then 50 connections for ${SECONDS} s after a 2 s warm-up`,
      ['round: path', 'p50 ms (1 conn)', 'added p50 ms', 'req/s (50 conns)', 'server CPU µs/req (50 conns)', 'errors (50 conns)'],
      rows,
    );
    const ratios = ourSamples.perSecond.map((value, i) => value / (theirs.perSecond[i] as number));
    table(
      `(l) against the aims (medians over the ${ROUNDS} rounds; "server CPU" is the one process serving the path: the upstream's when direct)`,
      ['measure', 'median', 'per round', 'aim'],
      [
        ['gateway req/s ÷ Portkey req/s (50 conns)', median(ratios), range(ratios), `≥ 2 — ${verdict(median(ratios) >= 2)}`],
        ['gateway median req/s ÷ Portkey median req/s', median(ourSamples.perSecond) / median(theirs.perSecond), '', ''],
        ['gateway server CPU µs per request (50 conns)', median(ourSamples.cpuUs), range(ourSamples.cpuUs), `≤ 350 — ${verdict(median(ourSamples.cpuUs) <= 350)}`],
        ['gateway added p50 ms (1 conn)', median(ourSamples.added), range(ourSamples.added), `≤ 0.5 — ${verdict(median(ourSamples.added) <= 0.5)}`],
        ['Portkey added p50 ms (1 conn)', median(theirs.added), range(theirs.added), '—'],
        ['Portkey server CPU µs per request (50 conns)', median(theirs.cpuUs), range(theirs.cpuUs), '—'],
        ['upstream alone CPU µs per request (50 conns)', median(direct.cpuUs), range(direct.cpuUs), '—'],
        ['bare node:http proxy CPU µs per request (50 conns)', median(floor.cpuUs), range(floor.cpuUs), '—'],
        ['bare node:http proxy req/s ÷ Portkey req/s (50 conns)', median(floor.perSecond) / median(theirs.perSecond), '', '—'],
        ['bare node:http proxy added p50 ms (1 conn)', median(floor.added), range(floor.added), '—'],
      ],
    );
    const later = portkey.later();
    if (later.bytes > 0) console.log(`\nPortkey wrote ${later.bytes} bytes after its start line; the first:\n${later.head}`);
  } finally {
    await portkey?.stop();
    bare?.stop();
    await ours?.server.stop();
    upstream?.stop();
    dir.remove();
  }
}
