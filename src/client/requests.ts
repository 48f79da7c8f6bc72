/**
 * The caller's request in DashScope's wire form: messages for the sync route (edits and
 * text-to-image alike) and `input.prompt` for the async text-to-image route. Pure; the body
 * types are the server's own schemas (wire.generated.ts).
 */
import { BadRequestError } from './errors.js';
import type { ImageInput } from './images.js';
import type { DashScopeMessagesBody, DashScopePromptBody } from './wire.generated.js';

export const DEFAULT_EDIT_MODEL = 'qwen-image-edit-plus';
export const DEFAULT_GENERATE_MODEL = 'qwen-image-plus';

/** Models that edit (`qig models` lists each with its rules); another id is sent as written. */
export type EditModelId =
  | 'qwen-image-edit'
  | 'qwen-image-edit-plus'
  | 'qwen-image-edit-plus-2025-10-30'
  | 'qwen-image-edit-plus-2025-12-15'
  | 'qwen-image-edit-max'
  | 'qwen-image-edit-max-2026-01-16'
  | 'qwen-image-2.0'
  | 'qwen-image-2.0-pro'
  | 'qwen-image-2.0-pro-2026-03-03'
  | 'qwen-image-2.0-pro-2026-04-22'
  // Any other id, without losing the names above in an editor's completion.
  | (string & Record<never, never>);

/** Models that make images from text; another id is sent as written. */
export type GenerateModelId =
  | 'qwen-image'
  | 'qwen-image-plus'
  | 'qwen-image-max'
  | 'qwen-image-2.0'
  | 'qwen-image-2.0-pro'
  | 'qwen-image-2.0-pro-2026-03-03'
  | 'qwen-image-2.0-pro-2026-04-22'
  | (string & Record<never, never>);

/** What both edits and text-to-image take beside the prompt. */
export interface ImageParameters {
  /** Images to make (1 to the model's maximum). */
  n?: number;
  /** Output size: `"1024*1536"`, `"1024x1536"` or `{ width, height }`. */
  size?: string | { width: number; height: number };
  negativePrompt?: string;
  /** 0 to 2147483647; the same seed makes results more alike. */
  seed?: number;
  /** Let the model rewrite the prompt (models that support it). */
  promptExtend?: boolean;
  /** Draw the "Qwen-Image" mark in the bottom-right corner. */
  watermark?: boolean;
  /** Further `parameters` sent as they are (a newer model's options). */
  extra?: Readonly<Record<string, unknown>>;
}

export interface EditRequest extends ImageParameters {
  /** Default `qwen-image-edit-plus`. */
  model?: EditModelId;
  /** One to three images (the model's maximum): URLs, data: URIs, file paths or bytes. */
  images: ImageInput | readonly ImageInput[];
  prompt: string;
}

export interface GenerateRequest extends ImageParameters {
  /** Default `qwen-image-plus`. */
  model?: GenerateModelId;
  prompt: string;
}

type Parameters = NonNullable<DashScopeMessagesBody['parameters']>;

/** `1024x1536`, `1024*1536` or `{width, height}` as DashScope's `W*H`. */
export function sizeText(size: ImageParameters['size']): string | undefined {
  if (size === undefined) return undefined;
  if (typeof size === 'object') return `${size.width}*${size.height}`;
  return size.trim().replace(/\s*[xX×]\s*/, '*');
}

export function parametersOf(request: ImageParameters): Parameters {
  const parameters: Parameters = { ...request.extra };
  if (request.n !== undefined) parameters.n = request.n;
  const size = sizeText(request.size);
  if (size !== undefined) parameters.size = size;
  if (request.negativePrompt !== undefined) parameters.negative_prompt = request.negativePrompt;
  if (request.seed !== undefined) parameters.seed = request.seed;
  if (request.promptExtend !== undefined) parameters.prompt_extend = request.promptExtend;
  if (request.watermark !== undefined) parameters.watermark = request.watermark;
  return parameters;
}

function promptOf(prompt: unknown): string {
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new BadRequestError('prompt: is required.', { code: 'InvalidParameter' });
  return prompt;
}

/** The edit's images as a list, at least one. */
export function imageList(images: EditRequest['images']): readonly ImageInput[] {
  const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
  if (list.length === 0) throw new BadRequestError('images: an edit needs at least one image.', { code: 'InvalidParameter' });
  return list;
}

/** The sync route's body: images first, then the instruction, as DashScope's examples have it. */
export function messagesBody(model: string, imageRefs: readonly string[], prompt: string, request: ImageParameters): DashScopeMessagesBody {
  const content = [...imageRefs.map((image) => ({ image })), { text: promptOf(prompt) }];
  return { model, input: { messages: [{ role: 'user', content }] }, parameters: parametersOf(request) };
}

/** The async text-to-image route's body: the prompt and negative prompt in `input`. */
export function promptBody(model: string, request: GenerateRequest): DashScopePromptBody {
  const { negative_prompt: negative, ...parameters } = parametersOf(request);
  const input: DashScopePromptBody['input'] = { prompt: promptOf(request.prompt) };
  if (typeof negative === 'string') input.negative_prompt = negative;
  return { model, input, parameters };
}
