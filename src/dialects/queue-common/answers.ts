/** The queue answers fal and SeaArt share, as zod schemas: status.ts builds them (typed by them), the OpenAPI document publishes them. */
import { z } from 'zod';

export const queueLinksShape = {
  request_id: z.string(),
  response_url: z.string().describe('Where the result is read.'),
  status_url: z.string(),
  cancel_url: z.string(),
};

export const queueLogLine = z.object({
  message: z.string(),
  level: z.enum(['INFO', 'WARN', 'ERROR', 'DEBUG']),
  source: z.literal('USER'),
  timestamp: z.string().describe('ISO 8601'),
});

export const queueStatusAnswer = z.object({
  status: z.enum(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']),
  ...queueLinksShape,
  queue_position: z.number().int().min(0).optional().describe('0-based; only while IN_QUEUE.'),
  logs: z.array(queueLogLine).optional().describe('With ?logs=1.'),
  metrics: z.object({ inference_time: z.number().optional() }).optional().describe('Once COMPLETED.'),
  error: z.string().optional().describe('A request that did not succeed: why.'),
  error_type: z.string().optional(),
});

export const queueCancelAnswer = z.object({ status: z.enum(['CANCELLATION_REQUESTED', 'ALREADY_COMPLETED', 'NOT_FOUND']) });

/** A validation error as fal (pydantic) draws it, and SeaArt after it. */
export const validationErrorBody = z.object({
  detail: z.array(z.object({ loc: z.array(z.union([z.string(), z.number().int()])), msg: z.string(), type: z.string() })),
});
