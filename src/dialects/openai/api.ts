/**
 * The OpenAI Images routes (routes.ts) for the OpenAPI document: generations in OpenAI's body and
 * in the two reseller bodies the route also takes (DashScope-style, ai-nebula), each answered in
 * its vendor's shape, and edits as multipart or JSON.
 */
import { SUBMIT_ERRORS, idempotencyHeader, type ApiContent, type ApiOperation, type ErrorShape } from '../api-doc.js';
import { messagesBodySchema, parametersSchema, promptBodySchema } from '../dashscope/wire.js';
import { nebulaErrorBody, nebulaSuccessAnswer } from '../nebula/answers.js';
import { nebulaError } from '../nebula/render.js';
import { nebulaSchema } from '../nebula/wire.js';
import { openAiErrorBody, openAiImagesResponse, resellerImagesResponse } from './answers.js';
import { openAiError } from './render.js';
import { jsonEditBodySchema, multipartEditBodySchema, openAiBodySchema } from './wire.js';
import { z } from 'zod';

export const openAiErrors: ErrorShape = {
  name: 'OpenAi',
  schema: { name: 'OpenAiError', schema: openAiErrorBody },
  render: openAiError,
  description: '`{error: {message, type, param, code}}`; `x-should-retry` tells the OpenAI SDKs whether to retry, and 429 and 503 carry Retry-After.',
};

const nebulaErrors: ErrorShape = {
  name: 'Nebula',
  schema: { name: 'NebulaError', schema: nebulaErrorBody },
  render: nebulaError,
  description: 'ai-nebula\'s envelope `{code, msg, data: null}` (for bodies sent in its style), with its statuses 400, 401, 403, 429 and 500.',
};

const IMAGE = 'https://gateway.example.com/files/4f6c7e0d9a8b.png?exp=1767225600&sig=Vb7dQ2';
const REQUEST_ID = 'bf37ca26-0abe-98e4-8065-2a41c6d0e9f1';
const USAGE = { input_tokens: 0, input_tokens_details: { image_tokens: 0, text_tokens: 0 }, output_tokens: 0, total_tokens: 0 };
const DASHSCOPE_ANSWER = {
  output: { choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: [{ image: IMAGE }] } }] },
  usage: { width: 1024, height: 1024, image_count: 1 },
  request_id: REQUEST_ID,
};

/** DashScope's body with the parameters flattened to the top level, as resellers take it. */
const resellerBody = messagesBodySchema.extend(parametersSchema.shape).extend({ response_format: z.enum(['url', 'b64_json']).optional() });
const resellerPromptBody = promptBodySchema.extend(parametersSchema.shape).extend({ response_format: z.enum(['url', 'b64_json']).optional() });

const imagesAnswer = { name: 'OpenAiImagesResponse', schema: openAiImagesResponse };

const eventStream: ApiContent = {
  schema: {
    raw: {
      type: 'string',
      description: 'With `stream: true`: one `image_generation.completed` (or `image_edit.completed`) event per image, its data OpenAI\'s event object with `b64_json`; an `error` event carries the error body.',
    },
  },
};

export function openAiApi(): ApiOperation[] {
  return [
    {
      method: 'post',
      path: '/v1/images/generations',
      operationId: 'openAiGenerations',
      tag: 'OpenAI Images',
      summary: 'Generate (or, with a reseller body, edit) images; waits for them',
      description:
        'OpenAI\'s body, with the Qwen parameters (negative_prompt, seed, prompt_extend, watermark) accepted top level or in `parameters`; OpenAI model names (dall-e-…, gpt-image-…) are served by the default model (`x-qig-model` says which). Also takes DashScope\'s body (with `input`, parameters nested or flattened), answered with `metadata` holding DashScope\'s answer, and ai-nebula\'s body (with `contents[].parts[]`), answered and failed in its `{code, msg, data}` envelope. Fields without a Qwen meaning are named in `x-qig-ignored-params`.',
      security: ['bearerKey'],
      parameters: { header: idempotencyHeader },
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              anyOf: [
                { name: 'OpenAiImageRequest', schema: openAiBodySchema },
                { name: 'ResellerDashScopeBody', schema: resellerBody },
                { name: 'ResellerDashScopePromptBody', schema: resellerPromptBody },
                { name: 'NebulaBody', schema: nebulaSchema },
              ],
            },
            examples: {
              openai: { summary: 'OpenAI', value: { model: 'qwen-image-2.0', prompt: 'A watercolor fox in the snow', size: '1024x1024', n: 1, response_format: 'url' } },
              reseller: {
                summary: 'DashScope body, parameters flattened (reseller)',
                value: {
                  model: 'qwen-image-edit-max',
                  input: { messages: [{ role: 'user', content: [{ image: 'https://example.com/images/input1.png' }, { text: 'Turn the scene into a winter morning.' }] }] },
                  n: 1,
                  watermark: false,
                  response_format: 'url',
                },
              },
              nebula: {
                summary: 'ai-nebula body',
                value: {
                  model: 'qwen-image-edit-plus',
                  prompt: 'The girl in image 1 sits down in the pose of image 3 wearing the black dress from image 2',
                  parameters: { n: 2, negative_prompt: '', watermark: false, seed: 12345 },
                  contents: [{ role: 'user', parts: [{ image: 'https://example.com/images/input1.png' }, { image: 'https://example.com/images/input2.png' }, { image: 'https://example.com/images/input3.png' }] }],
                },
              },
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'The images, in the shape of the body sent.',
          headers: {
            'x-qig-ignored-params': { description: 'Fields accepted without effect.', schema: { type: 'string' } },
            'x-qig-model': { description: 'The model that served an OpenAI model name.', schema: { type: 'string' } },
            'x-qig-warnings': { description: "The task's warnings (fewer images than `n`, say), joined by `; `, non-ASCII as `\\uXXXX`; OpenAI-shaped answers only.", schema: { type: 'string' } },
          },
          content: {
            'application/json': {
              schema: { anyOf: [imagesAnswer, { name: 'ResellerImagesResponse', schema: resellerImagesResponse }, { name: 'NebulaAnswer', schema: nebulaSuccessAnswer }] },
              examples: {
                openai: { summary: 'OpenAI', value: { created: 1767601929, data: [{ url: IMAGE }], size: '1024x1024', output_format: 'png', usage: USAGE } },
                reseller: { summary: 'DashScope body (reseller)', value: { created: 1767601929, data: [{ url: IMAGE }], size: '1024x1024', output_format: 'png', usage: USAGE, metadata: DASHSCOPE_ANSWER } },
                nebula: {
                  summary: 'ai-nebula body',
                  value: { code: 200, msg: 'Operation successful', data: { data: [{ url: IMAGE, b64_json: '', revised_prompt: '' }], created: 1767601929, metadata: DASHSCOPE_ANSWER } },
                },
              },
            },
            'text/event-stream': eventStream,
          },
        },
      },
      errors: [
        { shape: openAiErrors, kinds: SUBMIT_ERRORS },
        { shape: nebulaErrors, kinds: SUBMIT_ERRORS },
      ],
    },
    {
      method: 'post',
      path: '/v1/images/edits',
      operationId: 'openAiEdits',
      tag: 'OpenAI Images',
      summary: 'Edit 1 to 3 images; waits for the result',
      description: 'Multipart as the OpenAI SDKs send it, or JSON with image URLs or data URIs. Qwen-Image takes no mask: describe the change in the prompt.',
      security: ['bearerKey'],
      parameters: { header: idempotencyHeader },
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': { schema: { name: 'OpenAiEditForm', schema: multipartEditBodySchema } },
          'application/json': {
            schema: { name: 'OpenAiEditJson', schema: jsonEditBodySchema },
            examples: {
              urls: { summary: 'Two images by URL', value: { model: 'qwen-image-edit-plus', prompt: 'Put the cat from image 2 on the sofa in image 1.', image: ['https://example.com/images/input1.png', 'https://example.com/images/input2.png'], response_format: 'url' } },
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'The edited images.',
          content: {
            'application/json': { schema: imagesAnswer, examples: { edited: { summary: 'Edited', value: { created: 1767601929, data: [{ url: IMAGE }], output_format: 'png', usage: USAGE } } } },
            'text/event-stream': eventStream,
          },
        },
      },
      errors: [{ shape: openAiErrors, kinds: SUBMIT_ERRORS }],
    },
  ];
}
