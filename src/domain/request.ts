import { quoteValue } from './bounded-text.js';
import { AppError } from './errors.js';
import { findModel, type ModelSpec, type Size } from './models.js';
import { applySizeRule, defaultSize, parseSizeText } from './size.js';

/** An input image as a client gave it: a URL to fetch, or bytes already in hand. */
export type ImageRef =
  | { kind: 'url'; url: string }
  | { kind: 'bytes'; bytes: Buffer; declaredType?: string | undefined; name?: string | undefined };

export type OutputFormat = 'png' | 'jpeg' | 'webp';

/** A generation or edit request in no dialect's terms: what every dialect translates into. */
export interface GenerationRequest {
  model: string;
  prompt: string;
  /** In order: image 1, 2, 3 (图1/图2/图3). The last one sets the default aspect ratio. */
  images: ImageRef[];
  negativePrompt?: string | undefined;
  n?: number | undefined;
  /** `W*H`, `WxH`, or already parsed; `auto` or absent means the model's default. */
  size?: string | Size | undefined;
  seed?: number | undefined;
  promptExtend?: boolean | undefined;
  watermark?: boolean | undefined;
  outputFormat?: OutputFormat | undefined;
  /** JPEG/WebP quality 0–100 (OpenAI's output_compression); ignored for PNG. */
  outputQuality?: number | undefined;
}

/** The names a dialect's clients use for each field, so error messages name what they sent. */
export interface FieldNames {
  model: string;
  prompt: string;
  negativePrompt: string;
  n: string;
  size: string;
  seed: string;
  promptExtend: string;
  watermark: string;
  images: string;
  image: (index: number) => string;
}

/** Field names as DashScope's native body spells them. */
export const DASHSCOPE_FIELD_NAMES: FieldNames = {
  model: 'model',
  prompt: 'input.messages[0].content[].text',
  negativePrompt: 'parameters.negative_prompt',
  n: 'parameters.n',
  size: 'parameters.size',
  seed: 'parameters.seed',
  promptExtend: 'parameters.prompt_extend',
  watermark: 'parameters.watermark',
  images: 'input.messages[0].content[].image',
  image: (i) => `input.messages[0].content[${i}].image`,
};

export const MAX_SEED = 2147483647;

/** A request that passed every rule that does not need the images' pixels. */
export interface ValidatedRequest {
  model: ModelSpec;
  kind: 'edit' | 'generate';
  prompt: string;
  negativePrompt: string | null;
  n: number;
  /** The explicit size after rounding; null when the model's default applies. */
  size: Size | null;
  seed: number;
  promptExtend: boolean;
  watermark: boolean;
  outputFormat: OutputFormat;
  outputQuality: number | null;
  /** Things changed or ignored on the way (truncations, unsupported switches). */
  warnings: string[];
}

export interface ValidateOptions {
  fields: FieldNames;
  /** Source of a seed when none was given; injectable for tests. */
  randomSeed: () => number;
}

function invalid(field: string, message: string): AppError {
  return new AppError('invalid_parameter', `${field}: ${message}`, { field });
}

/** Truncates to `max` characters (code points, so a CJK character or an emoji counts as one). */
export function truncateChars(text: string, max: number): { text: string; truncated: boolean } {
  // Walks at most `max` code points: a prompt of megabytes costs no more than one of `max`.
  if (text.length <= max) return { text, truncated: false };
  let end = 0;
  for (let count = 0; count < max && end < text.length; count += 1) {
    const code = text.codePointAt(end) as number;
    end += code > 0xffff ? 2 : 1;
  }
  return end >= text.length ? { text, truncated: false } : { text: text.slice(0, end), truncated: true };
}

export function resolveModel(id: string, field: string): ModelSpec {
  const model = findModel(id);
  if (!model) throw new AppError('model_not_found', 'Model not exist.', { field });
  return model;
}

/**
 * Applies the model's parameter rules (protocols.md §1.2): image count, n, size syntax and
 * range, prompt and negative-prompt truncation, seed range, prompt_extend support.
 */
export function validateRequest(request: GenerationRequest, options: ValidateOptions): ValidatedRequest {
  const { fields } = options;
  const model = resolveModel(request.model, fields.model);
  const warnings: string[] = [];
  const imageCount = request.images.length;

  let kind: 'edit' | 'generate';
  if (imageCount === 0) {
    if (!model.generate) {
      throw invalid(fields.images, `model ${model.id} edits images and needs 1 to ${model.maxImages} input images; none was given.`);
    }
    kind = 'generate';
  } else {
    if (!model.edit) {
      throw invalid(fields.images, `model ${model.id} generates from text only and takes no input image; ${imageCount} given.`);
    }
    if (imageCount > model.maxImages) {
      throw invalid(fields.images, `model ${model.id} takes at most ${model.maxImages} input images; ${imageCount} given.`);
    }
    kind = 'edit';
  }

  const promptText = request.prompt.trim();
  if (promptText.length === 0) throw invalid(fields.prompt, 'the prompt must not be empty.');
  const prompt = truncateChars(promptText, model.maxPromptChars);
  if (prompt.truncated) {
    warnings.push(`${fields.prompt} was longer than ${model.maxPromptChars} characters and was truncated.`);
  }

  let negativePrompt: string | null = null;
  if (request.negativePrompt !== undefined && request.negativePrompt.trim() !== '') {
    const negative = truncateChars(request.negativePrompt, model.maxNegativePromptChars);
    if (negative.truncated) {
      warnings.push(`${fields.negativePrompt} was longer than ${model.maxNegativePromptChars} characters and was truncated.`);
    }
    negativePrompt = negative.text;
  }

  const n = request.n ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > model.maxN) {
    const range = model.maxN === 1 ? 'must be 1' : `must be an integer from 1 to ${model.maxN}`;
    throw invalid(fields.n, `${range} for model ${model.id} (got ${quoteValue(request.n)}).`);
  }

  const size = resolveRequestedSize(request.size, model, kind, fields.size);

  let seed: number;
  if (request.seed === undefined) {
    seed = options.randomSeed();
  } else {
    if (!Number.isInteger(request.seed) || request.seed < 0 || request.seed > MAX_SEED) {
      throw invalid(fields.seed, `must be an integer from 0 to ${MAX_SEED} (got ${quoteValue(request.seed)}).`);
    }
    seed = request.seed;
  }

  let promptExtend = request.promptExtend ?? true;
  if (promptExtend && !model.promptExtend) {
    if (request.promptExtend === true) {
      warnings.push(`${fields.promptExtend} is not supported by model ${model.id} and was ignored.`);
    }
    promptExtend = false;
  }

  return {
    model,
    kind,
    prompt: prompt.text,
    negativePrompt,
    n,
    size,
    seed,
    promptExtend,
    watermark: request.watermark ?? false,
    outputFormat: request.outputFormat ?? 'png',
    outputQuality: request.outputFormat === 'png' || request.outputFormat === undefined ? null : (request.outputQuality ?? null),
    warnings,
  };
}

function resolveRequestedSize(
  raw: string | Size | undefined,
  model: ModelSpec,
  kind: 'edit' | 'generate',
  field: string,
): Size | null {
  if (raw === undefined || raw === 'auto' || raw === '') return null;
  const parsed = typeof raw === 'string' ? parseSizeText(raw) : raw;
  if (parsed === undefined) {
    throw invalid(field, `must be "width*height" (or "widthxheight"), e.g. "1024*1536"; got ${quoteValue(raw)}.`);
  }
  if (!Number.isInteger(parsed.width) || !Number.isInteger(parsed.height)) {
    throw invalid(field, 'width and height must be whole numbers.');
  }
  const rule = kind === 'edit' ? model.editSize : model.generateSize;
  return applySizeRule(parsed, rule, field, model.id);
}

/** The output size of a task: the explicit one, or the model's default from the last input image. */
export function outputSizeFor(request: ValidatedRequest, lastImage: Size | undefined): Size {
  if (request.size) return request.size;
  const { model, kind } = request;
  return kind === 'edit'
    ? defaultSize(model.editDefault, model.editSize, lastImage)
    : defaultSize(model.generateDefault, model.generateSize, undefined);
}
