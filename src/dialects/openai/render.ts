/**
 * OpenAI Images answers (protocols.md §2.4–2.6): the images response, stream events, and errors
 * as `{error: {message, type, param, code}}` with the statuses the openai SDKs map to their error
 * classes and the retry hints they honour. Pure.
 */
import type { z } from 'zod';
import type { AppError, ErrorKind } from '../../domain/errors.js';
import { formatSize } from '../../domain/size.js';
import type { TaskRecord } from '../../domain/task.js';
import type { ErrorRenderer } from '../errors.js';
import { openAiResponseSize, type openAiErrorBody, type openAiImagesResponse } from './answers.js';

export interface ImageItem {
  url?: string;
  b64_json?: string;
}

/** The local engine's warning that its text-to-image output is a placeholder (src/engines/local/generate.ts). */
const PLACEHOLDER = /renders a procedural placeholder/;

/**
 * The prompt the engine used, only when prompt_extend rewrote the one asked: OpenAI sends
 * `revised_prompt` only when the model revised the prompt. A task's actual prompt is also set
 * without any rewriting — the local engine's plan as it read the instruction, or the description
 * of its text-to-image placeholder — and that is no revision.
 */
export function revisedPrompt(task: TaskRecord): string | undefined {
  const actual = task.actualPrompt;
  if (!task.spec.promptExtend || actual === null || actual.trim() === '' || actual === task.spec.prompt) return undefined;
  return task.warnings.some((warning) => PLACEHOLDER.test(warning)) ? undefined : actual;
}

function created(task: TaskRecord): number {
  return Math.floor((task.finishedAt ?? task.createdAt) / 1000);
}

/**
 * The sizes OpenAI's published schema allows in an answer (`ImagesResponse.size` is an enum): a
 * client generated from that schema rejects any other, so another size is left out (the images
 * carry their own), and stream events say "auto", which their schema allows.
 */
const OPENAI_SIZES = openAiResponseSize.options;

function answerSize(task: TaskRecord): (typeof OPENAI_SIZES)[number] | undefined {
  const size = formatSize({ width: task.usage?.width ?? task.spec.size.width, height: task.usage?.height ?? task.spec.size.height }, 'x');
  return OPENAI_SIZES.find((allowed) => allowed === size);
}

/** Token counts have no meaning for Qwen-Image; the schema requires them, so they are zero. */
const USAGE = { input_tokens: 0, input_tokens_details: { image_tokens: 0, text_tokens: 0 }, output_tokens: 0, total_tokens: 0 };

export function imagesResponse(task: TaskRecord, items: ImageItem[]): z.output<typeof openAiImagesResponse> {
  const revised = revisedPrompt(task);
  const size = answerSize(task);
  return {
    created: created(task),
    data: items.map((item) => ({ ...item, ...(revised === undefined ? {} : { revised_prompt: revised }) })),
    ...(size === undefined ? {} : { size }),
    output_format: task.spec.outputFormat,
    usage: USAGE,
  };
}

/** One SSE event per image: `image_generation.completed` or `image_edit.completed`. */
export function completedEvent(kind: 'generation' | 'edit', task: TaskRecord, b64: string) {
  const type = kind === 'generation' ? 'image_generation.completed' : 'image_edit.completed';
  const response = imagesResponse(task, [{ b64_json: b64 }]);
  return {
    type,
    data: {
      type,
      b64_json: b64,
      created_at: response.created,
      size: response.size ?? 'auto',
      quality: 'auto',
      background: 'opaque',
      output_format: response.output_format,
      usage: USAGE,
    },
  };
}

interface OpenAiErrorStyle {
  status: number;
  type: string;
  code: string | null;
  /** `x-should-retry`: true where a retry can help, false where it would repeat the failure (or the work). */
  retry: boolean;
}

const ERRORS: Record<ErrorKind, OpenAiErrorStyle> = {
  invalid_parameter: { status: 400, type: 'invalid_request_error', code: 'invalid_value', retry: false },
  invalid_image: { status: 400, type: 'invalid_request_error', code: 'invalid_image', retry: false },
  invalid_url: { status: 400, type: 'invalid_request_error', code: 'invalid_image_url', retry: false },
  model_not_found: { status: 404, type: 'invalid_request_error', code: 'model_not_found', retry: false },
  unauthorized: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', retry: false },
  forbidden: { status: 403, type: 'invalid_request_error', code: 'permission_denied', retry: false },
  insufficient_balance: { status: 429, type: 'insufficient_quota', code: 'insufficient_quota', retry: false },
  budget_exceeded: { status: 429, type: 'insufficient_quota', code: 'budget_exceeded', retry: false },
  not_found: { status: 404, type: 'invalid_request_error', code: 'not_found', retry: false },
  method_not_allowed: { status: 405, type: 'invalid_request_error', code: 'method_not_allowed', retry: false },
  conflict: { status: 409, type: 'invalid_request_error', code: 'idempotency_key_reused', retry: false },
  unsupported_operation: { status: 400, type: 'invalid_request_error', code: 'unsupported_operation', retry: false },
  payload_too_large: { status: 413, type: 'invalid_request_error', code: 'payload_too_large', retry: false },
  content_blocked: { status: 400, type: 'image_generation_user_error', code: 'moderation_blocked', retry: false },
  // The task carries on: a retry would start the same work again.
  timeout: { status: 408, type: 'timeout_error', code: 'request_timeout', retry: false },
  request_timeout: { status: 408, type: 'invalid_request_error', code: 'request_body_timeout', retry: false },
  rate_limited: { status: 429, type: 'requests', code: 'rate_limit_exceeded', retry: true },
  overloaded: { status: 503, type: 'server_error', code: 'server_overloaded', retry: true },
  engine_unavailable: { status: 503, type: 'server_error', code: 'model_unavailable', retry: true },
  engine_failed: { status: 500, type: 'server_error', code: 'upstream_error', retry: true },
  engine_rejected: { status: 400, type: 'invalid_request_error', code: 'unsupported_instruction', retry: false },
  engine_timeout: { status: 504, type: 'server_error', code: 'generation_timeout', retry: false },
  canceled: { status: 400, type: 'invalid_request_error', code: 'task_canceled', retry: false },
  unavailable: { status: 503, type: 'server_error', code: 'service_unavailable', retry: true },
  internal: { status: 500, type: 'server_error', code: null, retry: false },
};

/** Errors as `{error: {message, type, param, code}}` with `x-should-retry` and `Retry-After`. */
export const renderOpenAiError: ErrorRenderer = (error) => openAiError(error);

export function openAiErrorStyle(kind: ErrorKind): OpenAiErrorStyle {
  return ERRORS[kind];
}

export function openAiError(error: AppError): { status: number; headers: Record<string, string>; body: z.output<typeof openAiErrorBody> } {
  const style = ERRORS[error.kind];
  // A Retry-After (e.g. a 409 while the same Idempotency-Key is still being accepted) means retry.
  const headers: Record<string, string> = { 'x-should-retry': String(style.retry || error.retryAfterSeconds !== undefined) };
  if (error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.ceil(error.retryAfterSeconds));
    headers['retry-after-ms'] = String(Math.ceil(error.retryAfterSeconds * 1000));
  }
  return { status: style.status, headers, body: { error: { message: error.message, type: style.type, param: error.field ?? null, code: style.code } } };
}
