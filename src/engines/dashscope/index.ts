/**
 * The DashScope engine (Alibaba Model Studio, protocols.md §1): sync multimodal generation for
 * the edit models and the 2.0/max generators, async text2image tasks for qwen-image(-plus).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { throwIfAborted } from '../../domain/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { SafeFetch } from '../../lib/safe-fetch.js';
import type { Engine, EngineCall, EngineResult, JsonValue } from '../engine.js';
import { parseAnswer, upstreamFetch } from '../upstream/http.js';
import type { InputMode } from '../upstream/media.js';
import {
  asyncText2ImageBody,
  pending,
  readDashScopeAnswer,
  readOperation,
  syncBody,
  syncResult,
  taskResult,
  usesAsyncText2Image,
} from './mapping.js';
import { RateBudget } from './rate-budget.js';
import { ASYNC_TEXT2IMAGE_PATH, SYNC_PATH, submitAnswerSchema, syncAnswerSchema, taskAnswerSchema, taskPath } from './wire.js';

export const DASHSCOPE_REGIONS = {
  beijing: 'https://dashscope.aliyuncs.com',
  singapore: 'https://dashscope-intl.aliyuncs.com',
} as const;

export type DashScopeRegion = keyof typeof DASHSCOPE_REGIONS;

/** The host part of a base URL; the SDK's form ending in /api/v1 is accepted too. */
export function dashscopeBaseUrl(baseUrl: string | undefined, region: DashScopeRegion = 'beijing'): string {
  return (baseUrl ?? DASHSCOPE_REGIONS[region]).replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

export interface DashScopeEngineOptions {
  name: string;
  /** e.g. https://dashscope.aliyuncs.com (see dashscopeBaseUrl). */
  baseUrl: string;
  apiKey: string;
  workspace?: string | undefined;
  inputs: InputMode;
  models: readonly string[] | '*';
  /** Task queries per second for this account (DashScope allows 20). */
  taskQueriesPerSecond: number;
  /** Time allowed for one sync generation. */
  timeoutMs: number;
  fetch: SafeFetch;
  logger: Logger;
  clock: Clock;
}

const QUERY_TIMEOUT_MS = 15_000;

export function createDashScopeEngine(options: DashScopeEngineOptions): Engine {
  const label = `DashScope (${options.name})`;
  const budget = new RateBudget(options.taskQueriesPerSecond, 1000, options.clock);
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    authorization: `Bearer ${options.apiKey}`,
    'content-type': 'application/json',
    ...(options.workspace ? { 'x-dashscope-workspace': options.workspace } : {}),
    ...extra,
  });
  const url = (path: string) => `${options.baseUrl}${path}`;

  async function generateSync(call: EngineCall): Promise<EngineResult> {
    const body = JSON.stringify(await syncBody(call, options.inputs));
    const response = await upstreamFetch(options.fetch, label, url(SYNC_PATH), {
      method: 'POST', headers: headers(), body, signal: call.signal, requestId: call.requestId, timeoutMs: options.timeoutMs,
    });
    return syncResult(label, parseAnswer(label, readDashScopeAnswer(label, response), syncAnswerSchema), call);
  }

  async function submitText2Image(call: EngineCall): Promise<EngineResult> {
    const response = await upstreamFetch(options.fetch, label, url(ASYNC_TEXT2IMAGE_PATH), {
      method: 'POST', headers: headers({ 'x-dashscope-async': 'enable' }), body: JSON.stringify(asyncText2ImageBody(call)), signal: call.signal, requestId: call.requestId, timeoutMs: QUERY_TIMEOUT_MS,
    });
    const answer = parseAnswer(label, readDashScopeAnswer(label, response), submitAnswerSchema);
    return pending({ taskId: answer.output.task_id, polls: 0, status: answer.output.task_status });
  }

  return {
    name: options.name,
    type: 'dashscope',
    capabilities: {
      models: options.models,
      maxImagesPerCall: 6,
      watermark: true,
      negativePrompt: true,
      promptExtend: true,
      seed: true,
      // Only PENDING tasks can be canceled, and sync calls not at all.
      cancelRunning: false,
    },
    async start(call) {
      throwIfAborted(call.signal);
      return usesAsyncText2Image(call) ? submitText2Image(call) : generateSync(call);
    },
    async poll(operation: JsonValue, call) {
      const handle = readOperation(label, operation);
      const response = await budget.use(call.signal, () =>
        upstreamFetch(options.fetch, label, url(taskPath(handle.taskId)), { method: 'GET', headers: headers(), signal: call.signal, requestId: call.requestId, timeoutMs: QUERY_TIMEOUT_MS }),
      );
      const answer = parseAnswer(label, readDashScopeAnswer(label, response), taskAnswerSchema);
      return taskResult(label, answer, { ...handle, polls: handle.polls + 1 }, call);
    },
    /** A query for a task id no account has: DashScope answers UNKNOWN to a good key, and its account errors to a bad one. */
    async probe(signal: AbortSignal) {
      const response = await budget.use(signal, () =>
        upstreamFetch(options.fetch, label, url(taskPath(`qig-probe-${randomUUID()}`)), { method: 'GET', headers: headers(), signal, timeoutMs: QUERY_TIMEOUT_MS }),
      );
      readDashScopeAnswer(label, response);
    },
    async cancel(operation: JsonValue, call) {
      const handle = readOperation(label, operation);
      const response = await upstreamFetch(options.fetch, label, url(`${taskPath(handle.taskId)}/cancel`), {
        method: 'POST', headers: headers(), signal: call.signal, requestId: call.requestId, timeoutMs: QUERY_TIMEOUT_MS,
      });
      // Only PENDING tasks can be canceled; a running one finishes and the runner drops it.
      if (response.status === 400) {
        options.logger.info({ engine: options.name, taskId: handle.taskId }, 'DashScope task was no longer pending; not canceled');
        return;
      }
      readDashScopeAnswer(label, response);
    },
  };
}
