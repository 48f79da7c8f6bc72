/**
 * The ai-nebula body on /v1/images/generations (seed 004): `model`, `prompt`, `parameters`, and
 * `contents[].parts[]` with `{image}` items and a final `{text}`. Pure.
 */
import { z } from 'zod';
import { quoteValue } from '../../domain/bounded-text.js';
import { AppError } from '../../domain/errors.js';
import { parseImageReference } from '../../domain/image-ref.js';
import type { FieldNames, GenerationRequest, ImageRef } from '../../domain/request.js';
import { parametersSchema, unknownParameterWarnings } from '../dashscope/wire.js';
import { wireType, zodToAppError } from '../zod-errors.js';

export const nebulaSchema = z.object({
  model: z.string(wireType('must be a string')).min(1, 'must not be empty'),
  prompt: z.string(wireType('must be a string')).optional(),
  response_format: z.enum(['url', 'b64_json'], wireType('must be "url" or "b64_json"')).optional(),
  parameters: parametersSchema.optional(),
  contents: z.array(
    z.object({
      role: z.string(wireType('must be a string')).optional(),
      parts: z.array(z.record(z.string(), z.unknown()), wireType('must be an array of {image} and {text} parts')),
    }),
    wireType('must be an array with one user turn'),
  ),
});

export interface NebulaRequest {
  request: GenerationRequest;
  fields: FieldNames;
  /** Parameters we do not know, ignored. */
  warnings: string[];
  responseFormat: 'url' | 'b64_json';
}

/** Whether a /v1/images/generations body is in the nebula style. */
export function isNebulaBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Array.isArray((body as { contents?: unknown }).contents);
}

export function parseNebulaBody(raw: unknown): NebulaRequest {
  const parsed = nebulaSchema.safeParse(raw);
  if (!parsed.success) throw zodToAppError(parsed.error);
  const { model, prompt, parameters, contents } = parsed.data;
  if (contents.length !== 1) {
    throw new AppError('invalid_parameter', `contents: exactly one user turn is supported; got ${contents.length}.`, { field: 'contents' });
  }
  const turn = contents[0] as (typeof contents)[number];
  if (turn.role !== undefined && turn.role !== 'user') {
    throw new AppError('invalid_parameter', `contents[0].role: must be "user"; got ${quoteValue(turn.role)}.`, { field: 'contents[0].role' });
  }
  const images: ImageRef[] = [];
  const imageFields: string[] = [];
  const texts: string[] = [];
  turn.parts.forEach((part, index) => {
    const field = `contents[0].parts[${index}]`;
    if (typeof part.image === 'string') {
      imageFields.push(`${field}.image`);
      images.push(parseImageReference(part.image, `${field}.image`));
    } else if (typeof part.text === 'string') {
      texts.push(part.text);
    } else {
      throw new AppError('invalid_parameter', `${field}: must be {"image": "<URL or data URI>"} or {"text": "<instruction>"}.`, { field });
    }
  });
  if (texts.length > 1) {
    throw new AppError('invalid_parameter', `contents[0].parts: at most one {"text": …} instruction; ${texts.length} given.`, { field: 'contents[0].parts' });
  }
  const instruction = texts[0] ?? prompt;
  if (instruction === undefined) {
    throw new AppError('invalid_parameter', 'prompt: an instruction is required, as "prompt" or as a final {"text": …} part.', { field: 'prompt' });
  }
  return {
    request: {
      model,
      prompt: instruction,
      images,
      negativePrompt: parameters?.negative_prompt,
      n: parameters?.n,
      size: parameters?.size,
      seed: parameters?.seed,
      promptExtend: parameters?.prompt_extend,
      watermark: parameters?.watermark,
    },
    fields: {
      model: 'model',
      prompt: texts.length > 0 ? 'contents[0].parts[].text' : 'prompt',
      negativePrompt: 'parameters.negative_prompt',
      n: 'parameters.n',
      size: 'parameters.size',
      seed: 'parameters.seed',
      promptExtend: 'parameters.prompt_extend',
      watermark: 'parameters.watermark',
      images: 'contents[0].parts[].image',
      image: (i) => imageFields[i] ?? `contents[0].parts[${i}].image`,
    },
    warnings: unknownParameterWarnings(parameters),
    responseFormat: parsed.data.response_format ?? 'url',
  };
}
