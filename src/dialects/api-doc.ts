/**
 * How a route plugin describes its operations for the OpenAPI document (built by
 * src/http/openapi/): the zod schemas that validate its requests, zod schemas of its answers, the
 * renderer of its error shape, and examples. Pure data: the document builder turns the schemas into
 * JSON Schema, so what is documented is what is checked.
 */
import { z } from 'zod';
import { AppError, ERROR_KINDS, type ErrorKind } from '../domain/errors.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The document's security schemes: an API key as Bearer, an API key as fal's `Key`, the admin token, the metrics token. */
export type SecurityScheme = 'bearerKey' | 'falKey' | 'adminToken' | 'metricsToken';

/** A zod schema published under `#/components/schemas/{name}`. */
export interface NamedSchema {
  name: string;
  schema: z.ZodType;
}

/** A JSON Schema written out, for what is not JSON (an image, an HTML page, an event stream). */
export interface RawSchema {
  raw: Record<string, unknown>;
}

export type ApiSchema = NamedSchema | RawSchema | { anyOf: NamedSchema[] };

export interface ApiExample {
  summary: string;
  value: unknown;
}

export interface ApiContent {
  schema: ApiSchema;
  examples?: Record<string, ApiExample>;
}

export interface ApiResponse {
  description: string;
  /** By media type. */
  content?: Record<string, ApiContent>;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
}

/** A dialect's error shape: its schema, and its renderer of the one catalog (`domain/errors.ts`). */
export interface ErrorShape {
  /** Prefix of the shape's components (`DashScopeError400`, …). */
  name: string;
  schema: NamedSchema;
  render(error: AppError): { status: number; body: unknown; headers?: Readonly<Record<string, string>> | undefined };
  /** How this shape's errors tell the client about retrying, for the docs. */
  description: string;
}

export interface ApiOperation {
  method: HttpMethod;
  /** An OpenAPI path template: `/api/v1/tasks/{taskId}`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** Any one of these authenticates; empty for a public route. */
  security: readonly SecurityScheme[];
  /** The route is public unless configured otherwise (/metrics with QIG_METRICS_TOKEN). */
  securityOptional?: boolean;
  /** Objects whose fields are the parameters; a field's `.describe()` is the parameter's description. */
  parameters?: { path?: z.ZodObject; query?: z.ZodObject; header?: z.ZodObject };
  requestBody?: { required: boolean; content: Record<string, ApiContent> };
  responses: Record<string, ApiResponse>;
  /** The errors the route may answer, each list drawn in its shape (a route may speak two). */
  errors?: ReadonlyArray<{ shape: ErrorShape; kinds: readonly ErrorKind[] }>;
}

/** Errors of routes that take a task: every kind of the catalog. */
export const SUBMIT_ERRORS: readonly ErrorKind[] = Object.keys(ERROR_KINDS) as ErrorKind[];

/** Errors of routes that read or cancel what exists. */
export const READ_ERRORS: readonly ErrorKind[] = ['invalid_parameter', 'unauthorized', 'forbidden', 'not_found', 'rate_limited', 'unavailable', 'internal'];

/**
 * One error of each kind, with a message like the server's, for the examples of every dialect's
 * error responses. A `Record` over the kinds, so a kind added to the catalog must be shown here.
 */
export function sampleErrors(): Record<ErrorKind, AppError> {
  return {
    invalid_parameter: new AppError('invalid_parameter', 'parameters.n: must be an integer.', { field: 'parameters.n' }),
    invalid_image: new AppError('invalid_image', 'image[1]: the file is larger than 10 MB.', { field: 'image[1]' }),
    invalid_url: new AppError('invalid_url', 'image[0]: the URL points to a private address and cannot be fetched.', { field: 'image[0]' }),
    model_not_found: new AppError('model_not_found', 'model: unknown model "qwen-image-x"; GET /v1/models lists them.', { field: 'model' }),
    unauthorized: new AppError('unauthorized', 'Invalid API key.'),
    forbidden: new AppError('forbidden', 'This key may not use model qwen-image-max.'),
    insufficient_balance: new AppError('insufficient_balance', 'Insufficient balance: 0.18 CNY needed, 0.05 CNY available.'),
    budget_exceeded: new AppError('budget_exceeded', "The user's monthly budget of ¥100.00 would be exceeded: ¥99.90 spent or held this month (UTC), and this request holds ¥0.20. The budget resets at 2027-01-01T00:00:00.000Z."),
    not_found: new AppError('not_found', 'Request 0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43 not found.'),
    method_not_allowed: new AppError('method_not_allowed', 'Method DELETE is not allowed here.'),
    conflict: new AppError('conflict', 'Idempotency-Key "order-1187" was used within 24 h for a different request.', { field: 'Idempotency-Key' }),
    unsupported_operation: new AppError('unsupported_operation', 'Only tasks in PENDING status can be canceled; task 0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43 is RUNNING.'),
    payload_too_large: new AppError('payload_too_large', 'body: larger than 16 MB.', { field: 'body' }),
    content_blocked: new AppError('content_blocked', 'The input or output was blocked by content inspection.'),
    timeout: new AppError('timeout', 'The image is taking longer than 120 s; task 0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43 carries on.'),
    request_timeout: new AppError('request_timeout', 'The request body was not received in time.'),
    rate_limited: new AppError('rate_limited', 'Rate limit of 60 requests per minute reached.', { retryAfterSeconds: 2 }),
    overloaded: new AppError('overloaded', 'Too many requests are waiting; retry shortly.', { retryAfterSeconds: 5 }),
    engine_unavailable: new AppError('engine_unavailable', 'No engine for qwen-image-edit-plus is available right now.', { retryAfterSeconds: 30 }),
    engine_failed: new AppError('engine_failed', 'The engine failed to produce the image.'),
    engine_rejected: new AppError('engine_rejected', 'The engine refused the instruction.'),
    engine_timeout: new AppError('engine_timeout', 'The engine did not finish within 300 s.'),
    canceled: new AppError('canceled', 'The task was canceled.'),
    unavailable: new AppError('unavailable', "The gateway's database is unavailable right now; retry shortly.", { retryAfterSeconds: 2 }),
    internal: new AppError('internal', 'Internal server error.'),
  };
}

/** The `Idempotency-Key` header every submit route honours. */
export const idempotencyHeader = z.object({
  'Idempotency-Key': z
    .string()
    .optional()
    .describe('Makes a retried submit safe: within 24 h the same key with the same request answers the task made the first time; with another request, 409.'),
});
