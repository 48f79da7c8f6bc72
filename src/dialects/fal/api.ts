/**
 * The fal routes (routes.ts) for the OpenAPI document: a submit for each endpoint id this server
 * serves (endpoints.ts), on the queue (/fal) and the sync host (/fal-run), the queue's request
 * operations, and /fal/proxy. The input schema is wire.ts's.
 */
import { z } from 'zod';
import { READ_ERRORS, SUBMIT_ERRORS, idempotencyHeader, type ApiOperation, type ApiResponse, type ErrorShape } from '../api-doc.js';
import { queueCancelAnswer, queueStatusAnswer } from '../queue-common/answers.js';
import { falErrorBody, falRequestErrorBody, falResultAnswer, falSubmitAnswer } from './answers.js';
import { falEndpointIds, resolveFalEndpoint } from './endpoints.js';
import { falError } from './render.js';
import { falInputSchema } from './wire.js';

export const falErrors: ErrorShape = {
  name: 'Fal',
  schema: { name: 'FalError', schema: falErrorBody },
  render: falError,
  description: 'Input errors as `{detail: [{loc, msg, type}]}` (422), request errors as `{detail, error_type}` with `x-fal-error-type`; `x-fal-retryable` says whether submitting again may succeed.',
};

const SECURITY = ['falKey', 'bearerKey'] as const;

/** A header or query parameter refused: a malformed request (400), not a model input error (422). */
function badParameter(field: string, message: string): ApiResponse {
  const { body } = falError({ kind: 'invalid_parameter', message, field, retryAfterSeconds: undefined });
  return {
    description: 'A header or query parameter refused.',
    content: { 'application/json': { schema: { name: 'FalRequestError', schema: falRequestErrorBody }, examples: { [field]: { summary: field, value: body } } } },
  };
}
const REQUEST_ID = '0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43';
const BASE = 'https://gateway.example.com/fal/fal-ai/qwen-image-edit-plus';
const LINKS = {
  request_id: REQUEST_ID,
  response_url: `${BASE}/requests/${REQUEST_ID}`,
  status_url: `${BASE}/requests/${REQUEST_ID}/status`,
  cancel_url: `${BASE}/requests/${REQUEST_ID}/cancel`,
};
const IMAGE = 'https://gateway.example.com/files/4f6c7e0d9a8b.png?exp=1767225600&sig=Vb7dQ2';

const input = { name: 'FalInput', schema: falInputSchema };
const result = { name: 'FalResult', schema: falResultAnswer };

const EDIT_EXAMPLE = { prompt: 'Change the bag to apple green.', image_urls: ['https://example.com/images/input1.png'], num_images: 1, output_format: 'png' };
const GENERATE_EXAMPLE = { prompt: 'A cozy reading nook, warm light, film grain.', image_size: 'landscape_4_3', seed: 7 };

const RESULT_EXAMPLE = {
  images: [{ url: IMAGE, width: 1248, height: 832, content_type: 'image/png', file_name: '4f6c7e0d9a8b.png', file_size: 1843622 }],
  seed: 1733042156,
  prompt: 'Change the bag to apple green.',
  has_nsfw_concepts: [false],
  timings: { inference: 7.42 },
};

const submitQuery = z.object({
  fal_webhook: z.string().optional().describe('A URL to POST the result to when the request ends.'),
  fal_max_queue_length: z.string().regex(/^\d{1,9}$/).optional().describe('Refuse (429) when this many requests already wait.'),
});
const submitHeaders = idempotencyHeader.extend({
  'x-fal-request-timeout': z.string().optional().describe('Seconds (1–86400) within which processing must start, or the request ends with 504.'),
  'x-fal-queue-priority': z.enum(['normal', 'low']).optional().describe('Accepted; every request waits its turn.'),
});

function submitOperations(id: string, example: Record<string, unknown> | undefined, kind: 'edit' | 'generate' | null): ApiOperation[] {
  const params = id === 'qwen/{model}' ? { path: z.object({ model: z.string().describe('Any model of GET /v1/models.') }) } : {};
  const what = kind === 'edit' ? 'edits 1 to 3 images (image_urls required)' : kind === 'generate' ? 'text to image' : 'edits when image_urls are given, else text to image';
  const requestBody = { required: true, content: { 'application/json': { schema: input, ...(example ? { examples: { example: { summary: id, value: example } } } : {}) } } };
  // `fal-ai/qwen-image-2/pro/edit` → `FalAiQwenImage2ProEdit`
  const opId = id.replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/).map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`).join('');
  return [
    {
      method: 'post',
      path: `/fal/${id}`,
      operationId: `falSubmit${opId}`,
      tag: 'fal queue',
      summary: `Submit to ${id} (${what})`,
      security: SECURITY,
      parameters: { query: submitQuery, header: submitHeaders, ...params },
      requestBody,
      responses: {
        '400': badParameter('x-fal-request-timeout', 'x-fal-request-timeout: must be a number of seconds from 1 to 86400 (got "soon").'),
        '200': {
          description: 'Queued: follow status_url, read response_url.',
          headers: { 'x-fal-request-id': { description: 'The request id.', schema: { type: 'string' } } },
          content: { 'application/json': { schema: { name: 'FalSubmitAnswer', schema: falSubmitAnswer }, examples: { queued: { summary: 'Queued', value: { status: 'IN_QUEUE', ...LINKS, gateway_request_id: REQUEST_ID, queue_position: 0 } } } } },
        },
      },
      errors: [{ shape: falErrors, kinds: SUBMIT_ERRORS }],
    },
    {
      method: 'post',
      path: `/fal-run/${id}`,
      operationId: `falRun${opId}`,
      tag: 'fal sync',
      summary: `Run ${id} and wait for the result (${what})`,
      security: SECURITY,
      parameters: { query: submitQuery, header: submitHeaders, ...params },
      requestBody,
      responses: {
        '200': { description: 'The result.', content: { 'application/json': { schema: result, examples: { done: { summary: 'Done', value: RESULT_EXAMPLE } } } } },
        '400': badParameter('x-fal-request-timeout', 'x-fal-request-timeout: must be a number of seconds from 1 to 86400 (got "soon").'),
      },
      errors: [{ shape: falErrors, kinds: SUBMIT_ERRORS }],
    },
  ];
}

const requestPath = z.object({
  owner: z.string().describe('The first segment of the endpoint id (fal-ai, qwen).'),
  app: z.string().describe('Its second segment (qwen-image-edit-plus, qwen-image-max, …).'),
  request_id: z.string(),
});
const logsQuery = z.object({ logs: z.enum(['0', '1']).optional().describe('1 adds the request\'s log lines.') });

const statusAnswer = { name: 'QueueStatusAnswer', schema: queueStatusAnswer };
const statusExamples = {
  queued: { summary: 'Waiting', value: { status: 'IN_QUEUE', ...LINKS, queue_position: 2 } },
  completed: { summary: 'Completed', value: { status: 'COMPLETED', ...LINKS, metrics: { inference_time: 7.42 } } },
};

const cancelResponses: Record<string, ApiResponse> = {
  '202': { description: 'Cancellation requested.', content: { 'application/json': { schema: { name: 'QueueCancelAnswer', schema: queueCancelAnswer }, examples: { requested: { summary: 'Requested', value: { status: 'CANCELLATION_REQUESTED' } } } } } },
  '400': { description: 'The request already ended.', content: { 'application/json': { schema: { name: 'QueueCancelAnswer', schema: queueCancelAnswer }, examples: { completed: { summary: 'Already completed', value: { status: 'ALREADY_COMPLETED' } } } } } },
  '404': { description: 'No such request.', content: { 'application/json': { schema: { name: 'QueueCancelAnswer', schema: queueCancelAnswer }, examples: { missing: { summary: 'Not found', value: { status: 'NOT_FOUND' } } } } } },
};

export function falApi(): ApiOperation[] {
  const submits = [...falEndpointIds(), 'qwen/{model}'].flatMap((id) => {
    const kind = id === 'qwen/{model}' ? null : (resolveFalEndpoint(id)?.kind ?? null);
    const example = id === 'fal-ai/qwen-image-edit-plus' ? EDIT_EXAMPLE : id === 'fal-ai/qwen-image' ? GENERATE_EXAMPLE : undefined;
    return submitOperations(id, example, kind);
  });
  const base = '/fal/{owner}/{app}/requests/{request_id}';
  return [
    ...submits,
    {
      method: 'get',
      path: `${base}/status`,
      operationId: 'falStatus',
      tag: 'fal queue',
      summary: 'A request\'s status',
      security: SECURITY,
      parameters: { path: requestPath, query: logsQuery },
      responses: { '200': { description: 'The status; a failed request is COMPLETED with error and error_type.', content: { 'application/json': { schema: statusAnswer, examples: statusExamples } } } },
      errors: [{ shape: falErrors, kinds: READ_ERRORS }],
    },
    {
      method: 'get',
      path: `${base}/status/stream`,
      operationId: 'falStatusStream',
      tag: 'fal queue',
      summary: 'A request\'s status as server-sent events, until COMPLETED',
      security: SECURITY,
      parameters: { path: requestPath, query: logsQuery },
      responses: { '200': { description: 'Each `data:` is a status object as the status route answers it.', content: { 'text/event-stream': { schema: { raw: { type: 'string' } } } } } },
      errors: [{ shape: falErrors, kinds: READ_ERRORS }],
    },
    {
      method: 'get',
      path: base,
      operationId: 'falResult',
      tag: 'fal queue',
      summary: 'A request\'s result',
      description: 'Once the request ended: its result, or its error in fal\'s shape. Before: 400 "Request is still in progress".',
      security: SECURITY,
      parameters: { path: requestPath },
      responses: {
        '200': { description: 'The result.', content: { 'application/json': { schema: result, examples: { done: { summary: 'Done', value: RESULT_EXAMPLE } } } } },
        '400': { description: 'Still in progress.', content: { 'application/json': { schema: { name: 'FalRequestError', schema: falRequestErrorBody }, examples: { running: { summary: 'In progress', value: { detail: 'Request is still in progress', error_type: 'bad_request' } } } } } },
      },
      errors: [{ shape: falErrors, kinds: SUBMIT_ERRORS }],
    },
    {
      method: 'put',
      path: `${base}/cancel`,
      operationId: 'falCancel',
      tag: 'fal queue',
      summary: 'Cancel a request (a running one is asked to stop)',
      security: SECURITY,
      parameters: { path: requestPath },
      responses: cancelResponses,
      errors: [{ shape: falErrors, kinds: ['unauthorized', 'rate_limited', 'unavailable', 'internal'] }],
    },
    ...(['get', 'post', 'put'] as const).map(
      (method): ApiOperation => ({
        method,
        path: '/fal/proxy',
        operationId: `falProxy${method.charAt(0).toUpperCase()}${method.slice(1)}`,
        tag: 'fal queue',
        summary: `What @fal-ai/client sends through proxyUrl (${method.toUpperCase()})`,
        description: 'The fal URL the client meant (https://queue.fal.run/… or https://fal.run/…) comes in `x-fal-target-url`; it is answered as the matching /fal or /fal-run route. Uploads to fal storage are refused: pass images as URLs or data URIs.',
        security: SECURITY,
        parameters: { header: z.object({ 'x-fal-target-url': z.string().describe('https://queue.fal.run/{endpoint}[/requests/{id}…] or https://fal.run/{endpoint}') }) },
        ...(method === 'get' ? {} : { requestBody: { required: false, content: { 'application/json': { schema: input } } } }),
        responses: {
          '400': badParameter('x-fal-target-url', 'x-fal-target-url: the header is required on /fal/proxy (fal-js sends it with proxyUrl).'),
          '200': {
            description: 'The answer of the route the target URL names.',
            content: { 'application/json': { schema: { anyOf: [{ name: 'FalSubmitAnswer', schema: falSubmitAnswer }, statusAnswer, result, { name: 'QueueCancelAnswer', schema: queueCancelAnswer }] } } },
          },
        },
        errors: [{ shape: falErrors, kinds: SUBMIT_ERRORS }],
      }),
    ),
  ];
}
