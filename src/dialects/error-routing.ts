/**
 * Which dialect's error shape a path speaks, for errors raised before any route takes the
 * request: no such route (404), a wrong method (405), a malformed or over-long URL.
 */
import { renderDashScopeError } from './dashscope/render.js';
import { renderPlainError, type ErrorRenderer } from './errors.js';
import { renderFalError } from './fal/render.js';
import { renderOpenAiError } from './openai/render.js';
import { renderSeaArtError } from './seaart/render.js';

const BY_PATH: ReadonlyArray<readonly [RegExp, ErrorRenderer]> = [
  [/^\/(?:aliyun\/)?api\/v1(?:\/|$)/, renderDashScopeError],
  [/^\/v1\/queue(?:\/|$)/, renderSeaArtError],
  // The OpenAI Images routes and the account routes beside them.
  [/^\/v1(?:\/|$)/, renderOpenAiError],
  [/^\/fal(?:-run)?(?:\/|$)/, renderFalError],
];

/** The renderer of the dialect mounted at `path`; the plain `{error: {code, message}}` elsewhere. */
export function errorRendererForPath(path: string): ErrorRenderer {
  for (const [pattern, render] of BY_PATH) if (pattern.test(path)) return render;
  return renderPlainError;
}
