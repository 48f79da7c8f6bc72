/**
 * fal endpoint ids and paths (protocols.md §3.1): which model serves `fal-ai/qwen-image-edit-plus`
 * and its siblings (plus `qwen/{model}` for every model of our catalog), and how a path under
 * /fal splits into a submit or a request operation (the sub-path is dropped for the latter). Pure.
 */
import { findModel } from '../../domain/models.js';

export interface FalEndpoint {
  /** The id as the client named it. */
  id: string;
  model: string;
  /** `edit` endpoints need image_urls, `generate` ones take none; null follows the request. */
  kind: 'edit' | 'generate' | null;
  /** fal's own endpoints have no prompt rewriting unless asked; `qwen/{model}` keeps the model's default. */
  falNative: boolean;
}

const FAL_ENDPOINTS: Readonly<Record<string, { model: string; kind: 'edit' | 'generate' }>> = {
  'fal-ai/qwen-image-edit-plus': { model: 'qwen-image-edit-plus', kind: 'edit' },
  'fal-ai/qwen-image-edit-2509': { model: 'qwen-image-edit-plus', kind: 'edit' },
  'fal-ai/qwen-image-edit': { model: 'qwen-image-edit', kind: 'edit' },
  'fal-ai/qwen-image-max/edit': { model: 'qwen-image-edit-max', kind: 'edit' },
  'fal-ai/qwen-image-max/text-to-image': { model: 'qwen-image-max', kind: 'generate' },
  'fal-ai/qwen-image-2/edit': { model: 'qwen-image-2.0', kind: 'edit' },
  'fal-ai/qwen-image-2/text-to-image': { model: 'qwen-image-2.0', kind: 'generate' },
  'fal-ai/qwen-image-2/pro/edit': { model: 'qwen-image-2.0-pro', kind: 'edit' },
  'fal-ai/qwen-image-2/pro/text-to-image': { model: 'qwen-image-2.0-pro', kind: 'generate' },
  'fal-ai/qwen-image': { model: 'qwen-image', kind: 'generate' },
};

export function falEndpointIds(): string[] {
  return Object.keys(FAL_ENDPOINTS);
}

export function resolveFalEndpoint(id: string): FalEndpoint | undefined {
  const known = FAL_ENDPOINTS[id];
  if (known) return { id, ...known, falNative: true };
  const own = /^qwen\/([^/]+)$/.exec(id)?.[1];
  const model = own === undefined ? undefined : findModel(own);
  return model ? { id, model: model.id, kind: null, falNative: false } : undefined;
}

export type FalOperation =
  | { kind: 'submit'; endpoint: string }
  | { kind: 'status' | 'stream' | 'result' | 'cancel'; app: string; requestId: string };

/**
 * `owner/app[/sub…]` is a submit; `owner/app/requests/{id}[/status[/stream]|/cancel]` an
 * operation on a request. Null for anything else (including an operation with a sub-path).
 */
export function parseFalPath(path: string): FalOperation | null {
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments.length < 2) return null;
  const at = segments.indexOf('requests');
  if (at < 0) return { kind: 'submit', endpoint: segments.join('/') };
  if (at !== 2) return null;
  const app = `${segments[0]}/${segments[1]}`;
  const requestId = segments[3];
  if (requestId === undefined) return null;
  const rest = segments.slice(4).join('/');
  const kind = rest === '' ? 'result' : rest === 'status' ? 'status' : rest === 'status/stream' ? 'stream' : rest === 'cancel' ? 'cancel' : null;
  return kind === null ? null : { kind, app, requestId };
}

/** `owner/app` of an endpoint id: where its requests are read and canceled. */
export function appOf(endpoint: string): string {
  return endpoint.split('/').slice(0, 2).join('/');
}
