/** The SeaArt queue routes (routes.ts) for the OpenAPI document. The body schema is wire.ts's. */
import { z } from 'zod';
import { READ_ERRORS, SUBMIT_ERRORS, idempotencyHeader, type ApiOperation, type ErrorShape } from '../api-doc.js';
import { queueCancelAnswer, queueStatusAnswer } from '../queue-common/answers.js';
import { seaartErrorBody, seaartFailureAnswer, seaartResultAnswer, seaartSubmitAnswer } from './answers.js';
import { seaartError } from './render.js';
import { seaartBodySchema } from './wire.js';

const REQUEST_ID = '0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43';
const BASE = `https://gateway.example.com/v1/queue/qwen_image_edit_plus/requests/${REQUEST_ID}`;
const LINKS = { request_id: REQUEST_ID, response_url: `${BASE}/response`, status_url: `${BASE}/status`, cancel_url: `${BASE}/cancel` };

export const seaartErrors: ErrorShape = {
  name: 'SeaArt',
  schema: { name: 'SeaArtError', schema: seaartErrorBody },
  render: (error) => seaartError(error, REQUEST_ID),
  description: 'SeaArt\'s gateway errors as `{error: {code, message}, request_id}` (401, 402, 413, 429, 503), input errors as `{detail: [{loc, msg, type}]}` (422), others as `{detail}`.',
};

const SECURITY = ['bearerKey', 'falKey'] as const;
const endpoint = z.string().describe('A model of GET /v1/models with "-" and "." as "_": qwen_image_edit_plus, qwen_image_2_0_pro, dated snapshots too.');
const requestPath = z.object({ endpoint, id: z.string() });
const logsQuery = z.object({ logs: z.enum(['0', '1']).optional().describe('1 adds the request\'s log lines.') });
const status = { name: 'QueueStatusAnswer', schema: queueStatusAnswer };
const cancel = { name: 'QueueCancelAnswer', schema: queueCancelAnswer };

export function seaartApi(): ApiOperation[] {
  return [
    {
      method: 'post',
      path: '/v1/queue/{endpoint}',
      operationId: 'seaartSubmit',
      tag: 'SeaArt queue',
      summary: 'Queue a request',
      description: 'Flat model parameters; `images` are URLs or base64 (bare base64 too). `webhook` (our addition) receives the result when the request ends.',
      security: SECURITY,
      parameters: { path: z.object({ endpoint }), header: idempotencyHeader },
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { name: 'SeaArtBody', schema: seaartBodySchema },
            examples: { edit: { summary: 'Edit one image', value: { prompt: 'A red apple on a white table, clean studio lighting, simple background.', images: ['https://example.com/images/input1.png'] } } },
          },
        },
      },
      responses: {
        '200': { description: 'Queued.', content: { 'application/json': { schema: { name: 'SeaArtSubmitAnswer', schema: seaartSubmitAnswer }, examples: { queued: { summary: 'Queued', value: { ...LINKS, queue_position: 0 } } } } } },
      },
      errors: [{ shape: seaartErrors, kinds: SUBMIT_ERRORS }],
    },
    {
      method: 'get',
      path: '/v1/queue/{endpoint}/requests/{id}/status',
      operationId: 'seaartStatus',
      tag: 'SeaArt queue',
      summary: 'A request\'s status',
      security: SECURITY,
      parameters: { path: requestPath, query: logsQuery },
      responses: {
        '200': {
          description: 'The status; a failed request is COMPLETED with error and error_type.',
          content: { 'application/json': { schema: status, examples: { running: { summary: 'Running', value: { status: 'IN_PROGRESS', ...LINKS } } } } },
        },
      },
      errors: [{ shape: seaartErrors, kinds: [...READ_ERRORS, 'model_not_found'] }],
    },
    {
      method: 'get',
      path: '/v1/queue/{endpoint}/requests/{id}/response',
      operationId: 'seaartResponse',
      tag: 'SeaArt queue',
      summary: 'A request\'s result (202 with its status until it ends)',
      security: SECURITY,
      parameters: { path: requestPath, query: logsQuery },
      responses: {
        '200': {
          description: 'The result.',
          content: {
            'application/json': {
              schema: { name: 'SeaArtResult', schema: seaartResultAnswer },
              examples: {
                done: {
                  summary: 'Done',
                  value: {
                    request_id: REQUEST_ID,
                    outputs: [{ type: 'image', url: 'https://gateway.example.com/files/4f6c7e0d9a8b.png?exp=1767225600&sig=Vb7dQ2', content_type: 'image/png', file_name: '4f6c7e0d9a8b.png', width: 1024, height: 1024 }],
                    metadata: { prompt: 'A red apple on a white table, clean studio lighting, simple background.' },
                  },
                },
              },
            },
          },
        },
        '202': { description: 'Not ended yet: the status.', content: { 'application/json': { schema: status, examples: { queued: { summary: 'Waiting', value: { status: 'IN_QUEUE', ...LINKS, queue_position: 0 } } } } } },
        '422': {
          description: 'The request failed on its input or was blocked (also 400 canceled, 500 failed, 504 timed out): `{request_id, detail, error_type}`.',
          content: { 'application/json': { schema: { name: 'SeaArtFailure', schema: seaartFailureAnswer }, examples: { invalid: { summary: 'Invalid', value: { request_id: REQUEST_ID, detail: 'size: 4096*4096 is outside 512–2048.', error_type: 'REQUEST_INVALID' } } } } },
        },
      },
      errors: [{ shape: seaartErrors, kinds: [...READ_ERRORS, 'model_not_found'] }],
    },
    {
      method: 'put',
      path: '/v1/queue/{endpoint}/requests/{id}/cancel',
      operationId: 'seaartCancel',
      tag: 'SeaArt queue',
      summary: 'Cancel a request (a running one is asked to stop)',
      security: SECURITY,
      parameters: { path: requestPath },
      responses: {
        '202': { description: 'Cancellation requested.', content: { 'application/json': { schema: cancel, examples: { requested: { summary: 'Requested', value: { status: 'CANCELLATION_REQUESTED' } } } } } },
        '400': { description: 'The request already ended.', content: { 'application/json': { schema: cancel, examples: { completed: { summary: 'Already completed', value: { status: 'ALREADY_COMPLETED' } } } } } },
        '404': { description: 'No such request.', content: { 'application/json': { schema: cancel, examples: { missing: { summary: 'Not found', value: { status: 'NOT_FOUND' } } } } } },
      },
      errors: [{ shape: seaartErrors, kinds: ['unauthorized', 'model_not_found', 'rate_limited', 'unavailable', 'internal'] }],
    },
  ];
}
