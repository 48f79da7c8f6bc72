/**
 * The fal engine: fal's queue (protocols.md §3). Submit to `owner/app[/sub]`, poll
 * `owner/app/requests/{id}/status` until COMPLETED, then read `owner/app/requests/{id}`.
 */
import { AppError, throwIfAborted } from '../../domain/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { SafeFetch, SafeFetchResponse } from '../../lib/safe-fetch.js';
import type { Engine, EngineCall, EngineResult, JsonValue } from '../engine.js';
import { parseAnswer, readJson, upstreamFetch, type UpstreamCall } from '../upstream/http.js';
import type { InputMode } from '../upstream/media.js';
import { appPath, resolveEndpoint, type FalEndpoints } from './endpoints.js';
import {
  completedFailure,
  falFailure,
  falInput,
  falResult,
  operationSchema,
  resultAnswerSchema,
  statusAnswerSchema,
  submitAnswerSchema,
  type FalOperation,
} from './mapping.js';

export { DEFAULT_FAL_ENDPOINTS } from './endpoints.js';

export interface FalEngineOptions {
  name: string;
  /** The queue host, e.g. https://queue.fal.run. */
  baseUrl: string;
  apiKey: string;
  endpoints: FalEndpoints;
  models: readonly string[] | '*';
  inputs: InputMode;
  timeoutMs: number;
  fetch: SafeFetch;
  logger: Logger;
}

const POLL_MS = 1000;
const QUERY_TIMEOUT_MS = 15_000;

export function createFalEngine(options: FalEngineOptions): Engine {
  const label = `fal (${options.name})`;
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers = { authorization: `Key ${options.apiKey}`, accept: 'application/json', 'content-type': 'application/json' };

  async function send(method: 'GET' | 'POST' | 'PUT', path: string, call: UpstreamCall, body?: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<SafeFetchResponse> {
    return upstreamFetch(options.fetch, label, `${base}/${path}`, { method, headers, body, signal: call.signal, requestId: call.requestId, timeoutMs });
  }

  function ok(response: SafeFetchResponse): unknown {
    if (response.status < 200 || response.status > 299) throw falFailure(label, response);
    const json = readJson(response);
    if (json === undefined) throw new AppError('engine_failed', `${label} answered with a body that is not JSON.`);
    return json;
  }

  function readOperation(operation: JsonValue): FalOperation {
    const parsed = operationSchema.safeParse(operation);
    if (!parsed.success) throw new AppError('internal', `${label}: the saved operation ${JSON.stringify(operation)} is not a fal request handle.`);
    return parsed.data;
  }

  const requestPath = (handle: FalOperation) => `${appPath(handle.endpoint)}/requests/${encodeURIComponent(handle.requestId)}`;

  async function result(handle: FalOperation, call: EngineCall): Promise<EngineResult> {
    const answer = parseAnswer(label, ok(await send('GET', requestPath(handle), call, undefined, options.timeoutMs)), resultAnswerSchema);
    return falResult(label, answer, call, handle.warnings ?? []);
  }

  return {
    name: options.name,
    type: 'fal',
    capabilities: {
      models: options.models,
      maxImagesPerCall: 4,
      watermark: false,
      negativePrompt: true,
      // Only the 2.0 and Max endpoints can; the others say so in a warning.
      promptExtend: false,
      seed: true,
      cancelRunning: true,
    },
    async start(call) {
      throwIfAborted(call.signal);
      const endpoint = resolveEndpoint(options.endpoints, call);
      if (!endpoint) {
        throw new AppError('engine_unavailable', `${label} has no endpoint for ${call.model} (${call.kind}); add one under endpoints.`, { retryable: false });
      }
      const { input, warnings } = await falInput(call, endpoint.id, options.inputs);
      const answer = parseAnswer(label, ok(await send('POST', endpoint.id, call, JSON.stringify(input))), submitAnswerSchema);
      const operation: FalOperation = {
        requestId: answer.request_id,
        endpoint: endpoint.id,
        warnings: endpoint.warning ? [endpoint.warning, ...warnings] : warnings,
      };
      return { status: 'pending', operation, pollAfterMs: POLL_MS };
    },
    async poll(operation, call) {
      const handle = readOperation(operation);
      const status = parseAnswer(label, ok(await send('GET', `${requestPath(handle)}/status`, call)), statusAnswerSchema);
      if (status.status !== 'COMPLETED') {
        const phase = status.status === 'IN_QUEUE' ? `in queue${typeof status.queue_position === 'number' ? ` at position ${status.queue_position}` : ''}` : 'running';
        if (phase !== handle.phase) call.log(`${label}: request ${handle.requestId} ${phase}`);
        return { status: 'pending', operation: { ...handle, phase }, pollAfterMs: POLL_MS };
      }
      const failure = completedFailure(label, status, handle.requestId);
      if (failure) throw failure;
      return result(handle, call);
    },
    async cancel(operation, call) {
      const handle = readOperation(operation);
      const response = await send('PUT', `${requestPath(handle)}/cancel`, call);
      if (response.status >= 200 && response.status <= 299) return;
      // ALREADY_COMPLETED (400) and NOT_FOUND (404): nothing left to stop.
      if (response.status === 400 || response.status === 404) {
        options.logger.info({ engine: options.name, requestId: handle.requestId, status: response.status }, 'fal request was no longer cancelable');
        return;
      }
      throw falFailure(label, response);
    },
  };
}
