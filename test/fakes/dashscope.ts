/**
 * A fake DashScope (protocols.md §1): sync multimodal generation, async text2image tasks that move
 * PENDING → RUNNING → SUCCEEDED one step per query, cancel, and a "result host" path serving the
 * PNGs it made. It counts task queries in time so tests can check the 20-per-second budget, and
 * can be told to fail, throttle, hang or answer garbage. Several accounts can share it: each API
 * key of `keys` behaves as told (a good account, a revoked key, one in arrears, one without the
 * model, a slow one).
 */
import type { ServerResponse } from 'node:http';
import { areaSize, imageDimensions, misbehave, parseJson, parseSize, Script, sendJson, solidPng, startFakeServer, type FakeServer } from './dashscope-kit.js';

export type DashScopeRoute = 'sync' | 'submit' | 'task' | 'cancel' | 'result';

export interface FakeTask {
  id: string;
  model: string;
  body: any;
  queries: number;
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
  urls: string[];
}

/** How an account answers: as a good one, with an account error (task queries still answer for arrears and model access, as DashScope does), or slowly. */
export type FakeAccount = 'ok' | 'InvalidApiKey' | 'Arrearage' | 'Model.AccessDenied' | { delayMs: number };

export interface FakeDashScopeOptions {
  apiKey?: string;
  /** More accounts: API key → behaviour (the `apiKey` one is always 'ok' unless listed). */
  keys?: Record<string, FakeAccount>;
  /** Queries answered PENDING, then RUNNING, before a task succeeds. */
  pendingQueries?: number;
  runningQueries?: number;
  /** How a task ends; a code makes it FAILED. */
  taskFailure?: { code: string; message: string } | undefined;
  /** Prefix of every API path (e.g. /aliyun for 302.ai). */
  prefix?: string;
}

export interface FakeDashScope extends FakeServer {
  apiKey: string;
  options: Required<Omit<FakeDashScopeOptions, 'taskFailure' | 'keys'>> & { taskFailure?: { code: string; message: string } | undefined };
  script: Script<DashScopeRoute>;
  requests: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined>; body: any }>;
  tasks: Map<string, FakeTask>;
  /** The accounts by API key; change one to change how it answers from then on. */
  keys: Map<string, FakeAccount>;
  /** When each task query arrived (ms). */
  taskQueryTimes: number[];
  /** The most task queries seen in any window of `windowMs`. */
  maxQueriesPerWindow(windowMs?: number): number;
  /** Result images served, by path. */
  results: Map<string, Buffer>;
}

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';
const ASYNC = '/api/v1/services/aigc/text2image/image-synthesis';

function invalid(response: ServerResponse, message: string): void {
  sendJson(response, 400, { code: 'InvalidParameter', message, request_id: 'fake' });
}

export async function startFakeDashScope(options: FakeDashScopeOptions = {}): Promise<FakeDashScope> {
  const settings = { apiKey: options.apiKey ?? 'sk-fake-dashscope', pendingQueries: options.pendingQueries ?? 1, runningQueries: options.runningQueries ?? 1, prefix: options.prefix ?? '', taskFailure: options.taskFailure };
  const script = new Script<DashScopeRoute>();
  const requests: FakeDashScope['requests'] = [];
  const tasks = new Map<string, FakeTask>();
  const results = new Map<string, Buffer>();
  const taskQueryTimes: number[] = [];
  const keys = new Map<string, FakeAccount>([[settings.apiKey, 'ok'], ...Object.entries(options.keys ?? {})]);
  let counter = 0;
  let base = '';

  async function makeImages(width: number, height: number, seed: number, n: number): Promise<string[]> {
    const urls: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const path = `/results/${(counter += 1)}.png`;
      results.set(path, await solidPng(width, height, seed, i));
      urls.push(`${base}${path}?Expires=1999999999&Signature=fake`);
    }
    return urls;
  }

  async function sync(response: ServerResponse, body: any): Promise<void> {
    const content: any[] = body?.input?.messages?.[0]?.content;
    if (typeof body?.model !== 'string' || !Array.isArray(content)) return invalid(response, 'input.messages is required');
    const images = content.filter((c) => typeof c.image === 'string').map((c) => c.image as string);
    const texts = content.filter((c) => typeof c.text === 'string');
    if (texts.length !== 1) return invalid(response, 'exactly one text item is required');
    const parameters = body.parameters ?? {};
    const n = parameters.n ?? 1;
    let size = parseSize(parameters.size);
    if (!size) {
      const last = images.at(-1);
      const dims = last ? await imageDimensions(last) : undefined;
      size = dims ? areaSize(dims.width, dims.height) : { width: 1024, height: 1024 };
    }
    const urls = await makeImages(size.width, size.height, parameters.seed ?? 0, n);
    sendJson(response, 200, {
      output: { choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: urls.map((image) => ({ image })) } }] },
      usage: { width: size.width, height: size.height, image_count: n },
      request_id: `req-${counter}`,
    });
  }

  function submit(response: ServerResponse, body: any, headers: Record<string, string | string[] | undefined>): void {
    if (headers['x-dashscope-async'] !== 'enable') {
      return sendJson(response, 403, { code: 'AccessDenied', message: 'current user api does not support synchronous calls', request_id: 'fake' });
    }
    if (typeof body?.input?.prompt !== 'string') return invalid(response, 'input.prompt is required');
    const id = `task-${(counter += 1)}`;
    tasks.set(id, { id, model: body.model, body, queries: 0, status: 'PENDING', urls: [] });
    sendJson(response, 200, { output: { task_status: 'PENDING', task_id: id }, request_id: `req-${counter}` });
  }

  async function query(response: ServerResponse, id: string): Promise<void> {
    taskQueryTimes.push(Date.now());
    const task = tasks.get(id);
    if (!task) return sendJson(response, 200, { request_id: 'fake', output: { task_id: id, task_status: 'UNKNOWN' } });
    if (task.status === 'PENDING' || task.status === 'RUNNING') {
      task.queries += 1;
      if (task.queries > settings.pendingQueries + settings.runningQueries) {
        if (settings.taskFailure) {
          task.status = 'FAILED';
        } else {
          const parameters = task.body.parameters ?? {};
          const size = parseSize(parameters.size) ?? { width: 1664, height: 928 };
          task.urls = await makeImages(size.width, size.height, parameters.seed ?? 0, parameters.n ?? 1);
          task.status = 'SUCCEEDED';
        }
      } else if (task.queries > settings.pendingQueries) {
        task.status = 'RUNNING';
      }
    }
    const output: Record<string, unknown> = { task_id: id, task_status: task.status, submit_time: '2026-01-01 00:00:00.000' };
    if (task.status === 'SUCCEEDED') {
      output.results = task.urls.map((url) => ({ orig_prompt: task.body.input.prompt, actual_prompt: `${task.body.input.prompt}, richly detailed`, url }));
    }
    if (task.status === 'FAILED') Object.assign(output, settings.taskFailure);
    sendJson(response, 200, { request_id: 'fake', output, ...(task.status === 'SUCCEEDED' ? { usage: { image_count: task.urls.length } } : {}) });
  }

  function cancel(response: ServerResponse, id: string): void {
    const task = tasks.get(id);
    if (!task) return sendJson(response, 400, { code: 'UnsupportedOperation', message: 'task not found', request_id: 'fake' });
    if (task.status !== 'PENDING') return sendJson(response, 400, { code: 'UnsupportedOperation', message: `task is ${task.status}`, request_id: 'fake' });
    task.status = 'CANCELED';
    sendJson(response, 200, { request_id: 'fake' });
  }

  const fake = await startFakeServer(async (request, response, raw) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    const body = parseJson(raw);
    requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
    if (request.method === 'GET' && results.has(path)) {
      if (misbehave(response, script.next('result'))) return;
      const png = results.get(path) as Buffer;
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
      return;
    }
    const authorization = request.headers.authorization ?? '';
    const account = (authorization.startsWith('Bearer ') ? keys.get(authorization.slice('Bearer '.length)) : undefined) ?? 'InvalidApiKey';
    if (account === 'InvalidApiKey') {
      return sendJson(response, 401, { code: 'InvalidApiKey', message: 'Invalid API-key provided.', request_id: 'fake' });
    }
    if (typeof account === 'object') await new Promise((resolve) => setTimeout(resolve, account.delayMs));
    const api = settings.prefix && path.startsWith(settings.prefix) ? path.slice(settings.prefix.length) : path;
    const taskMatch = /^\/api\/v1\/tasks\/([^/]+)(\/cancel)?$/.exec(api);
    const route: DashScopeRoute | undefined =
      request.method === 'POST' && api === SYNC ? 'sync'
      : request.method === 'POST' && api === ASYNC ? 'submit'
      : taskMatch && request.method === 'GET' && !taskMatch[2] ? 'task'
      : taskMatch && request.method === 'POST' && taskMatch[2] ? 'cancel'
      : undefined;
    if (!route) return sendJson(response, 404, { code: 'NotFound', message: `no route ${request.method} ${path}`, request_id: 'fake' });
    if (misbehave(response, script.next(route))) {
      if (route === 'task') taskQueryTimes.push(Date.now());
      return;
    }
    // An account in arrears or without the model still reads its tasks; it cannot start one.
    if (account === 'Arrearage' && (route === 'sync' || route === 'submit')) {
      return sendJson(response, 400, { code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.', request_id: 'fake' });
    }
    if (account === 'Model.AccessDenied' && (route === 'sync' || route === 'submit')) {
      return sendJson(response, 403, { code: 'Model.AccessDenied', message: 'Model access denied.', request_id: 'fake' });
    }
    const id = decodeURIComponent(taskMatch?.[1] ?? '');
    if (route === 'sync') return sync(response, body);
    if (route === 'submit') return submit(response, body, request.headers);
    if (route === 'task') return query(response, id);
    return cancel(response, id);
  });
  base = fake.url;

  return {
    ...fake,
    apiKey: settings.apiKey,
    options: settings,
    script,
    requests,
    tasks,
    keys,
    taskQueryTimes,
    results,
    maxQueriesPerWindow(windowMs = 1000) {
      const times = [...taskQueryTimes].sort((a, b) => a - b);
      let best = 0;
      let start = 0;
      for (let end = 0; end < times.length; end += 1) {
        while ((times[end] as number) - (times[start] as number) >= windowMs) start += 1;
        best = Math.max(best, end - start + 1);
      }
      return best;
    },
  };
}
