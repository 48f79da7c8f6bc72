/** ai-nebula's envelope as zod schemas: what render.ts builds (typed by them) and the OpenAPI document publishes. */
import { z } from 'zod';
import { dashscopeSyncAnswer } from '../dashscope/answers.js';

export const nebulaSuccessAnswer = z.object({
  code: z.literal(200),
  msg: z.string(),
  data: z.object({
    data: z.array(z.object({ url: z.string(), b64_json: z.string(), revised_prompt: z.string() })),
    created: z.number().int(),
    metadata: dashscopeSyncAnswer,
  }),
});

export const nebulaErrorBody = z.object({
  code: z.union([z.literal(400), z.literal(401), z.literal(403), z.literal(429), z.literal(500)]),
  msg: z.string(),
  data: z.null(),
});
