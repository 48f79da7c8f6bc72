/**
 * The fal dialect end to end with the official `@fal-ai/client`, changed only by
 * `proxyUrl: { url: '…/fal/proxy', when: 'always' }`: subscribe (polling and streaming) through
 * IN_QUEUE → IN_PROGRESS → COMPLETED, queue submit/status/result/cancel, fal.run, start
 * timeouts, queue limits, and cancel races. A held engine keeps each task where the test wants it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFalClient, ValidationError, type ApiError, type FalClient } from '@fal-ai/client';
import sharp from 'sharp';
import { AppError } from '../../src/domain/errors.js';
import type { Engine, EngineCall, EngineResult } from '../../src/engines/engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';
import { gradientImage } from '../helpers/images.js';
import { assertLedgerInvariant } from '../helpers/ledger.js';

/** An engine whose calls each wait until the test releases them (or the task is canceled). */
function createHeldEngine() {
  const waiting: Array<{ call: EngineCall; release: () => void }> = [];
  const watchers: Array<() => void> = [];
  let open = false;
  const engine: Engine = {
    name: 'held',
    type: 'test-held',
    capabilities: { models: '*', maxImagesPerCall: 6, watermark: false, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: true },
    start(call) {
      return new Promise<EngineResult>((resolve, reject) => {
        const done = () =>
          resolve({
            status: 'done',
            images: Array.from({ length: call.n }, (_, i) => ({ kind: 'raw' as const, data: Buffer.alloc(call.size.width * call.size.height * 3, 40 + i), width: call.size.width, height: call.size.height, channels: 3 as const })),
          });
        if (open) return done();
        call.signal.addEventListener('abort', () => reject(new AppError('canceled', 'canceled')), { once: true });
        waiting.push({ call, release: done });
        for (const wake of watchers.splice(0)) wake();
      });
    },
    async poll() {
      throw new AppError('internal', 'nothing to poll');
    },
    async cancel() {},
  };
  return {
    engine,
    /** The next call that started and was not taken yet. */
    async next(): Promise<{ call: EngineCall; release: () => void }> {
      while (waiting.length === 0) await new Promise<void>((resolve) => watchers.push(resolve));
      return waiting.shift()!;
    },
    /** Lets every call through at once (true) or holds them again (false). */
    setOpen(value: boolean) {
      open = value;
      if (value) for (const entry of waiting.splice(0)) entry.release();
    },
  };
}

const ADMIN = 'admin-token-for-fal-tests';
let server: TestGateway;
let images: ImageServer;
let held: ReturnType<typeof createHeldEngine>;
let fal: FalClient;

const proxied = (credentials: string) => createFalClient({ credentials, proxyUrl: { url: `${server.url}/fal/proxy`, when: 'always' } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Key ${server.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as any) : {} };
}

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const statusOf = (client: FalClient, requestId: string) => client.queue.status('qwen/qwen-image-2.0', { requestId, logs: true }) as Promise<any>;

/** Waits for COMPLETED, then reads the result. */
async function resultOf(requestId: string) {
  await until(async () => ((await statusOf(fal, requestId)).status === 'COMPLETED' ? true : undefined), `request ${requestId}`);
  return fal.queue.result('qwen/qwen-image-2.0', { requestId });
}

before(async () => {
  images = await startImageServer();
  images.put('/a.png', await gradientImage(640, 480, 'png'));
  images.put('/b.jpg', await gradientImage(600, 800, 'jpeg'), 'image/jpeg');
  held = createHeldEngine();
  server = await startTestGateway({
    env: { QIG_ADMIN_TOKEN: ADMIN },
    engines: new Map([['held', held.engine]]),
    config: {
      engines: { held: { type: 'local' } },
      routes: { '*': ['held'] },
      limits: { workerConcurrency: 1 },
      fetch: { allowHosts: [images.hostPort] },
      prices: { currency: 'CNY', perImage: { 'qwen-image-2.0': '0.20' } },
    },
  });
  fal = proxied(server.key);
});

after(async () => {
  held.setOpen(true);
  await assertLedgerInvariant(server.gateway.store.db);
  await server.close();
  await images.close();
});

describe('fal through @fal-ai/client with proxyUrl', () => {
  it('subscribe with logs sees IN_QUEUE → IN_PROGRESS → COMPLETED and returns the result', async () => {
    const blocker = await fal.queue.submit('fal-ai/qwen-image-2/text-to-image', { input: { prompt: 'a blocker', image_size: 'square' } });
    const first = await held.next();
    const seen: string[] = [];
    let logs: string[] = [];
    const done = fal.subscribe('fal-ai/qwen-image-edit-plus', {
      input: { prompt: 'make it warmer', image_urls: [images.url('/a.png'), images.url('/b.jpg')], num_inference_steps: 30, seed: 7 },
      logs: true,
      pollInterval: 40,
      onQueueUpdate: (update) => {
        if (seen.at(-1) !== update.status) seen.push(update.status);
        if (update.status === 'IN_QUEUE') assert.equal(update.queue_position, 0);
        if ('logs' in update && update.logs) logs = update.logs.map((line) => line.message);
      },
    });
    await until(async () => (seen.includes('IN_QUEUE') ? true : undefined), 'IN_QUEUE');
    first.release();
    const second = await held.next();
    await until(async () => (seen.includes('IN_PROGRESS') ? true : undefined), 'IN_PROGRESS');
    second.release();
    const result = await done;
    assert.deepEqual(seen, ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']);
    const data = result.data as any;
    assert.equal(result.requestId, (await raw('GET', `/fal/fal-ai/qwen-image-edit-plus/requests/${result.requestId}`)).headers.get('x-fal-request-id'));
    assert.deepEqual(Object.keys(data).sort(), ['has_nsfw_concepts', 'images', 'prompt', 'seed', 'timings']);
    assert.equal(data.seed, 7);
    assert.equal(data.prompt, 'make it warmer');
    assert.deepEqual(data.has_nsfw_concepts, [false]);
    assert.equal(typeof data.timings.inference, 'number');
    const [image] = data.images;
    // The last image is 600×800: the default size keeps its aspect ratio at about 1 MP.
    assert.deepEqual([image.width, image.height, image.content_type], [880, 1184, 'image/png']);
    assert.equal(typeof image.file_size, 'number');
    assert.match(image.file_name, /^[0-9a-f]{64}\.png$/);
    const png = await fetch(image.url);
    assert.equal((await sharp(Buffer.from(await png.arrayBuffer())).metadata()).width, 880);
    assert.ok(logs.some((line) => line.startsWith('queued: qwen-image-edit-plus')), logs.join('\n'));
    assert.ok(logs.some((line) => /num_inference_steps has no equivalent/.test(line)), 'ignored inputs are named in the logs');
    assert.ok(logs.some((line) => /engine held chosen/.test(line)), logs.join('\n'));
    assert.ok(logs.some((line) => /1 image\(s\) stored/.test(line)), logs.join('\n'));
    await fal.queue.result('fal-ai/qwen-image-2/text-to-image', { requestId: blocker.request_id });
  });

  it('queue.submit, status with logs, result, and the same task read through the DashScope dialect', async () => {
    const submitted = await fal.queue.submit('fal-ai/qwen-image-2/pro/text-to-image', { input: { prompt: 'a red kite', image_size: 'landscape_16_9', output_format: 'jpeg', seed: 11 } });
    assert.equal(submitted.status, 'IN_QUEUE');
    assert.equal(submitted.status_url, `${server.url}/fal/fal-ai/qwen-image-2/requests/${submitted.request_id}/status`);
    const entry = await held.next();
    const running = await until(async () => {
      const status = await statusOf(fal, submitted.request_id);
      return status.status === 'IN_PROGRESS' ? status : undefined;
    }, 'IN_PROGRESS');
    assert.deepEqual(Object.keys(running.logs[0]).sort(), ['level', 'message', 'source', 'timestamp']);
    entry.release();
    const completed = await until(async () => {
      const status = await statusOf(fal, submitted.request_id);
      return status.status === 'COMPLETED' ? status : undefined;
    }, 'COMPLETED');
    assert.equal(typeof completed.metrics.inference_time, 'number');
    assert.equal(completed.error, undefined);
    const result = await fal.queue.result('fal-ai/qwen-image-2/pro/text-to-image', { requestId: submitted.request_id });
    const image = (result.data as any).images[0];
    assert.deepEqual([image.width, image.height, image.content_type], [1664, 928, 'image/jpeg']);
    const dashscope = await fetch(`${server.url}/api/v1/tasks/${submitted.request_id}`, { headers: { authorization: `Bearer ${server.key}` } });
    const task = (await dashscope.json()) as any;
    assert.equal(task.output.task_status, 'SUCCEEDED');
    assert.equal(task.output.results[0].url, image.url);
  });

  it('streams the status (mode: "streaming" and queue.streamStatus) until COMPLETED', async () => {
    const seen: string[] = [];
    const subscribed = fal.subscribe('qwen/qwen-image-2.0', {
      input: { prompt: 'a streamed image', image_size: { width: 768, height: 768 } },
      mode: 'streaming',
      logs: true,
      onQueueUpdate: (update) => seen.push(update.status),
    });
    const entry = await held.next();
    await until(async () => (seen.includes('IN_PROGRESS') ? true : undefined), 'IN_PROGRESS on the stream');
    entry.release();
    const result = await subscribed;
    assert.equal(seen.at(-1), 'COMPLETED');
    assert.equal((result.data as any).images[0].width, 768);

    held.setOpen(true);
    const { request_id } = await fal.queue.submit('qwen/qwen-image-2.0', { input: { prompt: 'another' } });
    const stream = await fal.queue.streamStatus('qwen/qwen-image-2.0', { requestId: request_id, logs: true });
    const events: any[] = [];
    stream.on('data', (event) => events.push(event));
    const last = (await stream.done()) as any;
    held.setOpen(false);
    assert.equal(last.status, 'COMPLETED');
    assert.ok(events.every((event) => event.request_id === request_id));
  });

  it('sends each log line once on the raw SSE stream, and ends it after COMPLETED', async () => {
    const { json } = await raw('POST', '/fal/fal-ai/qwen-image-2/text-to-image', { prompt: 'raw stream', guidance_scale: 3 });
    const entry = await held.next();
    const response = await fetch(`${server.url}/fal/fal-ai/qwen-image-2/requests/${json.request_id}/status/stream?logs=1`, { headers: { authorization: `Key ${server.key}` } });
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    assert.equal(response.headers.get('x-fal-request-id'), json.request_id);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    entry.release();
    let text = first;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    const events = text.split('\n\n').filter((block) => block.startsWith('data: ')).map((block) => JSON.parse(block.slice(6)));
    assert.equal(events[0].status, 'IN_PROGRESS');
    assert.equal(events.at(-1).status, 'COMPLETED');
    assert.equal(events.filter((event) => event.status === 'COMPLETED').length, 1);
    const lines = events.flatMap((event) => event.logs.map((line: any) => `${line.timestamp} ${line.message}`));
    assert.equal(new Set(lines).size, lines.length, 'no log line is sent twice');
    assert.ok(lines.some((line) => /guidance_scale has no equivalent/.test(line)));
    assert.ok(lines.some((line) => /1 image\(s\) stored$/.test(line)), lines.join('\n'));
  });

  it('fal.run answers synchronously; sync_mode returns data URIs', async () => {
    held.setOpen(true);
    try {
      const result = await fal.run('fal-ai/qwen-image-edit-plus', { input: { prompt: 'sync', image_urls: [images.url('/a.png')], sync_mode: true, image_size: 'square_hd' } });
      const image = (result.data as any).images[0];
      assert.match(image.url, /^data:image\/png;base64,/);
      assert.equal(image.width, 1328);
      assert.equal((await sharp(Buffer.from(image.url.split(',')[1], 'base64')).metadata()).height, 1328);
    } finally {
      held.setOpen(false);
    }
  });

  it('refuses uploads to fal storage with a clear message', async () => {
    await assert.rejects(fal.storage.upload(new Blob([Buffer.from('x')], { type: 'image/png' })), (error: ApiError<any>) => {
      assert.equal(error.status, 400);
      assert.match(error.body.detail, /http\(s\) URLs or data URIs/);
      return true;
    });
  });

  it('answers validation errors as 422 field lists, unknown apps as 404, bad keys as 401', async () => {
    await assert.rejects(fal.queue.submit('fal-ai/qwen-image-edit-plus', { input: { image_urls: [images.url('/a.png')] } as any }), (error: ValidationError) => {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(error.fieldErrors[0]?.loc, ['body', 'prompt']);
      return true;
    });
    await assert.rejects(fal.queue.submit('fal-ai/qwen-image-edit-plus', { input: { prompt: 'x', image_urls: ['ftp://nope'] } }), (error: ValidationError) => {
      assert.deepEqual(error.fieldErrors[0]?.loc, ['body', 'image_urls', 0]);
      return true;
    });
    await assert.rejects(fal.queue.submit('fal-ai/qwen-image-edit-plus', { input: { prompt: 'x' } as any }), (error: ValidationError) => {
      assert.deepEqual(error.fieldErrors[0]?.loc, ['body', 'image_urls']);
      return true;
    });
    const missing = await raw('POST', '/fal/fal-ai/flux/dev', { prompt: 'x' });
    assert.equal(missing.status, 404);
    assert.match(missing.json.detail, /fal-ai\/flux\/dev/);
    const unauthorized = await raw('GET', '/fal/fal-ai/qwen-image/requests/x/status', undefined, { authorization: 'Key wrong' });
    assert.equal(unauthorized.status, 401);
    const unknown = await raw('GET', '/fal/fal-ai/qwen-image/requests/nope/status');
    assert.equal(unknown.status, 404);
  });
});

describe('queue limits, start timeouts and cancel races', () => {
  let key: string;
  let metered: FalClient;
  const balance = async () => (await (await fetch(`${server.url}/v1/balance`, { headers: { authorization: `Bearer ${key}` } })).json()) as { balance: string; held: string };

  before(async () => {
    const created = await fetch(`${server.url}/admin/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'metered', balance: '10.00' }),
    });
    key = ((await created.json()) as any).key;
    metered = proxied(key);
  });

  it('refuses a submit while more requests wait than fal_max_queue_length (429)', async () => {
    const blocker = await raw('POST', '/fal/qwen/qwen-image-2.0', { prompt: 'hold the worker' });
    const entry = await held.next();
    const waiting = await raw('POST', '/fal/qwen/qwen-image-2.0', { prompt: 'queued' });
    const refused = await raw('POST', '/fal/qwen/qwen-image-2.0?fal_max_queue_length=0', { prompt: 'refused' });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('x-fal-error-type'), 'runner_scheduling_failure');
    assert.match(refused.json.detail, /fal_max_queue_length/);
    const accepted = await raw('POST', '/fal/qwen/qwen-image-2.0?fal_max_queue_length=1', { prompt: 'accepted' });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.json.queue_position, 1);
    for (const id of [waiting.json.request_id, accepted.json.request_id]) assert.equal((await raw('PUT', `/fal/qwen/qwen-image-2.0/requests/${id}/cancel`)).status, 202);
    entry.release();
    await resultOf(blocker.json.request_id);
  });

  it('cancels a request still queued at its x-fal-request-timeout and answers 504 (user timeout)', async () => {
    const blocker = await fal.queue.submit('qwen/qwen-image-2.0', { input: { prompt: 'hold the worker' } });
    const entry = await held.next();
    const late = await fal.queue.submit('qwen/qwen-image-2.0', { input: { prompt: 'too late' }, startTimeout: 1.2 });
    const status = await until(async () => {
      const current = await statusOf(fal, late.request_id);
      return current.status === 'COMPLETED' ? current : undefined;
    }, 'the start timeout');
    assert.equal(status.error_type, 'request_timeout');
    assert.ok(status.logs.some((line: any) => /x-fal-request-timeout/.test(line.message)));
    await assert.rejects(fal.queue.result('qwen/qwen-image-2.0', { requestId: late.request_id }), (error: ApiError<any>) => {
      assert.equal(error.status, 504);
      assert.equal(error.isUserTimeout, true);
      return true;
    });
    entry.release();
    await resultOf(blocker.request_id);
  });

  it('cancel while queued, while running, after completion and of an unknown id; a canceled task is never billed', async () => {
    const blocker = await fal.queue.submit('qwen/qwen-image-2.0', { input: { prompt: 'hold the worker' } });
    const entry = await held.next();

    const queued = await metered.queue.submit('qwen/qwen-image-2.0', { input: { prompt: 'cancel me while queued' } });
    assert.equal((await balance()).held, '0.20');
    const answers = await Promise.all(Array.from({ length: 4 }, () => raw('PUT', `/fal/qwen/qwen-image-2.0/requests/${queued.request_id}/cancel`, undefined, { authorization: `Key ${key}` })));
    assert.equal(answers.filter((a) => a.status === 202).length, 1, 'one cancel wins; the rest see it done');
    assert.ok(answers.filter((a) => a.status !== 202).every((a) => a.status === 400 && a.json.status === 'ALREADY_COMPLETED'));
    const canceled = await statusOf(metered, queued.request_id);
    assert.deepEqual([canceled.status, canceled.error_type], ['COMPLETED', 'client_cancelled']);
    await assert.rejects(metered.queue.result('qwen/qwen-image-2.0', { requestId: queued.request_id }), (error: ApiError<any>) => error.status === 499);
    entry.release();
    await resultOf(blocker.request_id);

    const running = await metered.queue.submit('qwen/qwen-image-2.0', { input: { prompt: 'cancel me while running' } });
    const call = await held.next();
    await until(async () => ((await statusOf(metered, running.request_id)).status === 'IN_PROGRESS' ? true : undefined), 'IN_PROGRESS');
    await metered.queue.cancel('qwen/qwen-image-2.0', { requestId: running.request_id });
    await until(async () => (call.call.signal.aborted ? true : undefined), 'the engine call to be aborted');
    const stopped = await until(async () => {
      const status = await statusOf(metered, running.request_id);
      return status.status === 'COMPLETED' ? status : undefined;
    }, 'the canceled task to end');
    assert.equal(stopped.error_type, 'client_cancelled');
    const after = await balance();
    assert.deepEqual([after.balance, after.held], ['10.00', '0.00'], 'canceled tasks cost nothing');

    held.setOpen(true);
    const finished = await metered.subscribe('qwen/qwen-image-2.0', { input: { prompt: 'finish me' }, pollInterval: 20 });
    held.setOpen(false);
    await assert.rejects(metered.queue.cancel('qwen/qwen-image-2.0', { requestId: finished.requestId }), (error: ApiError<any>) => {
      assert.equal(error.status, 400);
      assert.deepEqual(error.body, { status: 'ALREADY_COMPLETED' });
      return true;
    });
    await assert.rejects(metered.queue.cancel('qwen/qwen-image-2.0', { requestId: 'no-such-request' }), (error: ApiError<any>) => error.status === 404);
    assert.equal((await balance()).balance, '9.80', 'only the finished image was billed');
  });
});
