/** fal's answers as zod schemas: render.ts builds them (typed by them), the OpenAPI document publishes them. */
import { z } from 'zod';
import { queueLinksShape, validationErrorBody } from '../queue-common/answers.js';

export const falSubmitAnswer = z.object({
  status: z.enum(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']),
  ...queueLinksShape,
  gateway_request_id: z.string(),
  queue_position: z.number().int().min(0),
});

export const falImage = z.object({
  url: z.string().describe('A signed, expiring URL, or a data URI under sync_mode.'),
  width: z.number().int(),
  height: z.number().int(),
  content_type: z.string(),
  file_name: z.string(),
  file_size: z.number().int(),
});

export const falResultAnswer = z.object({
  images: z.array(falImage),
  seed: z.number().int(),
  prompt: z.string(),
  has_nsfw_concepts: z.array(z.boolean()).describe('Always false: this server runs no safety checker.'),
  timings: z.object({ inference: z.number().optional() }),
});

/** Request errors: a flat `{detail, error_type}` (also sent as `x-fal-error-type`). */
export const falRequestErrorBody = z.object({ detail: z.string(), error_type: z.string() });

export const falErrorBody = z.union([validationErrorBody, falRequestErrorBody]);
