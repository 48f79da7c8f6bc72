/**
 * SeaArt's queue body (seed 002, protocols.md §3.10): flat model parameters — `prompt`, `images`
 * (1–3, URL or base64, bare base64 allowed), `negative_prompt`, `size` (`W*H`), `n`,
 * `prompt_extend`, `watermark`, `seed` — plus our `webhook` URL. Pure.
 */
import { z } from 'zod';
import { parseImageReference } from '../../domain/image-ref.js';
import type { FieldNames, GenerationRequest } from '../../domain/request.js';
import { unknownFields } from '../unknown-fields.js';
import { wireType, zodToAppError } from '../zod-errors.js';

export const seaartBodySchema = z
  .object({
    prompt: z.string(wireType('must be a string')),
    images: z.array(z.string(wireType('must be an image URL or base64 data')), wireType('must be an array of image URLs or base64 data')).optional(),
    negative_prompt: z.string(wireType('must be a string')).optional(),
    size: z.string(wireType('must be a string like "1024*1536"')).optional(),
    n: z.number(wireType('must be an integer')).int('must be an integer').optional(),
    prompt_extend: z.boolean(wireType('must be true or false')).optional(),
    watermark: z.boolean(wireType('must be true or false')).optional(),
    seed: z.number(wireType('must be an integer')).int('must be an integer').optional(),
    webhook: z.string(wireType('must be an http(s) URL')).optional(),
  })
  .loose();

const KNOWN = new Set(Object.keys(seaartBodySchema.shape));

export const SEAART_FIELD_NAMES: FieldNames = {
  model: 'endpoint',
  prompt: 'prompt',
  negativePrompt: 'negative_prompt',
  n: 'n',
  size: 'size',
  seed: 'seed',
  promptExtend: 'prompt_extend',
  watermark: 'watermark',
  images: 'images',
  image: (i) => `images[${i}]`,
};

export interface SeaArtRequest {
  request: GenerationRequest;
  warnings: string[];
  webhook: string | undefined;
}

export function translateSeaArt(body: unknown, model: string): SeaArtRequest {
  const parsed = seaartBodySchema.safeParse(body ?? {});
  if (!parsed.success) throw zodToAppError(parsed.error);
  const input = parsed.data;
  return {
    request: {
      model,
      prompt: input.prompt,
      images: (input.images ?? []).map((value, i) => parseImageReference(value, `images[${i}]`, { allowBareBase64: true })),
      negativePrompt: input.negative_prompt,
      n: input.n,
      size: input.size,
      seed: input.seed,
      promptExtend: input.prompt_extend,
      watermark: input.watermark,
    },
    warnings: unknownFields(input, KNOWN).map((field) => `${field} is not a parameter of this endpoint and was ignored.`),
    webhook: input.webhook,
  };
}
