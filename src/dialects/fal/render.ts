/**
 * fal's answers (protocols.md §3.2–3.7): the submit body, the result `{images, seed, prompt,
 * has_nsfw_concepts, timings}`, and errors in fal's two shapes — model errors as
 * `{detail: [{loc, msg, type}]}` (422 for bad input), request errors as `{detail, error_type}`
 * with `x-fal-error-type`. Pure.
 */
import type { z } from 'zod';
import type { AppError, ErrorKind, TaskError } from '../../domain/errors.js';
import type { TaskRecord } from '../../domain/task.js';
import type { ErrorRenderer } from '../errors.js';
import type { WebhookEnvelope } from '../../services/webhooks.js';
import { fileNameOf, inferenceSeconds, queueStatusOf, type QueueLinks } from '../queue-common/status.js';
import { locOf } from '../queue-common/loc.js';
import type { falErrorBody, falResultAnswer, falSubmitAnswer } from './answers.js';

export interface FalError {
  status: number;
  headers: Record<string, string>;
  body: z.output<typeof falErrorBody>;
  /** For `error_type` on a COMPLETED status. */
  errorType: string;
  message: string;
}

interface Style {
  status: number;
  type: string;
  /** Model errors list the field; request errors are a flat `{detail, error_type}`. */
  shape: 'model' | 'request';
  retryable: boolean;
}

const STYLES: Record<ErrorKind, Style> = {
  invalid_parameter: { status: 422, type: 'value_error', shape: 'model', retryable: false },
  invalid_image: { status: 422, type: 'image_load_error', shape: 'model', retryable: false },
  invalid_url: { status: 422, type: 'file_download_error', shape: 'model', retryable: false },
  model_not_found: { status: 404, type: 'bad_request', shape: 'request', retryable: false },
  unauthorized: { status: 401, type: 'bad_request', shape: 'request', retryable: false },
  forbidden: { status: 403, type: 'bad_request', shape: 'request', retryable: false },
  // fal locks a key whose balance is exhausted with a 403.
  insufficient_balance: { status: 403, type: 'bad_request', shape: 'request', retryable: false },
  budget_exceeded: { status: 403, type: 'bad_request', shape: 'request', retryable: false },
  not_found: { status: 404, type: 'bad_request', shape: 'request', retryable: false },
  method_not_allowed: { status: 405, type: 'bad_request', shape: 'request', retryable: false },
  conflict: { status: 409, type: 'bad_request', shape: 'request', retryable: false },
  unsupported_operation: { status: 422, type: 'value_error', shape: 'model', retryable: false },
  payload_too_large: { status: 413, type: 'file_too_large', shape: 'model', retryable: false },
  content_blocked: { status: 422, type: 'content_policy_violation', shape: 'model', retryable: false },
  // A sync call that outlived its wait: 408, which fal-js does not retry (a retry would submit again).
  timeout: { status: 408, type: 'request_timeout', shape: 'request', retryable: false },
  request_timeout: { status: 408, type: 'request_timeout', shape: 'request', retryable: false },
  rate_limited: { status: 429, type: 'runner_scheduling_failure', shape: 'request', retryable: true },
  overloaded: { status: 503, type: 'runner_scheduling_failure', shape: 'request', retryable: true },
  engine_unavailable: { status: 500, type: 'downstream_service_unavailable', shape: 'model', retryable: true },
  engine_failed: { status: 500, type: 'downstream_service_error', shape: 'model', retryable: true },
  engine_rejected: { status: 422, type: 'value_error', shape: 'model', retryable: false },
  engine_timeout: { status: 504, type: 'generation_timeout', shape: 'model', retryable: true },
  canceled: { status: 499, type: 'client_cancelled', shape: 'request', retryable: false },
  unavailable: { status: 503, type: 'internal_server_error', shape: 'request', retryable: true },
  internal: { status: 500, type: 'internal_server_error', shape: 'model', retryable: false },
};

/** Header and query parameters: refused as malformed requests (400), not as model input (422). */
const REQUEST_FIELDS = new Set(['fal_webhook', 'fal_max_queue_length', 'x-fal-request-timeout', 'x-fal-target-url']);

export function falError(error: Pick<AppError, 'kind' | 'message' | 'field' | 'retryAfterSeconds'>): FalError {
  const badRequest = error.field !== undefined && REQUEST_FIELDS.has(error.field) && STYLES[error.kind].status === 422;
  const style = badRequest ? { status: 400, type: 'bad_request', shape: 'request' as const, retryable: false } : STYLES[error.kind];
  const headers: Record<string, string> = { 'x-fal-retryable': String(style.retryable) };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterSeconds));
  if (style.shape === 'request') {
    headers['x-fal-error-type'] = style.type;
    return { status: style.status, headers, body: { detail: error.message, error_type: style.type }, errorType: style.type, message: error.message };
  }
  const detail = [{ loc: locOf(error.field), msg: error.message, type: style.type }];
  return { status: style.status, headers, body: { detail }, errorType: style.type, message: error.message };
}

/** fal's error shapes for an HTTP answer. */
export const renderFalError: ErrorRenderer = (error) => falError(error);

/** Why a task did not succeed, in fal's terms; null for a successful task. */
export function falTaskFailure(task: TaskRecord, timedOut: boolean): FalError | null {
  if (task.status === 'canceled' && timedOut) {
    const message = 'Request timed out before processing started (x-fal-request-timeout).';
    return {
      status: 504,
      headers: { 'x-fal-error-type': 'request_timeout', 'x-fal-request-timeout-type': 'user', 'x-fal-retryable': 'false' },
      body: { detail: message, error_type: 'request_timeout' },
      errorType: 'request_timeout',
      message,
    };
  }
  if (task.status === 'canceled') return falError({ kind: 'canceled', message: 'The request was canceled.', field: undefined, retryAfterSeconds: undefined });
  if (task.status !== 'failed') return null;
  const failure: TaskError = task.error ?? { kind: 'internal', message: 'The request failed.' };
  return falError({ kind: failure.kind, message: failure.message, field: failure.field, retryAfterSeconds: undefined });
}

/** Statuses the fal client retries a queue GET on besides fal's own timeouts (504). */
const GET_RETRIED = new Set([429, 502, 503]);

/**
 * A queue result GET of an ended task: its ending is final, so a status the fal client would
 * retry the GET on (a gateway outage the task ended with answers 503) becomes a 500; the
 * x-fal-retryable header still says whether submitting the request again may succeed.
 */
export function finalResultFailure(failure: FalError): FalError {
  return GET_RETRIED.has(failure.status) ? { ...failure, status: 500 } : failure;
}

/** The submit answer; a replayed Idempotency-Key may answer a task that already moved on. */
export function submitBody(task: TaskRecord, links: QueueLinks, position: number): z.output<typeof falSubmitAnswer> {
  return { status: queueStatusOf(task.status), ...links, gateway_request_id: links.request_id, queue_position: position };
}

export interface FalImage {
  url: string;
  width: number;
  height: number;
  content_type: string;
  file_name: string;
  file_size: number;
}

/** The result of a succeeded task; `urls` are signed URLs, or data URIs under sync_mode. */
export function resultBody(task: TaskRecord, urls: readonly string[]): z.output<typeof falResultAnswer> {
  const images: FalImage[] = task.outputs.map((output, i) => ({
    url: urls[i] ?? '',
    width: output.width,
    height: output.height,
    content_type: output.contentType,
    file_name: fileNameOf(output, i),
    file_size: output.bytes,
  }));
  const seconds = inferenceSeconds(task);
  return {
    images,
    seed: task.spec.seed,
    prompt: task.actualPrompt ?? task.spec.prompt,
    has_nsfw_concepts: images.map(() => false),
    timings: seconds === undefined ? {} : { inference: seconds },
  };
}

export function dataUri(contentType: string, bytes: Buffer): string {
  return `data:${contentType};base64,${bytes.toString('base64')}`;
}

/** The webhook of a fal request: the result as payload, or the error body (always with URLs). */
export function falWebhook(task: TaskRecord, urls: readonly string[], timedOut: boolean): WebhookEnvelope {
  const failure = falTaskFailure(task, timedOut);
  const envelope = { request_id: task.id, gateway_request_id: task.id };
  if (!failure) return { ...envelope, status: 'OK', payload: resultBody(task, urls) };
  return { ...envelope, status: 'ERROR', payload: failure.body, error: failure.message };
}
