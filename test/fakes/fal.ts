/**
 * A fake fal queue (protocols.md §3): submit to `owner/app[/sub]`, status and result under
 * `owner/app/requests/{id}` (the sub-path dropped), cancel. A request moves IN_QUEUE →
 * IN_PROGRESS → COMPLETED one step per status query; it can be told to fail (COMPLETED with
 * `error`/`error_type`), flag images as NSFW, throttle, hang or answer garbage.
 */
import type { ServerResponse } from 'node:http';
import { areaSize, imageDimensions, misbehave, parseJson, Script, sendJson, solidPng, startFakeServer, type FakeServer } from './dashscope-kit.js';

export type FalRoute = 'submit' | 'status' | 'result' | 'cancel' | 'file';

export interface FakeFalRequest {
  id: string;
  endpoint: string;
  input: any;
  statusQueries: number;
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  canceled: boolean;
  error?: { error: string; error_type: string } | undefined;
  images: Array<{ url: string; width: number; height: number; content_type: string }>;
}

export interface FakeFalOptions {
  apiKey?: string;
  /** Status queries answered IN_QUEUE, then IN_PROGRESS. */
  queuedQueries?: number;
  runningQueries?: number;
  /** Makes requests end COMPLETED with this error. */
  failure?: { error: string; error_type: string } | undefined;
  /** Indices of images the safety checker flags. */
  nsfw?: number[];
}

export interface FakeFal extends FakeServer {
  apiKey: string;
  options: FakeFalOptions;
  script: Script<FalRoute>;
  requests: Map<string, FakeFalRequest>;
  log: Array<{ method: string; path: string }>;
}

const REQUEST_PATH = /^\/([^/]+)\/([^/]+)\/requests\/([^/]+)(\/status|\/cancel)?$/;

export async function startFakeFal(options: FakeFalOptions = {}): Promise<FakeFal> {
  const apiKey = options.apiKey ?? 'fal-key-id:fal-key-secret';
  const script = new Script<FalRoute>();
  const requests = new Map<string, FakeFalRequest>();
  const files = new Map<string, Buffer>();
  const log: FakeFal['log'] = [];
  let counter = 0;
  let base = '';

  async function complete(request: FakeFalRequest): Promise<void> {
    request.status = 'COMPLETED';
    if (options.failure) {
      request.error = options.failure;
      return;
    }
    const input = request.input;
    const last: string | undefined = input.image_urls?.at(-1);
    const dims = typeof input.image_size !== 'object' && last ? await imageDimensions(last) : undefined;
    const size = typeof input.image_size === 'object' ? input.image_size : dims ? areaSize(dims.width, dims.height) : { width: 1024, height: 1024 };
    for (let i = 0; i < (input.num_images ?? 1); i += 1) {
      const path = `/files/${(counter += 1)}.png`;
      files.set(path, await solidPng(size.width, size.height, input.seed ?? 0, i));
      request.images.push({ url: `${base}${path}`, width: size.width, height: size.height, content_type: 'image/png' });
    }
  }

  function statusBody(request: FakeFalRequest) {
    const app = request.endpoint.split('/').slice(0, 2).join('/');
    const links = {
      request_id: request.id,
      response_url: `${base}/${app}/requests/${request.id}`,
      status_url: `${base}/${app}/requests/${request.id}/status`,
      cancel_url: `${base}/${app}/requests/${request.id}/cancel`,
    };
    if (request.status === 'IN_QUEUE') return { status: request.status, ...links, queue_position: Math.max(0, (options.queuedQueries ?? 1) - request.statusQueries) };
    if (request.status === 'IN_PROGRESS') return { status: request.status, ...links, logs: [] };
    return { status: request.status, ...links, logs: [], metrics: { inference_time: 1.5 }, ...(request.error ?? {}) };
  }

  async function submit(response: ServerResponse, endpoint: string, input: any): Promise<void> {
    if (typeof input?.prompt !== 'string' || input.prompt === '') {
      return sendJson(response, 422, { detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' }] });
    }
    const id = `req-${(counter += 1)}`;
    const request: FakeFalRequest = { id, endpoint, input, statusQueries: 0, status: 'IN_QUEUE', canceled: false, images: [] };
    requests.set(id, request);
    sendJson(response, 200, { ...statusBody(request), gateway_request_id: id });
  }

  async function status(response: ServerResponse, request: FakeFalRequest): Promise<void> {
    if (request.status !== 'COMPLETED') {
      request.statusQueries += 1;
      const queued = options.queuedQueries ?? 1;
      if (request.statusQueries > queued + (options.runningQueries ?? 1)) await complete(request);
      else if (request.statusQueries > queued) request.status = 'IN_PROGRESS';
    }
    sendJson(response, request.status === 'COMPLETED' ? 200 : 202, statusBody(request));
  }

  function result(response: ServerResponse, request: FakeFalRequest): void {
    if (request.status !== 'COMPLETED') return sendJson(response, 400, { detail: 'Request is still in progress' });
    if (request.error) return sendJson(response, 500, { detail: request.error.error }, { 'x-fal-error-type': request.error.error_type });
    const flags = request.images.map((_, i) => (options.nsfw ?? []).includes(i));
    sendJson(response, 200, { images: request.images, seed: request.input.seed ?? 0, prompt: request.input.prompt, has_nsfw_concepts: flags, timings: { inference: 1.5 } });
  }

  function cancel(response: ServerResponse, request: FakeFalRequest): void {
    if (request.status === 'COMPLETED') return sendJson(response, 400, { status: 'ALREADY_COMPLETED' });
    request.canceled = true;
    request.status = 'COMPLETED';
    request.error = { error: 'Request was canceled', error_type: 'CANCELED' };
    sendJson(response, 202, { status: 'CANCELLATION_REQUESTED' });
  }

  const fake = await startFakeServer(async (request, response, raw) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    log.push({ method: request.method ?? 'GET', path });
    if (request.method === 'GET' && files.has(path)) {
      if (misbehave(response, script.next('file'))) return;
      const png = files.get(path) as Buffer;
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
      return;
    }
    if (request.headers.authorization !== `Key ${apiKey}`) return sendJson(response, 401, { detail: 'Unauthorized: invalid key' });
    const match = REQUEST_PATH.exec(path);
    if (!match) {
      if (request.method !== 'POST') return sendJson(response, 405, { detail: 'Method not allowed' });
      if (misbehave(response, script.next('submit'))) return;
      return submit(response, path.slice(1), parseJson(raw));
    }
    const stored = requests.get(decodeURIComponent(match[3] as string));
    const route: FalRoute = match[4] === '/status' ? 'status' : match[4] === '/cancel' ? 'cancel' : 'result';
    const app = `${match[1]}/${match[2]}`;
    if (!stored || stored.endpoint.split('/').slice(0, 2).join('/') !== app) return sendJson(response, 404, { status: 'NOT_FOUND', detail: 'Request not found' });
    if (misbehave(response, script.next(route))) return;
    if (route === 'status' && request.method === 'GET') return status(response, stored);
    if (route === 'cancel' && request.method === 'PUT') return cancel(response, stored);
    if (route === 'result' && request.method === 'GET') return result(response, stored);
    sendJson(response, 405, { detail: 'Method not allowed' });
  });
  base = fake.url;
  return { ...fake, apiKey, options, script, requests, log };
}
