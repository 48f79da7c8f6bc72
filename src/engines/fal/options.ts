/** The fal.ai engine's options. */
import { z } from 'zod';
import { inputMode, knownModel, modelList, routing, timeoutSeconds, upstreamUrl } from '../option-fields.js';

const falEndpoint = z.string().regex(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?$/, 'must be an endpoint id like "fal-ai/qwen-image-edit-plus"');

export const falOptions = z
  .object({
    type: z.literal('fal'),
    ...routing,
    /** Default https://queue.fal.run. */
    baseUrl: upstreamUrl.optional(),
    /** The account's key; or several accounts under `credentials`. */
    apiKey: z.string().min(1).optional(),
    /** Model → endpoint id, or one per kind; merged over the built-in map. */
    endpoints: z
      .record(knownModel, z.union([falEndpoint, z.object({ edit: falEndpoint.optional(), generate: falEndpoint.optional() }).strict()]))
      .optional(),
    models: modelList.optional(),
    inputs: inputMode.optional(),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .strict();
