/** What the form holds at submit time, and the DashScope body it becomes. Pure. */
import type { Size } from '../../../src/domain/models.js';
import type { CatalogModel, SizeSpec } from '../lib/types.js';

export interface FormImage {
  /** A file name, or the URL as given. */
  name: string;
  /** The URL the user gave; null for a local file (sent as a data URI). */
  url: string | null;
  contentType: string;
  /** Pixel size, when the browser could read it. */
  size: Size | null;
}

export interface FormValues {
  model: CatalogModel;
  images: FormImage[];
  prompt: string;
  negativePrompt: string;
  /** null when left empty (the API's default, 1). */
  n: number | null;
  /** `W*H`, or null for the model's default. */
  size: string | null;
  seed: number | null;
  promptExtend: boolean;
  watermark: boolean;
}

export const MULTIMODAL_PATH = '/api/v1/services/aigc/multimodal-generation/generation';

export function kindOf(model: CatalogModel, imageCount: number): 'edit' | 'generate' {
  return imageCount > 0 || !model.generate ? 'edit' : 'generate';
}

export function sizeSpecOf(model: CatalogModel, imageCount: number): SizeSpec | null {
  return kindOf(model, imageCount) === 'edit' ? model.editSize : model.generateSize;
}

export interface DashScopeParameters {
  n?: number;
  size?: string;
  negative_prompt?: string;
  seed?: number;
  prompt_extend?: boolean;
  watermark?: boolean;
}

export function parametersOf(values: FormValues): DashScopeParameters {
  const parameters: DashScopeParameters = {};
  if (values.n !== null) parameters.n = values.n;
  if (values.size !== null) parameters.size = values.size;
  if (values.negativePrompt.trim() !== '') parameters.negative_prompt = values.negativePrompt;
  if (values.seed !== null) parameters.seed = values.seed;
  if (values.model.promptExtend) parameters.prompt_extend = values.promptExtend;
  parameters.watermark = values.watermark;
  return parameters;
}

/** The multimodal-generation body: images first (图1, 图2, 图3), then the instruction. */
export function dashscopeBody(values: FormValues, imageRefs: readonly string[]) {
  return {
    model: values.model.id,
    input: { messages: [{ role: 'user', content: [...imageRefs.map((image) => ({ image })), { text: values.prompt }] }] },
    parameters: parametersOf(values),
  };
}
