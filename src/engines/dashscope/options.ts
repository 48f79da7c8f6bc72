/** The Alibaba Cloud (DashScope) engine's options. */
import { z } from 'zod';
import { inputMode, modelList, routing, timeoutSeconds, upstreamUrl } from '../option-fields.js';

export const dashscopeOptions = z
  .object({
    type: z.literal('dashscope'),
    ...routing,
    /** Default: the region's host (Beijing). */
    baseUrl: upstreamUrl.optional(),
    region: z.enum(['beijing', 'singapore']).optional(),
    /** The account's key; or several accounts under `credentials`. */
    apiKey: z.string().min(1).optional(),
    workspace: z.string().min(1).optional(),
    inputs: inputMode.optional(),
    models: modelList.optional(),
    /** Task queries per second from this process (DashScope allows 20 per account). */
    taskQueriesPerSecond: z.number().int().min(1).max(20).optional(),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .strict();
