/** SeaArt's answers as zod schemas: render.ts builds them (typed by them), the OpenAPI document publishes them. */
import { z } from 'zod';
import { queueLinksShape, validationErrorBody } from '../queue-common/answers.js';

export const seaartSubmitAnswer = z.object({ ...queueLinksShape, queue_position: z.number().int().min(0) });

export const seaartResultAnswer = z.object({
  request_id: z.string(),
  outputs: z.array(
    z.object({ type: z.literal('image'), url: z.string(), content_type: z.string(), file_name: z.string(), width: z.number().int(), height: z.number().int() }),
  ),
  metadata: z.object({ prompt: z.string() }),
});

export const seaartErrorType = z.enum(['INFERENCE_FAILURE', 'INFERENCE_TIMEOUT', 'REQUEST_INVALID', 'CONTENT_BLOCKED', 'CANCELED', 'INTERNAL_SERVER_ERROR']);

export const seaartFailureAnswer = z.object({ request_id: z.string(), detail: z.string(), error_type: seaartErrorType });

/** SeaArt's gateway layer (auth, rate, balance), its app's `{detail}`, and validation like fal's. */
export const seaartErrorBody = z.union([
  z.object({ error: z.object({ code: z.string(), message: z.string() }), request_id: z.string() }),
  z.object({ detail: z.string() }),
  validationErrorBody,
]);
