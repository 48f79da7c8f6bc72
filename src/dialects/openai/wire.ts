/**
 * OpenAI Images request bodies (protocols.md §2): JSON generations, and edits as multipart fields
 * or JSON. Pure. The Qwen parameters are accepted top-level and inside `parameters`; OpenAI
 * fields with no Qwen meaning are accepted and named so the route can report them.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { FieldNames, GenerationRequest, ImageRef, OutputFormat } from '../../domain/request.js';
import { unknownFields } from '../unknown-fields.js';
import { wireType, zodToAppError } from '../zod-errors.js';

export type ResponseFormat = 'url' | 'b64_json';

export interface OpenAiRequest {
  request: GenerationRequest;
  fields: FieldNames;
  /** As asked; null when the client named none (answered with both, see `imageItems`). */
  responseFormat: ResponseFormat | null;
  stream: boolean;
  /** Fields accepted but without effect here (for the x-qig-ignored-params header). */
  ignored: string[];
  /** The model the client named, when we served it with another (an OpenAI model name). */
  aliasedFrom: string | null;
}

/** OpenAI fields with no Qwen meaning: accepted, reported, not used. */
const NO_QWEN_MEANING = ['quality', 'style', 'background', 'moderation', 'input_fidelity', 'partial_images'];
const QWEN_PARAMETERS = ['negative_prompt', 'seed', 'prompt_extend', 'watermark'] as const;
const QWEN_PARAMETER_SET: ReadonlySet<string> = new Set(QWEN_PARAMETERS);
const KNOWN = new Set(['prompt', 'model', 'n', 'size', 'response_format', 'output_format', 'output_compression', 'user', 'stream', 'parameters', 'image', 'images', 'mask', ...NO_QWEN_MEANING, ...QWEN_PARAMETERS]);

const qwenShape = {
  negative_prompt: z.string(wireType('must be a string')).optional(),
  seed: z.number(wireType('must be an integer')).int('must be an integer').optional(),
  prompt_extend: z.boolean(wireType('must be true or false')).optional(),
  watermark: z.boolean(wireType('must be true or false')).optional(),
};

export const openAiBodySchema = z
  .object({
    prompt: z.string(wireType('must be a string')).min(1, 'must not be empty'),
    model: z.string(wireType('must be a string')).min(1, 'must not be empty').optional(),
    n: z.number(wireType('must be an integer')).int('must be an integer').optional(),
    size: z.string(wireType('must be a string like "1024x1024"')).optional(),
    response_format: z.enum(['url', 'b64_json'], wireType('must be "url" or "b64_json"')).optional(),
    output_format: z.enum(['png', 'jpeg', 'webp'], wireType('must be "png", "jpeg" or "webp"')).optional(),
    output_compression: z.number(wireType('must be an integer from 0 to 100')).int().min(0).max(100).optional(),
    user: z.string(wireType('must be a string')).optional(),
    stream: z.boolean(wireType('must be true or false')).optional(),
    parameters: z.object(qwenShape, wireType('must be an object')).loose().optional(),
    ...qwenShape,
  })
  .loose();

type OpenAiBody = z.infer<typeof openAiBodySchema>;

/** OpenAI model names a client may hard-code; we serve them with the configured default. */
export function isOpenAiModelName(model: string): boolean {
  return /^(dall-e-|gpt-image-|chatgpt-image)/i.test(model);
}

function pickQwen(body: OpenAiBody, name: (typeof QWEN_PARAMETERS)[number]): { value: unknown; field: string } {
  const top = body[name];
  const nested = body.parameters?.[name];
  if (top !== undefined && nested !== undefined && top !== nested) {
    throw new AppError('invalid_parameter', `${name} and parameters.${name}: give the value once (they differ).`, { field: name });
  }
  return top !== undefined ? { value: top, field: name } : { value: nested, field: `parameters.${name}` };
}

export interface TranslateOptions {
  defaultModel: string;
  images: ImageRef[];
  /** How the images' fields are named in this request (multipart part names or JSON paths). */
  imageField: (index: number) => string;
}

export function translateOpenAi(raw: unknown, options: TranslateOptions): OpenAiRequest {
  const parsed = openAiBodySchema.safeParse(raw);
  if (!parsed.success) throw zodToAppError(parsed.error);
  const body = parsed.data;
  const negative = pickQwen(body, 'negative_prompt');
  const seed = pickQwen(body, 'seed');
  const extend = pickQwen(body, 'prompt_extend');
  const watermark = pickQwen(body, 'watermark');

  let model = body.model ?? options.defaultModel;
  let aliasedFrom: string | null = null;
  if (isOpenAiModelName(model)) {
    aliasedFrom = model;
    model = options.defaultModel;
  }
  const outputFormat: OutputFormat = body.output_format ?? 'png';
  const ignored = [...NO_QWEN_MEANING.filter((key) => body[key] !== undefined), ...unknownFields(body, KNOWN)];
  if (body.output_compression !== undefined && outputFormat === 'png') ignored.push('output_compression');
  ignored.push(...unknownFields(body.parameters ?? {}, QWEN_PARAMETER_SET, 'parameters.'));

  return {
    request: {
      model,
      prompt: body.prompt,
      images: options.images,
      negativePrompt: negative.value as string | undefined,
      n: body.n,
      size: body.size,
      seed: seed.value as number | undefined,
      promptExtend: extend.value as boolean | undefined,
      watermark: watermark.value as boolean | undefined,
      outputFormat,
      outputQuality: body.output_compression,
    },
    fields: {
      model: 'model',
      prompt: 'prompt',
      negativePrompt: negative.field,
      n: 'n',
      size: 'size',
      seed: seed.field,
      promptExtend: extend.field,
      watermark: watermark.field,
      images: 'image',
      image: options.imageField,
    },
    responseFormat: body.response_format ?? null,
    stream: body.stream ?? false,
    ignored,
    aliasedFrom,
  };
}

const NUMERIC_FIELDS = new Set(['n', 'seed', 'output_compression', 'partial_images']);
const BOOLEAN_FIELDS = new Set(['stream', 'prompt_extend', 'watermark']);

/**
 * Multipart values all arrive as strings: numbers and booleans are read back into their types
 * (a value that is neither stays a string, so the schema names it).
 */
export function coerceMultipartFields(fields: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (NUMERIC_FIELDS.has(key) && /^-?\d+(\.\d+)?$/.test(value.trim())) out[key] = Number(value);
    else if (BOOLEAN_FIELDS.has(key) && /^(true|false|1|0)$/i.test(value.trim())) out[key] = /^(true|1)$/i.test(value.trim());
    else out[key] = value;
  }
  return out;
}

const editImage = z.union([z.string(), z.object({ image_url: z.string() })]);

/**
 * The images of a JSON edit body as the OpenAPI document shows them; `jsonEditImages` reads them
 * (by hand, to name each bad item as the client wrote it).
 */
export const jsonEditBodySchema = openAiBodySchema.extend({
  image: z.union([editImage, z.array(editImage)]).optional().describe('1 to 3 images: URLs, data URIs, or {"image_url": …}.'),
  images: z.union([editImage, z.array(editImage)]).optional().describe('The same, under the name some clients use.'),
});

/** An edit as multipart/form-data: the same fields, and 1 to 3 image files as `image`, `image[]` or `image[N]`. */
export const multipartEditBodySchema = openAiBodySchema.extend({
  image: z.union([z.file(), z.array(z.file())]).describe('1 to 3 image files (up to 10 MB each), as "image", "image[]" or "image[N]".'),
});

/** Image values of a JSON edit body: `image` (a string or an array) or `images` (strings or `{image_url}`). */
export function jsonEditImages(body: unknown): Array<{ value: string; field: string }> {
  if (typeof body !== 'object' || body === null) return [];
  const record = body as Record<string, unknown>;
  const out: Array<{ value: string; field: string }> = [];
  const add = (value: unknown, field: string) => {
    if (typeof value === 'string') out.push({ value, field });
    else if (typeof value === 'object' && value !== null && typeof (value as { image_url?: unknown }).image_url === 'string') {
      out.push({ value: (value as { image_url: string }).image_url, field: `${field}.image_url` });
    } else {
      throw new AppError('invalid_parameter', `${field}: must be an image URL, a data URI, or {"image_url": …}.`, { field });
    }
  };
  for (const key of ['image', 'images']) {
    const value = record[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) value.forEach((item, i) => add(item, `${key}[${i}]`));
    else add(value, key);
  }
  return out;
}
