/** The options of an upstream reseller speaking a DashScope, OpenAI Images or ai-nebula form. */
import { z } from 'zod';
import { inputMode, modelList, routing, timeoutSeconds, upstreamUrl } from '../option-fields.js';

export const resellerOptions = z
  .object({
    type: z.literal('openai-compatible'),
    ...routing,
    baseUrl: upstreamUrl,
    /** The account's key; or several accounts under `credentials`. */
    apiKey: z.string().min(1).optional(),
    style: z.enum(['dashscope', 'openai', 'nebula']),
    /** The endpoint path (`dashscope`, `nebula`) or the prefix before /images/… (`openai`, default /v1). */
    path: z.string().regex(/^\/[^?#]*$/, 'must be a path starting with "/"').optional(),
    models: modelList.optional(),
    inputs: inputMode.optional(),
    /** `openai` style: ask for URLs or base64 (default: the upstream's default). */
    responseFormat: z.enum(['url', 'b64_json']).optional(),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .strict()
  .refine((engine) => !(engine.style === 'openai' && engine.inputs === 'url'), {
    error: 'inputs: "url" is not available with style "openai" (edits upload the images as files)',
    path: ['inputs'],
  });
