/**
 * SeaArt's answers (protocols.md §3.10): the result `{request_id, outputs, metadata}`, failures
 * as COMPLETED with `error_type` (INFERENCE_FAILURE, INFERENCE_TIMEOUT, REQUEST_INVALID,
 * CONTENT_BLOCKED, CANCELED, INTERNAL_SERVER_ERROR), and errors in its two shapes: the gateway's
 * `{error: {code, message}, request_id}` (auth, rate, balance) and the app's `{detail}` — request
 * validation as 422 `{detail: [{loc, msg, type}]}` like fal, which SeaArt clones. Pure.
 */
import type { z } from 'zod';
import type { AppError, ErrorKind } from '../../domain/errors.js';
import type { TaskRecord } from '../../domain/task.js';
import type { ErrorRenderer } from '../errors.js';
import type { WebhookEnvelope } from '../../services/webhooks.js';
import { locOf } from '../queue-common/loc.js';
import { fileNameOf } from '../queue-common/status.js';
import type { seaartErrorBody, seaartFailureAnswer, seaartResultAnswer } from './answers.js';

export type SeaArtErrorType = 'INFERENCE_FAILURE' | 'INFERENCE_TIMEOUT' | 'REQUEST_INVALID' | 'CONTENT_BLOCKED' | 'CANCELED' | 'INTERNAL_SERVER_ERROR';

const ERROR_TYPES: Record<ErrorKind, SeaArtErrorType> = {
  invalid_parameter: 'REQUEST_INVALID',
  invalid_image: 'REQUEST_INVALID',
  invalid_url: 'REQUEST_INVALID',
  model_not_found: 'REQUEST_INVALID',
  unsupported_operation: 'REQUEST_INVALID',
  payload_too_large: 'REQUEST_INVALID',
  engine_rejected: 'REQUEST_INVALID',
  content_blocked: 'CONTENT_BLOCKED',
  timeout: 'INFERENCE_TIMEOUT',
  request_timeout: 'REQUEST_INVALID',
  engine_timeout: 'INFERENCE_TIMEOUT',
  engine_failed: 'INFERENCE_FAILURE',
  engine_unavailable: 'INFERENCE_FAILURE',
  rate_limited: 'INFERENCE_FAILURE',
  overloaded: 'INFERENCE_FAILURE',
  canceled: 'CANCELED',
  unauthorized: 'INTERNAL_SERVER_ERROR',
  forbidden: 'INTERNAL_SERVER_ERROR',
  insufficient_balance: 'INTERNAL_SERVER_ERROR',
  budget_exceeded: 'INTERNAL_SERVER_ERROR',
  not_found: 'INTERNAL_SERVER_ERROR',
  method_not_allowed: 'INTERNAL_SERVER_ERROR',
  conflict: 'INTERNAL_SERVER_ERROR',
  unavailable: 'INTERNAL_SERVER_ERROR',
  internal: 'INTERNAL_SERVER_ERROR',
};

const FAILURE_STATUS: Record<SeaArtErrorType, number> = {
  REQUEST_INVALID: 422,
  CONTENT_BLOCKED: 422,
  INFERENCE_TIMEOUT: 504,
  INFERENCE_FAILURE: 500,
  CANCELED: 400,
  INTERNAL_SERVER_ERROR: 500,
};

/** Why a task did not succeed, as `error` and `error_type`; null for a successful or unfinished task. */
export function seaartFailure(task: TaskRecord): { error: string; error_type: SeaArtErrorType } | null {
  if (task.status === 'canceled') return { error: 'The request was canceled.', error_type: 'CANCELED' };
  if (task.status !== 'failed') return null;
  const failure = task.error ?? { kind: 'internal' as const, message: 'The request failed.' };
  return { error: failure.message, error_type: ERROR_TYPES[failure.kind] };
}

/** The `…/response` answer of a task that did not succeed. */
export function failureResponse(task: TaskRecord, failure: { error: string; error_type: SeaArtErrorType }): { status: number; body: z.output<typeof seaartFailureAnswer> } {
  return { status: FAILURE_STATUS[failure.error_type], body: { request_id: task.id, detail: failure.error, error_type: failure.error_type } };
}

export function resultBody(task: TaskRecord, urls: readonly string[]): z.output<typeof seaartResultAnswer> {
  return {
    request_id: task.id,
    outputs: task.outputs.map((output, i) => ({
      type: 'image' as const,
      url: urls[i] ?? '',
      content_type: output.contentType,
      file_name: fileNameOf(output, i),
      width: output.width,
      height: output.height,
    })),
    metadata: { prompt: task.actualPrompt ?? task.spec.prompt },
  };
}

export function seaartWebhook(task: TaskRecord, urls: readonly string[]): WebhookEnvelope {
  const envelope = { request_id: task.id, gateway_request_id: task.id };
  const failure = seaartFailure(task);
  if (!failure) return { ...envelope, status: 'OK', payload: resultBody(task, urls) };
  return { ...envelope, status: 'ERROR', payload: failureResponse(task, failure).body, error: failure.error };
}

/** Kinds answered by SeaArt's gateway layer, with its codes. */
const GATEWAY: Partial<Record<ErrorKind, { status: number; code: string }>> = {
  unauthorized: { status: 401, code: 'UNAUTHORIZED' },
  rate_limited: { status: 429, code: 'RATE_LIMIT_EXCEEDED' },
  insufficient_balance: { status: 402, code: 'INSUFFICIENT_BALANCE' },
  budget_exceeded: { status: 402, code: 'BUDGET_EXCEEDED' },
  overloaded: { status: 503, code: 'SERVICE_UNAVAILABLE' },
  unavailable: { status: 503, code: 'SERVICE_UNAVAILABLE' },
  payload_too_large: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
};

const VALIDATION: ReadonlySet<ErrorKind> = new Set(['invalid_parameter', 'invalid_image', 'invalid_url', 'unsupported_operation', 'engine_rejected', 'content_blocked']);

const APP_STATUS: Partial<Record<ErrorKind, number>> = {
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  model_not_found: 404,
  conflict: 409,
  timeout: 504,
  request_timeout: 408,
  canceled: 400,
};

export function seaartError(error: Pick<AppError, 'kind' | 'message' | 'field' | 'retryAfterSeconds'>, requestId: string): { status: number; headers: Record<string, string>; body: z.output<typeof seaartErrorBody> } {
  const headers: Record<string, string> = error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(Math.ceil(error.retryAfterSeconds)) };
  const gateway = GATEWAY[error.kind];
  if (gateway) return { status: gateway.status, headers, body: { error: { code: gateway.code, message: error.message }, request_id: requestId } };
  // A refused webhook URL is a bad request, not a model input.
  if (error.field === 'webhook') return { status: 400, headers, body: { detail: error.message } };
  if (VALIDATION.has(error.kind)) {
    const type = error.kind === 'content_blocked' ? 'content_policy_violation' : 'value_error';
    return { status: 422, headers, body: { detail: [{ loc: locOf(error.field), msg: error.message, type }] } };
  }
  return { status: APP_STATUS[error.kind] ?? 500, headers, body: { detail: error.message } };
}

export const renderSeaArtError: ErrorRenderer = (error, request) => seaartError(error, request.id);
