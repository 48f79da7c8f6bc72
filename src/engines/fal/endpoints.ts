/** Which fal endpoint serves a model (protocols.md §3.1, §3.8), and fal's path rules. */
import type { EngineCall } from '../engine.js';

export type FalEndpoint = string | { edit?: string | undefined; generate?: string | undefined };

export type FalEndpoints = Readonly<Record<string, FalEndpoint>>;

/** fal's Qwen-Image endpoints by model family; a config's `endpoints` is merged over this. */
export const DEFAULT_FAL_ENDPOINTS: FalEndpoints = {
  'qwen-image-edit': 'fal-ai/qwen-image-edit',
  'qwen-image-edit-plus': 'fal-ai/qwen-image-edit-plus',
  'qwen-image-edit-max': 'fal-ai/qwen-image-max/edit',
  'qwen-image-2.0': { edit: 'fal-ai/qwen-image-2/edit', generate: 'fal-ai/qwen-image-2/text-to-image' },
  'qwen-image-2.0-pro': { edit: 'fal-ai/qwen-image-2/pro/edit', generate: 'fal-ai/qwen-image-2/pro/text-to-image' },
  'qwen-image-max': { generate: 'fal-ai/qwen-image-max/text-to-image' },
  'qwen-image': { generate: 'fal-ai/qwen-image' },
};

export interface ResolvedEndpoint {
  id: string;
  /** Set when a dated snapshot ran on its family's endpoint. */
  warning?: string | undefined;
}

function pick(entry: FalEndpoint | undefined, kind: EngineCall['kind']): string | undefined {
  return typeof entry === 'string' ? entry : entry?.[kind];
}

export function resolveEndpoint(endpoints: FalEndpoints, call: Pick<EngineCall, 'model' | 'family' | 'kind'>): ResolvedEndpoint | undefined {
  const own = pick(endpoints[call.model], call.kind);
  if (own) return { id: own };
  const family = pick(endpoints[call.family], call.kind);
  if (!family) return undefined;
  return {
    id: family,
    warning: call.model === call.family ? undefined : `fal has no endpoint for ${call.model}; it ran on ${family} (${call.family}).`,
  };
}

/** Status, result and cancel use `owner/app` only: fal drops the sub-path. */
export function appPath(endpoint: string): string {
  return endpoint.split('/').slice(0, 2).join('/');
}

/** The Qwen-Image 2.0 and Max endpoints take `enable_prompt_expansion`; the edit-plus family has no such input. */
export function takesPromptExpansion(endpoint: string): boolean {
  return /^fal-ai\/qwen-image-(2|max)\//.test(endpoint);
}
