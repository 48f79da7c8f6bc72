/**
 * Calls to DashScope bodies and DashScope answers to engine results (protocols.md §1.2–1.5).
 * Pure apart from reading the input images; shared with the reseller engine's `dashscope` style.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { findModel } from '../../domain/models.js';
import type { SafeFetchResponse } from '../../lib/safe-fetch.js';
import type { EngineCall, EngineDone, EnginePending, EngineResult } from '../engine.js';
import { dashscopeErrorShape, readAnswer } from '../upstream/answers.js';
import { upstreamError } from '../upstream/errors.js';
import { imageFromUrl, inputReference, shortfallWarnings, type InputMode } from '../upstream/media.js';
import {
  sizeParameter,
  type AsyncText2ImageBody,
  type DashScopeParameters,
  type SyncAnswer,
  type SyncBody,
  type TaskAnswer,
} from './wire.js';

/** qwen-image and qwen-image-plus generate through the async text2image route only. */
export function usesAsyncText2Image(call: Pick<EngineCall, 'kind' | 'model'>): boolean {
  return call.kind === 'generate' && (findModel(call.model)?.dashscopeAsyncText2Image ?? false);
}

export function dashscopeParameters(call: EngineCall): DashScopeParameters {
  const extendable = findModel(call.model)?.promptExtend ?? true;
  return {
    n: call.n,
    // A default size is the model's own default, which DashScope applies itself.
    ...(call.sizeSource === 'request' ? { size: sizeParameter(call.size) } : {}),
    ...(call.negativePrompt ? { negative_prompt: call.negativePrompt } : {}),
    ...(extendable ? { prompt_extend: call.promptExtend } : {}),
    watermark: call.watermark,
    seed: call.seed,
  };
}

export async function syncBody(call: EngineCall, inputs: InputMode): Promise<SyncBody> {
  const images = await Promise.all(call.inputs.map(async (input) => ({ image: await inputReference(input, inputs) })));
  return {
    model: call.model,
    input: { messages: [{ role: 'user', content: [...images, { text: call.prompt }] }] },
    parameters: dashscopeParameters(call),
  };
}

export function asyncText2ImageBody(call: EngineCall): AsyncText2ImageBody {
  const { negative_prompt: negativePrompt, ...parameters } = dashscopeParameters(call);
  return {
    model: call.model,
    input: { prompt: call.prompt, ...(negativePrompt === undefined ? {} : { negative_prompt: negativePrompt }) },
    parameters,
  };
}

/** An answer's JSON when it is a success; otherwise the error it carries (a top-level `code`, whatever the status). */
export function readDashScopeAnswer(label: string, response: SafeFetchResponse): unknown {
  return readAnswer(label, response, [dashscopeErrorShape]);
}

export function syncResult(label: string, answer: SyncAnswer, call: EngineCall): EngineDone {
  const urls = answer.output.choices.flatMap((choice) => choice.message.content.flatMap((item) => (item.image ? [item.image] : [])));
  if (urls.length === 0) throw new AppError('engine_failed', `${label} answered without images.`);
  return { status: 'done', images: urls.map((url) => imageFromUrl(label, url)), warnings: shortfallWarnings(label, urls.length, call.n) };
}

/** The persisted operation of an async task. */
export const operationSchema = z.object({
  taskId: z.string().min(1),
  polls: z.number().int().min(0),
  status: z.string().optional(),
});

export type DashScopeOperation = z.infer<typeof operationSchema>;

export function readOperation(label: string, operation: unknown): DashScopeOperation {
  const parsed = operationSchema.safeParse(operation);
  if (!parsed.success) throw new AppError('internal', `${label}: the saved operation ${JSON.stringify(operation)} is not a DashScope task handle.`);
  return parsed.data;
}

/** The SDK's cadence: 1 s, doubling every 3 polls, at most 5 s. */
export function pollDelayMs(polls: number): number {
  return Math.min(5000, 1000 * 2 ** Math.floor(polls / 3));
}

export function pending(operation: DashScopeOperation, progress?: number): EnginePending {
  return { status: 'pending', operation, pollAfterMs: pollDelayMs(operation.polls), progress };
}

function progressOf(answer: TaskAnswer): number | undefined {
  const metrics = answer.output.task_metrics;
  if (!metrics?.TOTAL) return undefined;
  return ((metrics.SUCCEEDED ?? 0) + (metrics.FAILED ?? 0)) / metrics.TOTAL;
}

/** A task query's answer as the call's next step. `operation.polls` already counts this query. */
export function taskResult(label: string, answer: TaskAnswer, operation: DashScopeOperation, call: EngineCall): EngineResult {
  const { output } = answer;
  const status = output.task_status;
  if (status !== operation.status) call.log(`${label}: task ${operation.taskId} is ${status}`);
  const next = { ...operation, status };
  switch (status) {
    case 'PENDING':
    case 'RUNNING':
    case 'SUSPENDED':
      return pending(next, progressOf(answer));
    case 'SUCCEEDED': {
      const results = output.results ?? [];
      const made = results.flatMap((result) => (result.url ? [result.url] : []));
      if (made.length === 0) throw new AppError('engine_failed', `${label}: task ${operation.taskId} succeeded without images.`);
      const failed = results.filter((result) => !result.url).map((result) => `${result.message ?? 'failed'}${result.code ? ` (${result.code})` : ''}`);
      return {
        status: 'done',
        images: made.map((url) => imageFromUrl(label, url)),
        actualPrompt: results.find((result) => result.actual_prompt)?.actual_prompt,
        warnings: [...shortfallWarnings(label, made.length, call.n), ...failed.map((reason) => `${label}: an image failed: ${reason}`)],
      };
    }
    case 'FAILED':
      throw upstreamError({ label, status: 0, code: output.code, message: output.message ?? `task ${operation.taskId} failed` });
    case 'CANCELED':
      throw new AppError('engine_failed', `${label}: task ${operation.taskId} was canceled upstream.`);
    case 'UNKNOWN':
      throw new AppError('engine_failed', `${label}: task ${operation.taskId} is unknown upstream (expired or never created).`);
    default:
      throw new AppError('engine_failed', `${label}: task ${operation.taskId} has an unexpected status ${JSON.stringify(status)}.`);
  }
}
