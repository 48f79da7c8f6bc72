/**
 * OpenAI's published schema for the Images API answers, as JSON Schema for ajv: `ImagesResponse`,
 * the two `*.completed` stream events and the error body. Written from the OpenAPI document
 * (openai/openai-openapi, MIT) as the official `openai` package (6.49.0) types it; the enums are
 * tied to that package's types below, so a schema that drifts from them fails to compile. A
 * client generated from the document with strict enums rejects an answer this rejects.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { ImageEditCompletedEvent, ImageGenCompletedEvent, ImagesResponse } from 'openai/resources/images';

/** Every value of a union `T`, no more, no fewer (checked by the compiler). */
function enumOf<T extends string>() {
  return <const V extends readonly T[]>(values: V & ([Exclude<T, V[number]>] extends [never] ? unknown : 'missing a value')): V => values;
}

const RESPONSE_SIZES = enumOf<NonNullable<ImagesResponse['size']>>()(['1024x1024', '1024x1536', '1536x1024']);
const RESPONSE_QUALITIES = enumOf<NonNullable<ImagesResponse['quality']>>()(['low', 'medium', 'high']);
const RESPONSE_BACKGROUNDS = enumOf<NonNullable<ImagesResponse['background']>>()(['transparent', 'opaque']);
const OUTPUT_FORMATS = enumOf<NonNullable<ImagesResponse['output_format']>>()(['png', 'webp', 'jpeg']);
const EVENT_SIZES = enumOf<ImageGenCompletedEvent['size']>()(['1024x1024', '1024x1536', '1536x1024', 'auto']);
const EVENT_QUALITIES = enumOf<ImageGenCompletedEvent['quality']>()(['low', 'medium', 'high', 'auto']);
const EVENT_BACKGROUNDS = enumOf<ImageEditCompletedEvent['background']>()(['transparent', 'opaque', 'auto']);

const tokenDetails = {
  type: 'object',
  required: ['image_tokens', 'text_tokens'],
  properties: { image_tokens: { type: 'integer' }, text_tokens: { type: 'integer' } },
};

const usage = {
  type: 'object',
  required: ['input_tokens', 'input_tokens_details', 'output_tokens', 'total_tokens'],
  properties: {
    input_tokens: { type: 'integer' },
    input_tokens_details: tokenDetails,
    output_tokens: { type: 'integer' },
    total_tokens: { type: 'integer' },
    output_tokens_details: tokenDetails,
  },
};

const imagesResponse = {
  type: 'object',
  required: ['created'],
  properties: {
    created: { type: 'integer' },
    data: {
      type: 'array',
      items: { type: 'object', properties: { b64_json: { type: 'string' }, url: { type: 'string' }, revised_prompt: { type: 'string' } } },
    },
    background: { enum: RESPONSE_BACKGROUNDS },
    output_format: { enum: OUTPUT_FORMATS },
    quality: { enum: RESPONSE_QUALITIES },
    size: { enum: RESPONSE_SIZES },
    usage,
  },
};

function completedEvent(type: string) {
  return {
    type: 'object',
    required: ['type', 'b64_json', 'background', 'created_at', 'output_format', 'quality', 'size', 'usage'],
    properties: {
      type: { const: type },
      b64_json: { type: 'string' },
      background: { enum: EVENT_BACKGROUNDS },
      created_at: { type: 'integer' },
      output_format: { enum: OUTPUT_FORMATS },
      quality: { enum: EVENT_QUALITIES },
      size: { enum: EVENT_SIZES },
      usage,
    },
  };
}

const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'param', 'code'],
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: ['string', 'null'] } },
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: true });

export const openAiSchemas: Record<'ImagesResponse' | 'ImageGenCompletedEvent' | 'ImageEditCompletedEvent' | 'ErrorResponse', ValidateFunction> = {
  ImagesResponse: ajv.compile(imagesResponse),
  ImageGenCompletedEvent: ajv.compile(completedEvent('image_generation.completed')),
  ImageEditCompletedEvent: ajv.compile(completedEvent('image_edit.completed')),
  ErrorResponse: ajv.compile(errorResponse),
};

/** Throws, naming every violation, unless `value` is valid against the named schema. */
export function assertOpenAiSchema(name: keyof typeof openAiSchemas, value: unknown): void {
  const validate = openAiSchemas[name];
  if (!validate(value)) throw new Error(`not a valid ${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 400)}`);
}
