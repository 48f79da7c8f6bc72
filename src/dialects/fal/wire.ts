/**
 * The input of `fal-ai/qwen-image-edit-plus` and its siblings (protocols.md §3.8) and its
 * translation into a GenerationRequest. Pure. fal inputs that no Qwen engine uses (steps,
 * guidance, acceleration, the safety checker) are accepted and named in the task's warnings,
 * which the status logs show.
 */
import { z } from 'zod';
import { quoteValue } from '../../domain/bounded-text.js';
import { AppError } from '../../domain/errors.js';
import { parseImageReference } from '../../domain/image-ref.js';
import { findModel, type Size } from '../../domain/models.js';
import type { FieldNames, GenerationRequest } from '../../domain/request.js';
import { unknownFields } from '../unknown-fields.js';
import { wireType, zodToAppError } from '../zod-errors.js';
import type { FalEndpoint } from './endpoints.js';

/**
 * fal's `image_size` presets as Qwen-Image sizes: Qwen's native text-to-image resolutions (the
 * fixed sizes of qwen-image), and 1024² for `square` (fal's 512² is below Qwen's range).
 */
export const IMAGE_SIZE_PRESETS: Readonly<Record<string, Size>> = {
  square_hd: { width: 1328, height: 1328 },
  square: { width: 1024, height: 1024 },
  portrait_4_3: { width: 1104, height: 1472 },
  portrait_16_9: { width: 928, height: 1664 },
  landscape_4_3: { width: 1472, height: 1104 },
  landscape_16_9: { width: 1664, height: 928 },
};

const PRESET_NAMES = Object.keys(IMAGE_SIZE_PRESETS) as [string, ...string[]];

const dimension = z.number(wireType('must be an integer')).int('must be an integer').min(1, 'must be at least 1');

export const falInputSchema = z
  .object({
    prompt: z.string(wireType('must be a string')),
    image_urls: z.array(z.string(wireType('must be an image URL or a data URI')), wireType('must be an array of image URLs or data URIs')).optional(),
    image_url: z.string(wireType('must be an image URL or a data URI')).optional(),
    image_size: z
      .union([z.enum(PRESET_NAMES), z.object({ width: dimension, height: dimension })], wireType(`must be one of ${PRESET_NAMES.join(', ')} or {"width", "height"}`))
      .optional(),
    num_images: z.number(wireType('must be an integer')).int('must be an integer').optional(),
    seed: z.number(wireType('must be an integer')).int('must be an integer').optional(),
    negative_prompt: z.string(wireType('must be a string')).optional(),
    output_format: z.enum(['jpeg', 'png'], wireType('must be "jpeg" or "png"')).optional(),
    sync_mode: z.boolean(wireType('must be true or false')).optional(),
    enable_safety_checker: z.boolean(wireType('must be true or false')).optional(),
    enable_prompt_expansion: z.boolean(wireType('must be true or false')).optional(),
    num_inference_steps: z.number(wireType('must be an integer')).int('must be an integer').min(1, 'must be at least 1').optional(),
    guidance_scale: z.number(wireType('must be a number')).optional(),
    acceleration: z.enum(['none', 'regular', 'high'], wireType('must be "none", "regular" or "high"')).optional(),
  })
  .loose();

const KNOWN = new Set(Object.keys(falInputSchema.shape));
const SAMPLER_INPUTS = ['num_inference_steps', 'guidance_scale', 'acceleration'] as const;

/** The size in `sizes` whose aspect ratio is closest to `size`'s. */
function nearestShape(size: Size, sizes: readonly Size[]): Size {
  const ratio = (s: Size) => Math.log(s.width / s.height);
  return sizes.reduce((best, s) => (Math.abs(ratio(s) - ratio(size)) < Math.abs(ratio(best) - ratio(size)) ? s : best));
}

export interface FalRequest {
  request: GenerationRequest;
  fields: FieldNames;
  warnings: string[];
  syncMode: boolean;
}

export function translateFal(body: unknown, endpoint: FalEndpoint): FalRequest {
  const parsed = falInputSchema.safeParse(body ?? {});
  if (!parsed.success) throw zodToAppError(parsed.error);
  const input = parsed.data;
  const model = findModel(endpoint.model);
  if (!model) throw new AppError('internal', `Endpoint ${endpoint.id} names unknown model ${endpoint.model}.`);
  const warnings: string[] = [];
  const ignore = (field: string, why: string) => warnings.push(`${field} ${why}`);

  const singular = input.image_urls === undefined && input.image_url !== undefined;
  const imageField = (i: number) => (singular ? 'image_url' : `image_urls[${i}]`);
  let values = input.image_urls ?? (input.image_url === undefined ? [] : [input.image_url]);
  if (endpoint.kind === 'edit' && values.length === 0) {
    throw new AppError('invalid_parameter', `image_urls: field required (${endpoint.id} edits 1 to ${model.maxImages} images).`, { field: 'image_urls' });
  }
  if (endpoint.kind === 'generate' && values.length > 0) {
    ignore(singular ? 'image_url' : 'image_urls', `is not an input of ${endpoint.id} (text to image) and was ignored.`);
    values = [];
  }
  const kind = values.length > 0 ? 'edit' : 'generate';

  let size: Size | undefined = typeof input.image_size === 'string' ? IMAGE_SIZE_PRESETS[input.image_size] : input.image_size;
  const rule = kind === 'edit' ? model.editSize : model.generateSize;
  if (size && rule.kind === 'none') {
    ignore('image_size', `is not supported by ${model.id} (the size follows the last input image) and was ignored.`);
    size = undefined;
  }
  // A preset names a shape, not pixels: on a model with a fixed set of sizes it takes the one of
  // that shape (fal's presets work on every endpoint; an explicit {width, height} is checked as given).
  if (size && typeof input.image_size === 'string' && rule.kind === 'fixed' && !rule.sizes.some((s) => s.width === size?.width && s.height === size.height)) {
    size = nearestShape(size, rule.sizes);
    ignore('image_size', `${input.image_size} is ${size.width}*${size.height} on ${model.id}, its native size of that shape.`);
  }
  for (const name of SAMPLER_INPUTS) {
    if (input[name] !== undefined) ignore(name, 'has no equivalent on Qwen-Image engines here and was ignored.');
  }
  if (input.enable_safety_checker === true) {
    ignore('enable_safety_checker', 'was ignored: this server runs no safety checker (has_nsfw_concepts is always false).');
  }
  for (const field of unknownFields(input, KNOWN)) ignore(field, `is not an input of ${endpoint.id} and was ignored.`);

  return {
    request: {
      model: model.id,
      prompt: input.prompt,
      images: values.map((value, i) => parseImageReference(value, imageField(i))),
      negativePrompt: input.negative_prompt,
      n: input.num_images,
      size,
      seed: input.seed,
      // fal's endpoints rewrite no prompt unless asked; `qwen/{model}` keeps the model's default.
      promptExtend: input.enable_prompt_expansion ?? (endpoint.falNative ? false : undefined),
      outputFormat: input.output_format,
    },
    fields: {
      model: 'endpoint',
      prompt: 'prompt',
      negativePrompt: 'negative_prompt',
      n: 'num_images',
      size: 'image_size',
      seed: 'seed',
      promptExtend: 'enable_prompt_expansion',
      watermark: 'watermark',
      images: singular ? 'image_url' : 'image_urls',
      image: imageField,
    },
    warnings,
    syncMode: input.sync_mode ?? false,
  };
}

/** `x-fal-request-timeout`: seconds before processing must start (fal-js sends more than 1). */
export function parseStartTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new AppError('invalid_parameter', `x-fal-request-timeout: must be a number of seconds from 1 to 86400 (got ${quoteValue(value)}).`, { field: 'x-fal-request-timeout' });
  }
  return seconds;
}

/** `fal_max_queue_length`: a whole number of requests. */
export function parseMaxQueueLength(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw new AppError('invalid_parameter', `fal_max_queue_length: must be a whole number (got ${quoteValue(value)}).`, { field: 'fal_max_queue_length' });
  }
  return Number(value);
}
