/**
 * The DashScope-native routes (routes.ts) for the OpenAPI document, under a prefix ('' and
 * '/aliyun' as app.ts mounts them). Request schemas are wire.ts's; answers are answers.ts's.
 */
import { z } from 'zod';
import { READ_ERRORS, SUBMIT_ERRORS, idempotencyHeader, type ApiOperation, type ErrorShape } from '../api-doc.js';
import {
  dashscopeCancelAnswer,
  dashscopeErrorBody,
  dashscopeSubmitAnswer,
  dashscopeSyncAnswer,
  dashscopeTaskAnswer,
  dashscopeTaskList,
} from './answers.js';
import { dashscopeError, errorBody } from './render.js';
import { messagesBodySchema, promptBodySchema } from './wire.js';

const REQUEST_ID = '83c1cd46-35aa-9c2a-9e41-ac788b8fcfdc';
const TASK_ID = '0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43';
const IMAGE = 'https://gateway.example.com/files/4f6c7e0d9a8b.png?exp=1767225600&sig=Vb7dQ2';

export const dashscopeErrors: ErrorShape = {
  name: 'DashScope',
  schema: { name: 'DashScopeError', schema: dashscopeErrorBody },
  render: (error) => ({ status: dashscopeError(error).status, body: errorBody(error, REQUEST_ID), headers: error.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(Math.ceil(error.retryAfterSeconds)) } }),
  description: '`{code, message, request_id}` with DashScope\'s code strings; 429 and 503 carry Retry-After.',
};

/** The vendor's three-image try-on edit, as DashScope documents it. */
const EDIT_EXAMPLE = {
  model: 'qwen-image-edit-plus-2025-12-15',
  input: {
    messages: [
      {
        role: 'user',
        content: [
          { image: 'https://example.com/images/input1.png' },
          { image: 'https://example.com/images/input2.png' },
          { image: 'https://example.com/images/input3.png' },
          { text: '图1中的女生穿着图2中的黑色裙子按图3的姿势坐下' },
        ],
      },
    ],
  },
  parameters: { n: 2, size: '1024*2048', negative_prompt: '低质量', prompt_extend: true, watermark: false },
};

const GENERATE_EXAMPLE = {
  model: 'qwen-image-2.0-pro',
  input: { messages: [{ role: 'user', content: [{ text: 'A red apple on a white table, clean studio lighting.' }] }] },
  parameters: { size: '1024*1024', n: 1, prompt_extend: false },
};

const PROMPT_EXAMPLE = {
  model: 'qwen-image-plus',
  input: { prompt: 'A poster of a mountain lake at dawn, the title "清晨" in large letters.' },
  parameters: { size: '1328*1328', n: 1, seed: 42 },
};

/** The always-async routes: the header DashScope requires there, optional here. */
const alwaysAsyncHeader = idempotencyHeader.extend({ 'X-DashScope-Async': z.enum(['enable']).optional().describe('DashScope requires it on this route; the gateway answers with the queued task with or without it.') });
const messagesBody = { name: 'DashScopeMessagesBody', schema: messagesBodySchema };
const submitted = { name: 'DashScopeSubmitAnswer', schema: dashscopeSubmitAnswer };
const submitExample = { output: { task_id: TASK_ID, task_status: 'PENDING' }, request_id: REQUEST_ID };

const taskPath = z.object({ taskId: z.string().describe('The task id a submit answered.') });

export function dashscopeApi(prefix: string): ApiOperation[] {
  const tag = prefix === '' ? 'DashScope' : 'DashScope (/aliyun)';
  const id = (name: string) => `${prefix === '' ? 'dashscope' : 'aliyun'}${name}`;
  const asyncSubmit = { description: 'The task, queued: poll GET /api/v1/tasks/{taskId}.', content: { 'application/json': { schema: submitted, examples: { queued: { summary: 'Queued', value: submitExample } } } } };
  return [
    {
      method: 'post',
      path: `${prefix}/api/v1/services/aigc/multimodal-generation/generation`,
      operationId: id('MultimodalGeneration'),
      tag,
      summary: 'Edit or generate images (sync, or async with X-DashScope-Async)',
      description: 'One user message: up to the model\'s number of images, then one text instruction (none for text-to-image models). Waits for the images unless `X-DashScope-Async: enable` asks for the task id at once.',
      security: ['bearerKey'],
      parameters: {
        header: idempotencyHeader.extend({ 'X-DashScope-Async': z.enum(['enable']).optional().describe('Answer with the queued task instead of waiting.') }),
      },
      requestBody: {
        required: true,
        content: { 'application/json': { schema: messagesBody, examples: { edit: { summary: 'Try-on from three images', value: EDIT_EXAMPLE }, generate: { summary: 'Text to image', value: GENERATE_EXAMPLE } } } },
      },
      responses: {
        '200': {
          description: 'The images (sync), or the queued task (with X-DashScope-Async: enable).',
          content: {
            'application/json': {
              schema: { anyOf: [{ name: 'DashScopeSyncAnswer', schema: dashscopeSyncAnswer }, submitted] },
              examples: {
                sync: {
                  summary: 'Sync answer',
                  value: { output: { choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: [{ image: IMAGE }] } }] }, usage: { width: 1248, height: 832, image_count: 1 }, request_id: REQUEST_ID },
                },
                async: { summary: 'With X-DashScope-Async: enable', value: submitExample },
              },
            },
          },
        },
      },
      errors: [{ shape: dashscopeErrors, kinds: SUBMIT_ERRORS }],
    },
    {
      method: 'post',
      path: `${prefix}/api/v1/services/aigc/image-generation/generation`,
      operationId: id('ImageGeneration'),
      tag,
      summary: 'Edit or generate images (always async)',
      security: ['bearerKey'],
      parameters: { header: alwaysAsyncHeader },
      requestBody: { required: true, content: { 'application/json': { schema: messagesBody, examples: { edit: { summary: 'Try-on from three images', value: EDIT_EXAMPLE } } } } },
      responses: { '200': asyncSubmit },
      errors: [{ shape: dashscopeErrors, kinds: SUBMIT_ERRORS }],
    },
    {
      method: 'post',
      path: `${prefix}/api/v1/services/aigc/text2image/image-synthesis`,
      operationId: id('ImageSynthesis'),
      tag,
      summary: 'Text to image with input.prompt (always async)',
      security: ['bearerKey'],
      parameters: { header: alwaysAsyncHeader },
      requestBody: { required: true, content: { 'application/json': { schema: { name: 'DashScopePromptBody', schema: promptBodySchema }, examples: { poster: { summary: 'A poster', value: PROMPT_EXAMPLE } } } } },
      responses: { '200': asyncSubmit },
      errors: [{ shape: dashscopeErrors, kinds: SUBMIT_ERRORS }],
    },
    {
      method: 'get',
      path: `${prefix}/api/v1/tasks/{taskId}`,
      operationId: id('GetTask'),
      tag,
      summary: 'A task: its status, and its images once SUCCEEDED',
      description: 'An unknown task answers 200 with task_status UNKNOWN, as DashScope does.',
      security: ['bearerKey'],
      parameters: { path: taskPath },
      responses: {
        '200': {
          description: 'The task.',
          content: {
            'application/json': {
              schema: { name: 'DashScopeTaskAnswer', schema: dashscopeTaskAnswer },
              examples: {
                succeeded: {
                  summary: 'Succeeded',
                  value: {
                    request_id: REQUEST_ID,
                    output: {
                      task_id: TASK_ID,
                      task_status: 'SUCCEEDED',
                      submit_time: '2026-01-05 10:12:01.204',
                      scheduled_time: '2026-01-05 10:12:01.260',
                      end_time: '2026-01-05 10:12:09.881',
                      results: [{ orig_prompt: 'make it black and white', actual_prompt: 'make it black and white', url: IMAGE }],
                      choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: [{ image: IMAGE }] } }],
                      task_metrics: { TOTAL: 1, SUCCEEDED: 1, FAILED: 0 },
                    },
                    usage: { image_count: 1 },
                  },
                },
                pending: { summary: 'Pending, one task ahead', value: { request_id: REQUEST_ID, output: { task_id: TASK_ID, task_status: 'PENDING', submit_time: '2026-01-05 10:12:01.204', queue_position: 1 }, usage: { image_count: 0 } } },
                running: { summary: 'Running', value: { request_id: REQUEST_ID, output: { task_id: TASK_ID, task_status: 'RUNNING', submit_time: '2026-01-05 10:12:01.204', scheduled_time: '2026-01-05 10:12:01.260' }, usage: { image_count: 0 } } },
                unknown: { summary: 'Unknown task', value: { request_id: REQUEST_ID, output: { task_id: TASK_ID, task_status: 'UNKNOWN' } } },
              },
            },
          },
        },
      },
      errors: [{ shape: dashscopeErrors, kinds: READ_ERRORS }],
    },
    {
      method: 'post',
      path: `${prefix}/api/v1/tasks/{taskId}/cancel`,
      operationId: id('CancelTask'),
      tag,
      summary: 'Cancel a PENDING task',
      description: 'Only a task still waiting can be canceled; otherwise 400 UnsupportedOperation.',
      security: ['bearerKey'],
      parameters: { path: taskPath },
      responses: {
        '200': {
          description: 'Canceled.',
          content: { 'application/json': { schema: { name: 'DashScopeCancelAnswer', schema: dashscopeCancelAnswer }, examples: { canceled: { summary: 'Canceled', value: { request_id: REQUEST_ID, output: { task_id: TASK_ID, task_status: 'CANCELED' } } } } } },
        },
      },
      errors: [{ shape: dashscopeErrors, kinds: [...READ_ERRORS, 'unsupported_operation'] }],
    },
    {
      method: 'get',
      path: `${prefix}/api/v1/tasks`,
      operationId: id('ListTasks'),
      tag,
      summary: 'The key\'s tasks, newest first, paged',
      security: ['bearerKey'],
      parameters: {
        query: z.object({
          status: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED']).optional(),
          model_name: z.string().optional(),
          start_time: z.string().regex(/^\d{14}$/).optional().describe('YYYYMMDDhhmmss, server local time.'),
          end_time: z.string().regex(/^\d{14}$/).optional().describe('YYYYMMDDhhmmss, server local time.'),
          page_no: z.number().int().min(1).max(100_000).optional().describe('Default 1.'),
          page_size: z.number().int().min(1).max(100).optional().describe('Default 10.'),
        }),
      },
      responses: {
        '200': {
          description: 'One page of tasks.',
          content: {
            'application/json': {
              schema: { name: 'DashScopeTaskList', schema: dashscopeTaskList },
              examples: {
                page: {
                  summary: 'One task',
                  value: {
                    request_id: REQUEST_ID,
                    data: [{ task_id: TASK_ID, task_status: 'PENDING', submit_time: '2026-01-05 10:12:01.204', model_name: 'qwen-image-edit-plus' }],
                    total: 1,
                    total_page: 1,
                    page_no: 1,
                    page_size: 10,
                  },
                },
              },
            },
          },
        },
      },
      errors: [{ shape: dashscopeErrors, kinds: READ_ERRORS }],
    },
  ];
}
