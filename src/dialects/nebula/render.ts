/**
 * ai-nebula's envelope (seed 004): `{code: 200, msg: "Operation successful", data: {data, created,
 * metadata}}` with the DashScope-native answer as metadata, and every error as
 * `{code: <status>, msg, data: null}` with the statuses seed 004 lists (400, 401, 403, 429, 500).
 */
import type { z } from 'zod';
import type { AppError, ErrorKind } from '../../domain/errors.js';
import type { TaskRecord } from '../../domain/task.js';
import { syncResponse } from '../dashscope/render.js';
import { revisedPrompt } from '../openai/render.js';
import type { nebulaErrorBody, nebulaSuccessAnswer } from './answers.js';

export function nebulaSuccess(task: TaskRecord, urls: string[], b64s: string[] | null, requestId: string, currency: string): z.output<typeof nebulaSuccessAnswer> {
  const revised = revisedPrompt(task) ?? '';
  return {
    code: 200,
    msg: 'Operation successful',
    data: {
      data: urls.map((url, i) => ({ url, b64_json: b64s?.[i] ?? '', revised_prompt: revised })),
      created: Math.floor((task.finishedAt ?? task.createdAt) / 1000),
      metadata: syncResponse(task, urls, requestId, currency),
    },
  };
}

const STATUS: Record<ErrorKind, 400 | 401 | 403 | 429 | 500> = {
  invalid_parameter: 400,
  invalid_image: 400,
  invalid_url: 400,
  model_not_found: 400,
  unauthorized: 401,
  forbidden: 403,
  insufficient_balance: 403,
  budget_exceeded: 403,
  not_found: 400,
  method_not_allowed: 400,
  conflict: 400,
  unsupported_operation: 400,
  payload_too_large: 400,
  content_blocked: 400,
  timeout: 500,
  request_timeout: 400,
  rate_limited: 429,
  overloaded: 429,
  engine_unavailable: 500,
  engine_failed: 500,
  engine_rejected: 400,
  engine_timeout: 500,
  canceled: 400,
  // The form has no 503: like overloaded, a 429 says "later" rather than a 500 that reads as a bug.
  unavailable: 429,
  internal: 500,
};

const PREFIX: Record<400 | 401 | 403 | 429 | 500, string> = {
  400: 'Parameter Error',
  401: 'Authentication failed',
  403: 'Insufficient permissions or balance',
  429: 'Request too frequent',
  500: 'Internal Server Error',
};

export function nebulaError(error: AppError): { status: number; body: z.output<typeof nebulaErrorBody> } {
  const status = STATUS[error.kind];
  return { status, body: { code: status, msg: `${PREFIX[status]}: ${error.message}`, data: null } };
}
