/**
 * `createClient`: the DashScope-native API of this gateway — and of DashScope itself, since the
 * wire is the same: only the base URL and the key differ.
 */
import { imageReference } from './images.js';
import {
  DEFAULT_EDIT_MODEL,
  DEFAULT_GENERATE_MODEL,
  imageList,
  messagesBody,
  promptBody,
  type EditRequest,
  type GenerateRequest,
} from './requests.js';
import { syncResult, taskInfo, type ImageResult, type TaskInfo } from './results.js';
import { Tasks, type RequestOptions, type WaitOptions } from './tasks.js';
import { Transport, type RetryNotice } from './transport.js';
import { submitAnswer, syncAnswer } from './shapes.js';
import type { BalanceAnswer, DashScopeSubmitAnswer, ModelList } from './wire.generated.js';

export interface ClientOptions {
  /**
   * The server: `http://127.0.0.1:8080` for this gateway, `https://dashscope.aliyuncs.com` (or
   * `https://dashscope-intl.aliyuncs.com`) for DashScope. A trailing `/api/v1` is accepted.
   */
  baseUrl?: string;
  apiKey: string;
  /** A fetch to use instead of the global one (a proxy, a test). */
  fetch?: typeof globalThis.fetch;
  /** Per HTTP attempt, in ms; default 10 minutes (a sync edit waits for its images). */
  timeoutMs?: number;
  /** Retries on 408, 429, 5xx and network failures; default 2. */
  maxRetries?: number;
  /** Headers sent with every call (`X-DashScope-WorkSpace`, …). */
  headers?: Readonly<Record<string, string>>;
  /** Called before each retry (a 429, a 503, a dropped connection), e.g. to tell a user why it waits. */
  onRetry?: (retry: RetryNotice) => void;
}

export interface CallOptions extends RequestOptions {
  /** Makes retries of this submission return the same task; one is generated when absent. */
  idempotencyKey?: string;
}

export interface AsyncOptions extends CallOptions {
  /** Return a task handle at once instead of waiting for the images. */
  async: true;
}

/** A submitted task, with its id bound. */
export interface TaskHandle {
  id: string;
  status: TaskInfo['status'];
  requestId: string | null;
  get(options?: RequestOptions): Promise<TaskInfo>;
  wait(options?: WaitOptions): Promise<ImageResult>;
  cancel(options?: RequestOptions): Promise<{ id: string; status: 'CANCELED'; requestId: string | null }>;
}

export interface QigClient {
  /** Edits one to three images; waits for the results unless `{ async: true }`. */
  edit(request: EditRequest, options?: CallOptions & { async?: false }): Promise<ImageResult>;
  edit(request: EditRequest, options: AsyncOptions): Promise<TaskHandle>;
  /** Text to image; waits for the results unless `{ async: true }`. */
  generate(request: GenerateRequest, options?: CallOptions & { async?: false }): Promise<ImageResult>;
  generate(request: GenerateRequest, options: AsyncOptions): Promise<TaskHandle>;
  tasks: Tasks;
  /** This gateway's model catalog (`GET /v1/models`; DashScope has no such route). */
  models(options?: RequestOptions): Promise<ModelList>;
  /** The key's balance on this gateway (`GET /v1/balance`; DashScope has no such route). */
  balance(options?: RequestOptions): Promise<BalanceAnswer>;
}

const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';
const SYNC_PATH = '/services/aigc/multimodal-generation/generation';
const ASYNC_TEXT_PATH = '/services/aigc/text2image/image-synthesis';

/** `https://host[/prefix][/api/v1][/]` → the API base and the root the gateway's own routes hang from. */
export function basesOf(baseUrl: string): { apiBase: string; root: string } {
  const url = new URL(baseUrl);
  const root = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}`;
  return { apiBase: `${root}/api/v1`, root };
}

export function createClient(options: ClientOptions): QigClient {
  if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new TypeError('createClient: apiKey is required.');
  const fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const transport = new Transport({
    ...basesOf(options.baseUrl ?? DEFAULT_BASE_URL),
    apiKey: options.apiKey,
    fetch,
    timeoutMs,
    maxRetries: options.maxRetries ?? 2,
    headers: options.headers ?? {},
    onRetry: options.onRetry,
  });
  const downloader = { fetch, timeoutMs };
  const tasks = new Tasks(transport, downloader);

  const handle = (answer: DashScopeSubmitAnswer): TaskHandle => {
    const id = answer.output.task_id;
    return {
      id,
      status: taskInfo(answer.output, answer.request_id).status,
      requestId: answer.request_id,
      get: (o) => tasks.get(id, o),
      wait: (o) => tasks.wait(id, o),
      cancel: (o) => tasks.cancel(id, o),
    };
  };

  async function submit(path: string, body: unknown, call: CallOptions & { async?: boolean }): Promise<ImageResult | TaskHandle> {
    const exchange = {
      method: 'POST' as const,
      path,
      body,
      signal: call.signal,
      timeoutMs: call.timeoutMs,
      idempotencyKey: call.idempotencyKey ?? crypto.randomUUID(),
    };
    if (call.async) {
      const submitted = await transport.send<unknown>({ ...exchange, headers: { 'X-DashScope-Async': 'enable' } });
      return handle(submitAnswer(submitted.body, submitted.requestId));
    }
    const answered = await transport.send<unknown>(exchange);
    return syncResult(downloader, syncAnswer(answered.body, answered.requestId));
  }

  async function edit(request: EditRequest, call: CallOptions & { async?: boolean } = {}): Promise<ImageResult | TaskHandle> {
    call.signal?.throwIfAborted();
    const refs = await Promise.all(imageList(request.images).map((image, i) => imageReference(image, `images[${i}]`)));
    return submit(SYNC_PATH, messagesBody(request.model ?? DEFAULT_EDIT_MODEL, refs, request.prompt, request), call);
  }

  async function generate(request: GenerateRequest, call: CallOptions & { async?: boolean } = {}): Promise<ImageResult | TaskHandle> {
    const model = request.model ?? DEFAULT_GENERATE_MODEL;
    // DashScope's async text-to-image is its own route with `input.prompt`; the sync one takes messages.
    if (call.async) return submit(ASYNC_TEXT_PATH, promptBody(model, request), call);
    return submit(SYNC_PATH, messagesBody(model, [], request.prompt, request), call);
  }

  return {
    edit: edit as QigClient['edit'],
    generate: generate as QigClient['generate'],
    tasks,
    models: async (o = {}) => (await transport.send<ModelList>({ method: 'GET', path: '~/v1/models', signal: o.signal, timeoutMs: o.timeoutMs })).body,
    balance: async (o = {}) => (await transport.send<BalanceAnswer>({ method: 'GET', path: '~/v1/balance', signal: o.signal, timeoutMs: o.timeoutMs })).body,
  };
}
