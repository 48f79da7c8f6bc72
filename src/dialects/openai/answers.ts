/**
 * The OpenAI Images answers as zod schemas: what render.ts builds (typed by them) and what the
 * OpenAPI document publishes, with the reseller (DashScope-style) answer beside it.
 */
import { z } from 'zod';
import { dashscopeSyncAnswer } from '../dashscope/answers.js';

const tokens = z.number().int().min(0);

/** The sizes OpenAI's published schema allows in an answer (its `ImagesResponse.size` is an enum). */
export const openAiResponseSize = z.enum(['1024x1024', '1024x1536', '1536x1024']);

export const openAiImagesResponse = z.object({
  created: z.number().int().describe('Unix seconds.'),
  data: z.array(
    z.object({
      url: z.string().optional().describe('A signed, expiring URL.'),
      b64_json: z.string().optional(),
      revised_prompt: z.string().optional().describe('Only when prompt_extend rewrote the prompt.'),
    }),
  ),
  size: openAiResponseSize.optional().describe('Only the sizes OpenAI\'s schema allows; the images carry their own.'),
  output_format: z.enum(['png', 'jpeg', 'webp']),
  usage: z.object({
    input_tokens: tokens,
    input_tokens_details: z.object({ image_tokens: tokens, text_tokens: tokens }),
    output_tokens: tokens,
    total_tokens: tokens,
  }).describe('Token counts have no meaning for Qwen-Image: always zero.'),
});

/** A reseller's DashScope body on /v1/images/generations: the images response with DashScope's answer as `metadata`. */
export const resellerImagesResponse = openAiImagesResponse.extend({ metadata: dashscopeSyncAnswer });

export const openAiErrorBody = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
});
