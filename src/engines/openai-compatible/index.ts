/**
 * The reseller engine: OpenAI-style upstreams that sell Qwen-Image (protocols.md §1.6, §2) in
 * three body styles. `dashscope`: a DashScope body on the reseller's path (302.ai, aigc.it);
 * `openai`: the OpenAI Images API; `nebula`: ai-nebula's `contents[].parts` body and envelope.
 * Every style answers at once; there is nothing to poll.
 */
import { AppError, throwIfAborted } from '../../domain/errors.js';
import type { SafeFetch } from '../../lib/safe-fetch.js';
import type { Engine, EngineDone } from '../engine.js';
import { upstreamFetch } from '../upstream/http.js';
import { readAnswer } from '../upstream/answers.js';
import { dashscopeStyleResult, nebulaResult, openAiResult, RESELLER_ERRORS } from './answers.js';
import { buildRequest, type StyleSettings } from './requests.js';

export type { ResellerStyle } from './requests.js';

export interface ResellerEngineOptions extends StyleSettings {
  name: string;
  baseUrl: string;
  apiKey: string;
  models: readonly string[] | '*';
  timeoutMs: number;
  fetch: SafeFetch;
}

/** 6 images of 2048² as base64 fit. */
const MAX_ANSWER_BYTES = 128 * 1024 * 1024;

const PROBE_TIMEOUT_MS = 15_000;

/** Where the upstream lists its models: beside the OpenAI-style endpoints (`<prefix>/models`), else `/v1/models`. */
function modelsPath(settings: StyleSettings): string {
  return settings.style === 'openai' ? `${settings.path ?? '/v1'}/models` : '/v1/models';
}

const READERS = { dashscope: dashscopeStyleResult, openai: openAiResult, nebula: nebulaResult } as const;

export function createResellerEngine(options: ResellerEngineOptions): Engine {
  const label = `${options.style} reseller (${options.name})`;
  const base = options.baseUrl.replace(/\/+$/, '');
  // The `openai` style cannot pass the watermark on; the runner draws it.
  const nativeWatermark = options.style !== 'openai';
  return {
    name: options.name,
    type: 'openai-compatible',
    capabilities: {
      models: options.models,
      maxImagesPerCall: 6,
      watermark: nativeWatermark,
      negativePrompt: true,
      promptExtend: true,
      seed: true,
      cancelRunning: false,
    },
    async start(call): Promise<EngineDone> {
      throwIfAborted(call.signal);
      const request = await buildRequest(call, options);
      const response = await upstreamFetch(options.fetch, label, `${base}${request.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': request.contentType, accept: 'application/json' },
        body: request.body,
        signal: call.signal,
        requestId: call.requestId,
        timeoutMs: options.timeoutMs,
        maxBytes: MAX_ANSWER_BYTES,
      });
      return READERS[options.style](label, readAnswer(label, response, RESELLER_ERRORS), call);
    },
    /** The model list: any key the upstream accepts may read it, a refused one gets its auth error. */
    async probe(signal: AbortSignal) {
      const response = await upstreamFetch(options.fetch, label, `${base}${modelsPath(options)}`, {
        method: 'GET', headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' }, signal, timeoutMs: PROBE_TIMEOUT_MS,
      });
      readAnswer(label, response, RESELLER_ERRORS);
    },
    async poll() {
      throw new AppError('internal', `${label} finishes every call in start; there is nothing to poll.`);
    },
    async cancel() {},
  };
}
