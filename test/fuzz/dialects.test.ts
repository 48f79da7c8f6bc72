/**
 * A bounded, seeded fuzz of every dialect: valid bodies bent out of shape, broken bytes, odd
 * headers, paths and methods, sent by keys with and without money to the real server, run as its
 * own process (so what is measured is the server alone) in front of a fake upstream. It fails on
 * any 5xx, any error outside the dialect's shape, any answer that does not come (15 s), an error
 * body or a log line that echoes what was sent at its own size, an event-loop stall over 200 ms
 * (the server's own `monitorEventLoopDelay`, read from /metrics), or the server's peak RSS
 * growing by more than 600 MB (`VmHWM`), or any connection off the machine. `QIG_FUZZ_CASES` (per dialect, default 1500) and
 * `QIG_FUZZ_SEED` replay or widen a run; `QIG_FUZZ_ONLY=openai:1063-1069` sends only those cases
 * of one group (the others are drawn but not sent, so the draws stay the same) and prints them.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startFakeReseller, type FakeReseller } from '../fakes/reseller.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';
import { spawnServer, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/stores.js';
import { seedBodies } from '../helpers/seeds.js';
import { hostileImages, int, mutateBody, pick, randomHeaderValue, randomKey, randomValue, seeded, serialize, type Random } from './mutate.js';

const CASES = Number(process.env.QIG_FUZZ_CASES ?? 1500);
const SEED = Number(process.env.QIG_FUZZ_SEED ?? 20261202);
const CONCURRENCY = 4;
const ONLY = /^(\w+):(\d+)-(\d+)$/.exec(process.env.QIG_FUZZ_ONLY ?? '');
const ADMIN = 'admin-token-fuzz';
const MAX_ERROR_BODY = 16 * 1024;
const MAX_LOG_LINE = 16 * 1024;

/** The server under test: its URL and development key. */
interface Server {
  url: string;
  key: string;
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | FormData | undefined;
  /** Which error shapes the answer may take. */
  shapes: Shape[];
}

type Shape = 'dashscope' | 'openai' | 'nebula' | 'fal' | 'seaart' | 'plain' | 'queueCancel';

type Json = Record<string, any>;

const isString = (value: unknown) => typeof value === 'string';
const SHAPES: Record<Shape, (json: Json) => boolean> = {
  dashscope: (j) => isString(j.code) && isString(j.message) && isString(j.request_id),
  openai: (j) => typeof j.error === 'object' && j.error !== null && isString(j.error.message) && isString(j.error.type) && 'param' in j.error && 'code' in j.error,
  nebula: (j) => typeof j.code === 'number' && isString(j.msg) && j.data === null,
  fal: (j) => isString(j.detail) || (Array.isArray(j.detail) && j.detail.every((d: Json) => Array.isArray(d.loc) && isString(d.msg) && isString(d.type))),
  seaart: (j) => SHAPES.fal(j) || (typeof j.error === 'object' && j.error !== null && isString(j.error.code) && isString(j.error.message) && isString(j.request_id)),
  plain: (j) => typeof j.error === 'object' && j.error !== null && isString(j.error.code) && isString(j.error.message),
  // fal's cancel answers (SeaArt's too): 400 ALREADY_COMPLETED, 404 NOT_FOUND.
  queueCancel: (j) => ['ALREADY_COMPLETED', 'NOT_FOUND'].includes(j.status as string),
};

interface Context {
  random: Random;
  keys: { rich: string; poor: string };
  images: string[];
  taskIds: string[];
}

function authHeader(ctx: Context, schemes: readonly string[] = ['Bearer']): Record<string, string> {
  const { random, keys } = ctx;
  const roll = random();
  if (roll < 0.6) return { authorization: `${pick(random, schemes)} ${keys.rich}` };
  if (roll < 0.8) return { authorization: `Bearer ${keys.poor}` };
  if (roll < 0.85) return {};
  if (roll < 0.9) return { authorization: `Bearer ${keys.rich}x` };
  if (roll < 0.95) return { authorization: randomHeaderValue(random) };
  return { authorization: `Basic ${keys.rich}` };
}

function jsonCase(ctx: Context, method: string, path: string, seedValue: unknown, shapes: Shape[], extra: Record<string, string> = {}, schemes?: readonly string[]): Case {
  const { random } = ctx;
  const body = random() < 0.85 ? mutateBody(random, seedValue, ctx.images) : seedValue;
  const contentType = random() < 0.92 ? 'application/json' : pick(random, ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/jsonx', '']);
  return { method, path, headers: { ...authHeader(ctx, schemes), 'content-type': contentType, ...extra }, body: serialize(random, body), shapes };
}

function randomId(ctx: Context): string {
  const { random } = ctx;
  if (ctx.taskIds.length > 0 && random() < 0.5) return pick(random, ctx.taskIds);
  return pick(random, ['00000000-0000-0000-0000-000000000000', 'x', '%zz', '%2e%2e', 'a'.repeat(100 + int(random, 700)), encodeURIComponent(String(randomValue(random)).slice(0, 64)) || 'y']);
}

function dashscopeCase(ctx: Context, bodies: Record<string, Json>): Case {
  const { random } = ctx;
  const prefix = random() < 0.3 ? '/aliyun' : '';
  const async: Record<string, string> = random() < 0.5 ? { 'x-dashscope-async': random() < 0.8 ? 'enable' : randomHeaderValue(random) } : {};
  const idem: Record<string, string> = random() < 0.1 ? { 'idempotency-key': randomHeaderValue(random) || 'k' } : {};
  switch (int(random, 6)) {
    case 0:
    case 1:
      return jsonCase(ctx, 'POST', `${prefix}/api/v1/services/aigc/multimodal-generation/generation`, bodies.edit, ['dashscope'], { ...async, ...idem });
    case 2:
      return jsonCase(ctx, 'POST', `${prefix}/api/v1/services/aigc/text2image/image-synthesis`, bodies.prompt, ['dashscope'], idem);
    case 3:
      return { method: 'GET', path: `${prefix}/api/v1/tasks/${randomId(ctx)}`, headers: authHeader(ctx), shapes: ['dashscope'] };
    case 4: {
      const query = ['status', 'page_no', 'page_size', 'start_time', 'end_time', 'model_name'].filter(() => random() < 0.5).map((name) => `${name}=${encodeURIComponent(String(randomValue(random)).slice(0, 40))}`);
      return { method: 'GET', path: `${prefix}/api/v1/tasks?${query.join('&')}`, headers: authHeader(ctx), shapes: ['dashscope'] };
    }
    default:
      return { method: 'POST', path: `${prefix}/api/v1/tasks/${randomId(ctx)}/cancel`, headers: authHeader(ctx), shapes: ['dashscope'] };
  }
}

function openAiCase(ctx: Context, bodies: Record<string, Json>, png: Buffer): Case {
  const { random } = ctx;
  switch (int(random, 5)) {
    case 0:
      return jsonCase(ctx, 'POST', '/v1/images/generations', bodies.openai, ['openai', 'nebula']);
    case 1:
      return jsonCase(ctx, 'POST', '/v1/images/generations', bodies.seed001, ['openai', 'nebula']);
    case 2:
      return jsonCase(ctx, 'POST', '/v1/images/generations', bodies.nebula, ['openai', 'nebula']);
    case 3:
      return jsonCase(ctx, 'POST', '/v1/images/edits', bodies.openaiEdit, ['openai']);
    default: {
      const form = new FormData();
      const parts = 1 + int(random, 8);
      for (let i = 0; i < parts; i += 1) {
        const name = random() < 0.6 ? pick(random, ['image', 'image[]', `image[${int(random, 5)}]`, 'mask', 'prompt', 'n', 'size', 'model', 'response_format']) : randomKey(random);
        if (name.startsWith('image') || name === 'mask' || random() < 0.1) {
          const bytes = random() < 0.6 ? png : Buffer.from(String(randomValue(random)).slice(0, 50_000));
          form.append(name, new Blob([bytes], { type: pick(random, ['image/png', 'application/octet-stream', '']) }), pick(random, ['a.png', '', '../x', 'é.png']));
        } else {
          form.append(name, String(randomValue(random)).slice(0, 100_000));
        }
      }
      return { method: 'POST', path: '/v1/images/edits', headers: authHeader(ctx), body: form, shapes: ['openai'] };
    }
  }
}

function falCase(ctx: Context, bodies: Record<string, Json>): Case {
  const { random } = ctx;
  const app = pick(random, ['fal-ai/qwen-image-edit-plus', 'fal-ai/qwen-image', 'fal-ai/qwen-image-edit', 'qwen/qwen-image-2.0', 'fal-ai/nothing', `fal-ai/${encodeURIComponent(randomKey(random))}`]);
  const query = random() < 0.2 ? `?${pick(random, ['fal_webhook', 'fal_max_queue_length', 'logs'])}=${encodeURIComponent(String(randomValue(random)).slice(0, 80))}` : '';
  const extra: Record<string, string> = random() < 0.2 ? { 'x-fal-request-timeout': randomHeaderValue(random), 'x-fal-queue-priority': randomHeaderValue(random) } : {};
  const schemes = ['Key', 'Bearer'];
  switch (int(random, 5)) {
    case 0:
    case 1:
      return jsonCase(ctx, 'POST', `/fal/${app}${query}`, bodies.fal, ['fal'], extra, schemes);
    case 2:
      return { method: 'GET', path: `/fal/${app}/requests/${randomId(ctx)}${pick(random, ['', '/status', '/status?logs=1', '/status/stream?logs=0'])}`, headers: authHeader(ctx, schemes), shapes: ['fal'] };
    case 3:
      return { method: 'PUT', path: `/fal/${app}/requests/${randomId(ctx)}/cancel`, headers: authHeader(ctx, schemes), shapes: ['fal', 'queueCancel'] };
    default: {
      const target = pick(random, [`https://queue.fal.run/${app}`, `https://fal.run/${app}`, 'https://rest.fal.ai/storage/upload/initiate', 'https://evil.example/x', 'not a url', '']);
      return jsonCase(ctx, pick(random, ['POST', 'GET', 'PUT']), '/fal/proxy', bodies.fal, ['fal'], { 'x-fal-target-url': target }, schemes);
    }
  }
}

function seaartCase(ctx: Context, bodies: Record<string, Json>): Case {
  const { random } = ctx;
  const endpoint = pick(random, ['qwen_image_edit_plus', 'qwen_image_plus', 'qwen_image_2_0_pro', 'nothing', randomKey(random).replace(/[^a-z_]/g, '') || 'x']);
  switch (int(random, 4)) {
    case 0:
    case 1:
      return jsonCase(ctx, 'POST', `/v1/queue/${endpoint}`, bodies.seaart, ['seaart'], {}, ['Bearer', 'Key']);
    case 2:
      return { method: 'GET', path: `/v1/queue/${endpoint}/requests/${randomId(ctx)}/${pick(random, ['status', 'response', 'status?logs=1'])}`, headers: authHeader(ctx), shapes: ['seaart'] };
    default:
      return { method: 'PUT', path: `/v1/queue/${endpoint}/requests/${randomId(ctx)}/cancel`, headers: authHeader(ctx), shapes: ['seaart', 'queueCancel'] };
  }
}

/** The error shape of the dialect mounted at a path, as the server's routing has it. */
function shapesOfPath(path: string): Shape[] {
  if (/^\/(aliyun\/)?api\/v1(\/|$)/.test(path)) return ['dashscope'];
  if (/^\/v1\/queue(\/|$)/.test(path)) return ['seaart'];
  if (/^\/v1(\/|$)/.test(path)) return ['openai'];
  if (/^\/fal(-run)?(\/|$)/.test(path)) return ['fal'];
  return ['plain'];
}

/** Any method on any path: 404s, 405s and URL errors in the shape of the path's dialect. */
function pathCase(ctx: Context): Case {
  const { random } = ctx;
  const [prefix, seenShapes] = pick(random, [
    ['/api/v1/', ['dashscope']],
    ['/aliyun/api/v1/', ['dashscope']],
    ['/v1/images/', ['openai']],
    ['/v1/', ['openai']],
    ['/v1/queue/', ['seaart']],
    ['/fal/', ['fal']],
    ['/admin/v1/', ['plain']],
    ['/', ['plain']],
  ] as Array<[string, Shape[]]>);
  const tail = pick(random, ['tasks', 'tasks/x/cancel', 'services/aigc/multimodal-generation/generation', 'images/edits', 'keys', 'keys/%zz/credit', '%zz', 'a'.repeat(int(random, 2_000)), `${randomKey(random)}/${randomKey(random)}`]);
  const path = `${prefix}${tail.split('/').map((p) => (/^%|^[\w.-]*$/.test(p) ? p : encodeURIComponent(p))).join('/')}`;
  // `..` segments are resolved by the client: the path that arrives decides the shape.
  const arrives = new URL(path, 'http://x').pathname;
  const shapes = arrives !== path && !arrives.startsWith(prefix) ? shapesOfPath(arrives) : seenShapes;
  const method = pick(random, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  const headers = { ...authHeader(ctx), ...(random() < 0.3 ? { authorization: `Bearer ${ADMIN}` } : {}) };
  return method === 'GET' || method === 'HEAD' ? { method, path, headers, shapes } : { method, path, headers: { ...headers, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(randomValue(random)) ?? '{}'), shapes };
}

interface Tally {
  cases: number;
  byStatus: Map<number, number>;
  failures: string[];
}

async function send(server: Server, testCase: Case, tally: Tally, index: number, ctx: Context): Promise<void> {
  tally.cases += 1;
  const where = `case ${index} (seed ${SEED}): ${testCase.method} ${testCase.path.slice(0, 120)}`;
  let response: Response;
  try {
    response = await fetch(`${server.url}${testCase.path}`, {
      method: testCase.method,
      headers: testCase.headers,
      body: testCase.method === 'GET' || testCase.method === 'HEAD' ? null : (testCase.body ?? null),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    tally.failures.push(`${where}: no answer (${(error as Error).message})`);
    return;
  }
  const status = response.status;
  tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    // A status stream of a real task runs until the task ends; this fuzz only checks it opens.
    await response.body?.cancel();
    return;
  }
  const text = await response.text();
  if (status >= 500) tally.failures.push(`${where}: HTTP ${status} ${text.slice(0, 300)}`);
  if (status < 400) {
    const taskId = /"(?:task_id|request_id)":"([0-9a-f-]{36})"/.exec(text)?.[1];
    if (taskId && ctx.taskIds.length < 200) ctx.taskIds.push(taskId);
    return;
  }
  if (testCase.method === 'HEAD') return;
  if (text.length > MAX_ERROR_BODY) tally.failures.push(`${where}: a ${text.length}-byte error body`);
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    tally.failures.push(`${where}: HTTP ${status} answered with non-JSON ${text.slice(0, 200)}`);
    return;
  }
  if (!testCase.shapes.some((shape) => SHAPES[shape](json))) tally.failures.push(`${where}: HTTP ${status} not in the ${testCase.shapes.join('/')} shape: ${text.slice(0, 300)}`);
}

/** A Prometheus sample's value from the server's /metrics text. */
function metric(text: string, name: string): number {
  return Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** The server's peak resident set so far (Linux `VmHWM`), in bytes. */
function peakRss(pid: number): number {
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
}

describe('fuzz: every dialect, bounded', () => {
  let process_: ServerProcess;
  let server: Server;
  let imageServer: ImageServer;
  let upstream: FakeReseller;
  const dir = tempDir();

  before(async () => {
    imageServer = await startImageServer();
    imageServer.put('/a.png', await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3a6' } }).png().toBuffer());
    upstream = await startFakeReseller();
    const upstreamHost = new URL(upstream.url).host;
    const configFile = join(dir.path, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      // The fake upstream answers with its own URLs, handed out as they are: the fuzz is about the front door.
      engines: { upstream: { type: 'openai-compatible', style: 'dashscope', path: '/aliyun/api/v1/services/aigc/multimodal-generation/generation', baseUrl: upstream.url, apiKey: upstream.apiKey, outputs: 'passthrough' } },
      routes: { '*': ['upstream'] },
      prices: { currency: 'CNY', perImage: { '*': '0.10' } },
      fetch: { allowHosts: [imageServer.hostPort, upstreamHost], timeoutMs: 2_000 },
      limits: { syncWaitSeconds: 10, maxQueuedTasks: 100_000, bodyIdleSeconds: 5, bodyTotalSeconds: 10 },
    }));
    process_ = await spawnServer(
      { PORT: '0', HOST: '127.0.0.1', QIG_DATA_DIR: dir.path, QIG_CONFIG: configFile, QIG_ADMIN_TOKEN: ADMIN, QIG_LOG_LEVEL: 'info' },
      20_000,
      // QIG_FUZZ_NODE_ARGS adds flags to the server's node (e.g. --cpu-prof to see what stalls it).
      ['--import', 'tsx', '--import', './test/helpers/loopback-only.ts', ...(process.env.QIG_FUZZ_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    );
    server = { url: process_.url, key: readFileSync(join(dir.path, 'dev-key.txt'), 'utf8').trim() };
  });
  after(async () => {
    await process_?.stop();
    await Promise.all([imageServer.close(), upstream.close()]);
    dir.remove();
  });

  it(`answers ${CASES} cases per dialect in its own shape, never 5xx, without stalling or bloating`, { timeout: 30 * 60_000 }, async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#a36' } }).png().toBuffer();
    const dataUri = `data:image/png;base64,${png.toString('base64')}`;
    const poor = await (await fetch(`${server.url}/admin/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'poor', balance: '0.00' }) })).json() as Json;
    const ctx: Context = { random: seeded(SEED), keys: { rich: server.key, poor: poor.key as string }, images: hostileImages(imageServer.url('/a.png'), dataUri), taskIds: [] };

    const seed001 = seedBodies('001_64a870f5d0232faf.txt')[0] as Json;
    const nebula = JSON.parse(readFileSync(new URL('../fixtures/seed-004-body.json', import.meta.url), 'utf8')) as Json;
    const bodies: Record<string, Json> = {
      edit: { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: dataUri }, { text: 'make it black and white' }] }] }, parameters: { n: 1, size: '512*512', watermark: false, seed: 7 } },
      prompt: { model: 'qwen-image-plus', input: { prompt: 'a poster', negative_prompt: 'blur' }, parameters: { size: '1328*1328', n: 1 } },
      openai: { model: 'qwen-image-2.0', prompt: 'a cat', n: 1, size: '512x512', response_format: 'url', quality: 'high', parameters: { seed: 3 } },
      openaiEdit: { model: 'qwen-image-edit-plus', prompt: 'make it grey', image: [dataUri], n: 1, size: '512x512', response_format: 'b64_json' },
      seed001,
      nebula,
      fal: { prompt: 'a cat', image_urls: [dataUri], num_images: 1, image_size: 'square', seed: 5, sync_mode: false },
      seaart: { prompt: 'a cat', images: [dataUri], n: 1, size: '512*512', seed: 9 },
    };
    const generatorsFor = (context: Context): Array<[string, () => Case]> => [
      ['dashscope', () => dashscopeCase(context, bodies)],
      ['openai', () => openAiCase(context, bodies, png)],
      ['fal', () => falCase(context, bodies)],
      ['seaart', () => seaartCase(context, bodies)],
      ['paths', () => pathCase(context)],
    ];
    const generators = generatorsFor(ctx);

    // A few cases of each kind first, from another seed and not counted: what happens once per
    // process (modules compiled on first use, JIT) is not work a request causes.
    const warm: Context = { ...ctx, random: seeded(SEED + 1), taskIds: [] };
    for (const [, make] of generatorsFor(warm)) for (let i = 0; i < 20; i += 1) await send(server, make(), { cases: 0, byStatus: new Map(), failures: [] }, i, warm);
    // Reading /metrics resets the server's event-loop delay histogram: the next read covers the run.
    await (await fetch(`${server.url}/metrics`)).text();
    const rssStart = peakRss(process_.child.pid as number);
    const slowest: Array<[number, string]> = [];
    const tallies = new Map<string, Tally>();
    try {
      for (const [name, make] of generators) {
        const tally: Tally = { cases: 0, byStatus: new Map(), failures: [] };
        tallies.set(name, tally);
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < CASES) {
              const index = next;
              next += 1;
              const testCase = make();
              if (ONLY && (ONLY[1] !== name || index < Number(ONLY[2]) || index > Number(ONLY[3]))) {
                await new Promise((resolve) => setImmediate(resolve));
                continue;
              }
              if (ONLY) console.log(`case ${index}: ${testCase.method} ${testCase.path.slice(0, 100)} ${JSON.stringify(testCase.headers).slice(0, 200)} body ${testCase.body instanceof Buffer ? `${testCase.body.length} bytes: ${testCase.body.subarray(0, 300).toString()}` : testCase.body ? [...(testCase.body as FormData).entries()].map(([k, v]) => `${k}=${typeof v === 'string' ? v.length : `file ${v.size}`}`).join(' ') : 'none'}`);
              const started = performance.now();
              await send(server, testCase, tally, index, ctx);
              const took = performance.now() - started;
              if (ONLY) console.log(`case ${index}: ${took.toFixed(0)} ms`);
              if (slowest.length < 50 || took > (slowest.at(-1)?.[0] ?? 0)) {
                slowest.push([took, `${name} case ${index}: ${testCase.method} ${testCase.path}`]);
                slowest.sort(([x], [y]) => y - x).splice(50);
              }
            }
          }),
        );
      }
    } finally {
      slowest.sort(([a], [b]) => b - a);
    }

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const maxDelayMs = metric(metrics, 'qig_nodejs_eventloop_lag_max_seconds') * 1000;
    const rssPeak = peakRss(process_.child.pid as number);
    const rssGrowthMb = (rssPeak - rssStart) / 1024 / 1024;
    const lines = process_.output().split('\n').filter((line) => line !== '');
    const log = { lines: lines.length, bytes: lines.reduce((n, line) => n + line.length, 0), longest: Math.max(...lines.map((line) => line.length)) };
    for (const [name, tally] of tallies) {
      const statuses = [...tally.byStatus.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
      console.log(`fuzz ${name}: ${tally.cases} cases, ${tally.failures.length} failures; ${statuses}`);
    }
    const fiveXx = [...tallies.values()].reduce((sum, t) => sum + [...t.byStatus.entries()].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0), 0);
    console.log(`fuzz totals: ${[...tallies.values()].reduce((n, t) => n + t.cases, 0)} cases, 5xx ${fiveXx}, max event-loop delay ${maxDelayMs.toFixed(1)} ms, peak RSS ${Math.round(rssPeak / 1024 / 1024)} MB (+${rssGrowthMb.toFixed(0)} MB), log ${log.lines} lines / ${log.bytes} bytes, longest line ${log.longest} bytes, seed ${SEED}`);
    console.log(`fuzz slowest answers: ${slowest.slice(0, 5).map(([ms, where]) => `${ms.toFixed(0)} ms ${where.slice(0, 160)}`).join(' | ')}`);

    const failures = [...tallies.values()].flatMap((t) => t.failures);
    // One example of each kind of failure (method, route and status), so a report stays readable.
    const kinds = new Map<string, string>();
    for (const failure of failures) kinds.set(failure.replace(/^case \d+ \(seed \d+\): (\w+) (\/[a-z]+\/[a-z0-9]*)\S*: (HTTP \d+|no answer).*$/s, '$1 $2 $3'), failure);
    assert.deepEqual([...kinds.values()].slice(0, 30), [], `${failures.length} failing cases`);
    assert.ok(maxDelayMs < 200, `the event loop stalled for ${maxDelayMs.toFixed(1)} ms`);
    assert.ok(rssGrowthMb < 600, `RSS grew by ${rssGrowthMb.toFixed(0)} MB`);
    assert.ok(log.longest <= MAX_LOG_LINE, `a log line of ${log.longest} bytes`);
    assert.ok(!process_.output().includes('loopback-only test hook'), 'no connection left the machine');
  });
});
