/**
 * The account routes (account.ts): balance, usage, the account page's reads, the user's keys and
 * top-up codes; the model catalog (catalog.ts) and the negative-prompt presets (presets.ts); for
 * the OpenAPI document, with zod schemas of their answers.
 */
import { z } from 'zod';
import type { ApiOperation } from '../../dialects/api-doc.js';
import { openAiErrorBody } from '../../dialects/openai/answers.js';
import { openAiErrors } from '../../dialects/openai/api.js';
import { usageQuerySchema } from '../usage-query.js';
import { ownAccountApi } from './own-account-api.js';

const amount = z.string().describe('A decimal amount, like "10.00".');

export const balanceAnswer = z.object({
  keyId: z.string(),
  userId: z.string().describe('The user the key belongs to: the balance is theirs, shared by all their keys.'),
  name: z.string().describe('The key\'s name.'),
  balance: amount.nullable().describe('Null for an unlimited user.'),
  held: amount.describe('Reserved by tasks still running.'),
  currency: z.string(),
});

export const usageAnswer = z.object({
  data: z.array(
    z.object({
      taskId: z.string(),
      keyId: z.string(),
      userId: z.string().nullable().describe('The user charged.'),
      model: z.string(),
      engine: z.string().nullable().describe('The engine that produced the images ("a+b" when a failover split them; unitPrice is then their average); null on rows from before prices were by engine.'),
      images: z.number().int(),
      unitPrice: amount.describe('The unit price applied: that of the engine that produced the images.'),
      amount,
      currency: z.string(),
      content: z.string(),
      createdAt: z.string(),
    }),
  ),
  total: z.number().int(),
  totals: z.object({ images: z.number().int(), amount, currency: z.string() }),
});

const sizeSpec = z.object({ rule: z.object({ kind: z.string() }).loose(), default: z.object({ kind: z.string() }).loose() }).nullable();

export const catalogModel = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  family: z.string(),
  description: z.string(),
  edit: z.boolean(),
  generate: z.boolean(),
  maxImages: z.number().int(),
  maxN: z.number().int(),
  promptExtend: z.boolean(),
  maxPromptChars: z.number().int(),
  maxNegativePromptChars: z.number().int(),
  editSize: sizeSpec,
  generateSize: sizeSpec,
  price: z.object({
    perImage: amount.describe("The price of the route's first engine."),
    currency: z.string(),
    byEngine: z.record(z.string(), amount).describe('Each engine of the route at its own price; a submit holds the dearest.'),
  }),
  endpoints: z.object({ seaart: z.string() }),
  engine: z
    .object({
      name: z.string().describe('The engine\'s name in the server\'s configuration.'),
      type: z.string().describe('local (the built-in CPU engine), dashscope, openai-compatible, fal or comfyui.'),
      generative: z.boolean().describe('False for the built-in CPU engine: classical edits and a labelled placeholder for text-to-image, not Qwen-Image.'),
    })
    .nullable()
    .describe('The engine the model\'s route tries first (others may follow on failure); null when none serves it.'),
});

export const catalogList = z.object({
  object: z.literal('list'),
  currency: z.string(),
  data: z.array(catalogModel),
  builtInEngine: z
    .object({
      summary: z.string().describe('What the built-in CPU engine does, in one sentence.'),
      connect: z.string().describe('The environment line that connects DashScope\'s Qwen-Image models.'),
      vocabulary: z.array(z.string()).describe('The edits it understands, in English with Chinese in brackets.'),
      docs: z.string().describe('Where the vocabulary is documented in full.'),
    })
    .describe('The built-in CPU engine, which serves the models whose engine is not generative.'),
});

export const presetsAnswer = z.object({ data: z.array(z.object({ type: z.string(), label: z.string(), en: z.string(), zh: z.string() })) });

const MODEL_EXAMPLE = {
  id: 'qwen-image-edit-plus',
  object: 'model',
  created: 0,
  owned_by: 'qwen',
  family: 'qwen-image-edit-plus',
  description: 'Image editing with 1–3 input images, 1–6 outputs, custom size.',
  edit: true,
  generate: false,
  maxImages: 3,
  maxN: 6,
  promptExtend: true,
  maxPromptChars: 800,
  maxNegativePromptChars: 500,
  editSize: { rule: { kind: 'sides', min: 512, max: 2048, multiple: 16 }, default: { kind: 'last-image-area', pixels: 1048576 } },
  generateSize: null,
  price: { perImage: '0.18', currency: 'CNY', byEngine: { cloud: '0.18', local: '0.00' } },
  endpoints: { seaart: 'qwen_image_edit_plus' },
  engine: { name: 'dashscope', type: 'dashscope', generative: true },
};

const BUILT_IN_EXAMPLE = {
  summary: 'The built-in CPU engine does classical edits (colour and tone, blur, geometry, art filters, background removal and replacement on plain backdrops, text in Latin and CJK scripts, collages) and a labelled placeholder for text-to-image; it is not a generative model.',
  connect: 'DASHSCOPE_API_KEY=sk-…',
  vocabulary: ['black and white (黑白)', 'sepia/vintage (复古, 老照片)', 'rotate 90/180/270, clockwise or counter-clockwise (顺时针/逆时针旋转90度)'],
  docs: 'docs/local-engine.md#vocabulary',
};

export function accountApi(): ApiOperation[] {
  return [
    {
      method: 'get',
      path: '/v1/balance',
      operationId: 'accountBalance',
      tag: 'Account',
      summary: 'The balance of the key\'s user',
      security: ['bearerKey'],
      responses: {
        '200': {
          description: 'Balance and holds.',
          content: { 'application/json': { schema: { name: 'BalanceAnswer', schema: balanceAnswer }, examples: { limited: { summary: 'A user with a balance', value: { keyId: 'key_3f9a1c', userId: 'usr_3f9a1c', name: 'shop-a', balance: '9.64', held: '0.36', currency: 'CNY' } } } } },
        },
      },
      errors: [{ shape: openAiErrors, kinds: ['unauthorized', 'rate_limited', 'unavailable', 'internal'] }],
    },
    {
      method: 'get',
      path: '/v1/usage',
      operationId: 'accountUsage',
      tag: 'Account',
      summary: 'The key\'s charged tasks, newest first',
      security: ['bearerKey'],
      parameters: { query: usageQuerySchema.omit({ keyId: true, userId: true }) },
      responses: {
        '200': {
          description: 'One page of usage, with totals over the filter.',
          content: {
            'application/json': {
              schema: { name: 'UsageAnswer', schema: usageAnswer },
              examples: {
                page: {
                  summary: 'One task',
                  value: {
                    data: [{ taskId: '0385dc79-5cf9-4bd6-9fd4-5b5b3b0d2f43', keyId: 'key_3f9a1c', userId: 'usr_3f9a1c', model: 'qwen-image-edit-plus', engine: 'cloud', images: 2, unitPrice: '0.18', amount: '0.36', currency: 'CNY', content: 'Image generation: 2 images × ¥0.18 = ¥0.36', createdAt: '2026-01-05T02:12:09.881Z' }],
                    total: 1,
                    totals: { images: 2, amount: '0.36', currency: 'CNY' },
                  },
                },
              },
            },
          },
        },
      },
      errors: [{ shape: openAiErrors, kinds: ['invalid_parameter', 'unauthorized', 'rate_limited', 'unavailable', 'internal'] }],
    },
    ...ownAccountApi(),
    {
      method: 'get',
      path: '/v1/models',
      operationId: 'listModels',
      tag: 'Catalog',
      summary: 'The models with their rules and prices (also readable as OpenAI\'s models.list())',
      security: [],
      responses: { '200': { description: 'The catalog.', content: { 'application/json': { schema: { name: 'ModelList', schema: catalogList }, examples: { one: { summary: 'Shortened to one model', value: { object: 'list', currency: 'CNY', data: [MODEL_EXAMPLE], builtInEngine: BUILT_IN_EXAMPLE } } } } } } },
    },
    {
      method: 'get',
      path: '/v1/models/{id}',
      operationId: 'getModel',
      tag: 'Catalog',
      summary: 'One model',
      security: [],
      parameters: { path: z.object({ id: z.string().describe('A model id, dated snapshots included.') }) },
      responses: {
        '200': { description: 'The model.', content: { 'application/json': { schema: { name: 'Model', schema: catalogModel }, examples: { model: { summary: 'qwen-image-edit-plus', value: MODEL_EXAMPLE } } } } },
        '404': {
          description: 'No such model, in OpenAI\'s shape.',
          content: { 'application/json': { schema: { name: 'OpenAiError', schema: openAiErrorBody }, examples: { missing: { summary: 'Unknown model', value: { error: { message: 'The model \'qwen-image-x\' does not exist.', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } } } } } },
        },
      },
    },
    {
      method: 'get',
      path: '/v1/presets/negative-prompts',
      operationId: 'negativePromptPresets',
      tag: 'Catalog',
      summary: 'Recommended negative prompts by edit type, in English and Chinese',
      security: [],
      responses: { '200': { description: 'The presets.', content: { 'application/json': { schema: { name: 'NegativePromptPresets', schema: presetsAnswer } } } } },
    },
  ];
}
