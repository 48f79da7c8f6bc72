/**
 * DashScope request bodies (protocols.md §1.2–1.3) and their translation into a
 * GenerationRequest. Pure: no I/O. Type errors name the field as the client sent it.
 */
import { z } from 'zod';
import { printableName, quoteValue } from '../../domain/bounded-text.js';
import { AppError } from '../../domain/errors.js';
import { parseImageReference } from '../../domain/image-ref.js';
import { unknownFields } from '../unknown-fields.js';
import { wireType, zodToAppError } from '../zod-errors.js';
import { DASHSCOPE_FIELD_NAMES, type FieldNames, type GenerationRequest } from '../../domain/request.js';

const KNOWN_PARAMETERS = new Set(['n', 'size', 'negative_prompt', 'prompt_extend', 'watermark', 'seed']);

/** The Qwen-Image parameters, shared by every DashScope-shaped body (the nebula one too). */
export const parametersSchema = z
  .object(
    {
      n: z.number(wireType('must be an integer')).int('must be an integer').optional().describe('Images to make (1 to the model\'s maximum, GET /v1/models).'),
      size: z.string(wireType('must be a string like "1024*1536"')).optional().describe('Output size as "W*H"; by default it follows the last input image.'),
      negative_prompt: z.string(wireType('must be a string')).optional().describe('What the images should not show.'),
      prompt_extend: z.boolean(wireType('must be true or false')).optional().describe('Let the model rewrite the prompt (models that support it).'),
      watermark: z.boolean(wireType('must be true or false')).optional().describe('Draw the "Qwen-Image" mark in the bottom-right corner.'),
      seed: z.number(wireType('must be an integer')).int('must be an integer').optional().describe('0 to 2147483647; the same seed makes results more alike.'),
    },
    wireType('must be an object'),
  )
  .loose();

export const messagesBodySchema = z.object({
  model: z.string(wireType('must be a string')).min(1, 'must not be empty'),
  input: z.object(
    {
      messages: z.array(
        z.object({
          role: z.string(wireType('must be a string')),
          content: z
            .array(z.record(z.string(), z.unknown()), wireType('must be an array of {image} and {text} items'))
            .describe('Up to the model\'s number of {"image": "<URL or data URI>"} items, then one {"text": "<instruction>"}.'),
        }),
        wireType('must be an array with one user message'),
      ),
    },
    wireType('must be an object with messages'),
  ),
  parameters: parametersSchema.optional(),
});

export const promptBodySchema = z.object({
  model: z.string(wireType('must be a string')).min(1, 'must not be empty'),
  input: z.object(
    {
      prompt: z.string(wireType('must be a string')),
      negative_prompt: z.string(wireType('must be a string')).optional(),
    },
    wireType('must be an object with prompt'),
  ),
  parameters: parametersSchema.optional(),
});

export interface ParsedDashScopeRequest {
  request: GenerationRequest;
  fields: FieldNames;
  /** Notes for the task: parameters we do not know, ignored. */
  warnings: string[];
}

export function unknownParameterWarnings(parameters: Record<string, unknown> | undefined): string[] {
  return unknownFields(parameters ?? {}, KNOWN_PARAMETERS, 'parameters.').map((field) => `${field} is not a Qwen-Image parameter and was ignored.`);
}

function commonParameters(parameters: z.infer<typeof parametersSchema> | undefined) {
  return {
    n: parameters?.n,
    size: parameters?.size,
    seed: parameters?.seed,
    promptExtend: parameters?.prompt_extend,
    watermark: parameters?.watermark,
  };
}

/** The body of multimodal-generation/generation and image-generation/generation: one user message. */
export function parseMessagesBody(body: unknown): ParsedDashScopeRequest {
  const parsed = messagesBodySchema.safeParse(body);
  if (!parsed.success) throw zodToAppError(parsed.error);
  const { model, input, parameters } = parsed.data;
  if (input.messages.length !== 1) {
    throw new AppError('invalid_parameter', `input.messages: exactly one message is supported (single turn); got ${input.messages.length}.`, { field: 'input.messages' });
  }
  const message = input.messages[0] as (typeof input.messages)[number];
  if (message.role !== 'user') {
    throw new AppError('invalid_parameter', `input.messages[0].role: must be "user"; got ${quoteValue(message.role)}.`, { field: 'input.messages[0].role' });
  }
  const images: GenerationRequest['images'] = [];
  const texts: string[] = [];
  const imageFieldByIndex: string[] = [];
  message.content.forEach((item, index) => {
    const field = `input.messages[0].content[${index}]`;
    const keys = Object.keys(item);
    if ('image' in item && 'text' in item) {
      throw new AppError('invalid_parameter', `${field}: an item holds either "image" or "text", not both.`, { field });
    }
    if ('image' in item) {
      if (typeof item.image !== 'string') throw new AppError('invalid_parameter', `${field}.image: must be a string (URL or data URI).`, { field: `${field}.image` });
      imageFieldByIndex.push(`${field}.image`);
      images.push(parseImageReference(item.image, `${field}.image`));
    } else if ('text' in item) {
      if (typeof item.text !== 'string') throw new AppError('invalid_parameter', `${field}.text: must be a string.`, { field: `${field}.text` });
      texts.push(item.text);
    } else {
      const named = keys.slice(0, 5).map((key) => printableName(key, 32)).join(', ');
      throw new AppError('invalid_parameter', `${field}: must be {"image": …} or {"text": …}; got keys ${named === '' ? 'none' : keys.length > 5 ? `${named}, …` : named}.`, { field });
    }
  });
  if (texts.length !== 1) {
    const reason = texts.length === 0 ? 'no text item was given' : `${texts.length} text items were given`;
    throw new AppError('invalid_parameter', `input.messages[0].content: exactly one {"text": …} instruction is required; ${reason}.`, { field: 'input.messages[0].content' });
  }
  const fields: FieldNames = { ...DASHSCOPE_FIELD_NAMES, image: (i) => imageFieldByIndex[i] ?? DASHSCOPE_FIELD_NAMES.image(i) };
  return {
    request: {
      model,
      prompt: texts[0] as string,
      images,
      negativePrompt: parameters?.negative_prompt,
      ...commonParameters(parameters),
    },
    fields,
    warnings: unknownParameterWarnings(parameters),
  };
}

/** The body of text2image/image-synthesis: `input.prompt` rather than messages. */
export function parsePromptBody(body: unknown): ParsedDashScopeRequest {
  const parsed = promptBodySchema.safeParse(body);
  if (!parsed.success) throw zodToAppError(parsed.error);
  const { model, input, parameters } = parsed.data;
  if (input.negative_prompt !== undefined && parameters?.negative_prompt !== undefined) {
    throw new AppError('invalid_parameter', 'input.negative_prompt and parameters.negative_prompt: give the negative prompt once.', { field: 'input.negative_prompt' });
  }
  return {
    request: {
      model,
      prompt: input.prompt,
      images: [],
      negativePrompt: input.negative_prompt ?? parameters?.negative_prompt,
      ...commonParameters(parameters),
    },
    fields: { ...DASHSCOPE_FIELD_NAMES, prompt: 'input.prompt', negativePrompt: input.negative_prompt !== undefined ? 'input.negative_prompt' : 'parameters.negative_prompt' },
    warnings: unknownParameterWarnings(parameters),
  };
}
