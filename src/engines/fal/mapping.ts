/** Calls as fal model inputs, and fal's queue answers and errors (protocols.md §3.2–3.8). */
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { SafeFetchResponse } from '../../lib/safe-fetch.js';
import type { EngineCall, EngineDone, JsonValue } from '../engine.js';
import { answerFailure, type ErrorShape } from '../upstream/answers.js';
import { upstreamError } from '../upstream/errors.js';
import { imageFromUrl, inputReference, shortfallWarnings, type InputMode } from '../upstream/media.js';
import { takesPromptExpansion } from './endpoints.js';

export interface FalInput {
  input: { [key: string]: JsonValue };
  warnings: string[];
}

export async function falInput(call: EngineCall, endpoint: string, inputs: InputMode): Promise<FalInput> {
  const imageUrls = await Promise.all(call.inputs.map((input) => inputReference(input, inputs)));
  const expansion = takesPromptExpansion(endpoint);
  const warnings: string[] = [];
  if (call.watermark) warnings.push('fal cannot draw the watermark; the gateway drew it.');
  if (call.promptExtend && !expansion) warnings.push(`prompt_extend is not available on fal's ${endpoint}; the prompt was used as written.`);
  return {
    input: {
      prompt: call.prompt,
      ...(imageUrls.length > 0 ? { image_urls: imageUrls } : {}),
      // Always explicit: fal's defaults (square_hd) differ from Qwen's, which the call's size carries.
      image_size: { width: call.size.width, height: call.size.height },
      num_images: call.n,
      seed: call.seed,
      ...(call.negativePrompt ? { negative_prompt: call.negativePrompt } : {}),
      ...(expansion ? { enable_prompt_expansion: call.promptExtend } : {}),
      output_format: 'png',
      enable_safety_checker: true,
    },
    warnings,
  };
}

export const submitAnswerSchema = z.object({ request_id: z.string().min(1) });

export const statusAnswerSchema = z.object({
  status: z.enum(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']),
  queue_position: z.number().nullish(),
  error: z.string().nullish(),
  error_type: z.string().nullish(),
});

export type FalStatus = z.infer<typeof statusAnswerSchema>;

export const resultAnswerSchema = z.object({
  images: z.array(z.object({ url: z.string().min(1), content_type: z.string().nullish() })),
  has_nsfw_concepts: z.array(z.boolean()).nullish(),
  prompt: z.string().nullish(),
});

export type FalResult = z.infer<typeof resultAnswerSchema>;

/** The persisted operation: fal's request id and the endpoint it was submitted to. */
export const operationSchema = z.object({
  requestId: z.string().min(1),
  endpoint: z.string().min(1),
  /** What the last poll saw, so each change is logged once. */
  phase: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});

export type FalOperation = z.infer<typeof operationSchema>;

const validationSchema = z.object({
  detail: z.union([z.string(), z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])).optional(), msg: z.string() }).loose())]),
  error_type: z.string().optional(),
});

const gatewayErrorSchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

function detailMessage(detail: z.infer<typeof validationSchema>['detail']): string {
  if (typeof detail === 'string') return detail;
  return detail.map((item) => `${(item.loc ?? []).filter((part) => part !== 'body').join('.') || 'input'}: ${item.msg}`).join('; ');
}

/** fal's FastAPI validation `{detail, error_type}` (the type also in `x-fal-error-type`). */
const falValidationShape: ErrorShape = (json, response) => {
  const parsed = validationSchema.safeParse(json);
  if (!parsed.success) return null;
  const header = response.headers['x-fal-error-type'];
  return { code: parsed.data.error_type ?? (typeof header === 'string' ? header : undefined), message: detailMessage(parsed.data.detail) };
};

/** fal's gateway `{error: {code, message}}`. */
const falGatewayShape: ErrorShape = (json) => {
  const parsed = gatewayErrorSchema.safeParse(json);
  return parsed.success ? { code: parsed.data.error.code, message: parsed.data.error.message } : null;
};

/** A non-2xx queue answer as a catalog error (FastAPI `detail`, gateway `{error}`, or bare). */
export function falFailure(label: string, response: SafeFetchResponse): AppError {
  return answerFailure(label, response, [falValidationShape, falGatewayShape]);
}

/** A COMPLETED status that carries an error is a failed request. */
export function completedFailure(label: string, status: FalStatus, requestId: string): AppError | undefined {
  if (!status.error && !status.error_type) return undefined;
  return upstreamError({ label, status: 0, code: status.error_type ?? undefined, message: status.error ?? `request ${requestId} failed` });
}

/** Images fal flagged as NSFW are blacked out by its checker: they are dropped here. */
export function falResult(label: string, result: FalResult, call: EngineCall, warnings: readonly string[]): EngineDone {
  const flags = result.has_nsfw_concepts ?? [];
  const kept = result.images.filter((_, index) => flags[index] !== true);
  if (kept.length === 0 && result.images.length > 0) {
    throw new AppError('content_blocked', `${label}: fal's safety checker flagged every image.`, { upstreamCode: 'CONTENT_BLOCKED' });
  }
  if (kept.length === 0) throw new AppError('engine_failed', `${label} answered without images.`);
  const notes = [...warnings];
  const flagged = result.images.length - kept.length;
  if (flagged > 0) notes.push(`${label}: fal's safety checker flagged ${flagged} image(s); they were left out.`);
  notes.push(...shortfallWarnings(label, kept.length, call.n));
  return { status: 'done', images: kept.map((image) => imageFromUrl(label, image.url)), warnings: notes };
}
