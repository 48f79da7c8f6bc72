/** Calls as each reseller style's request (protocols.md §1.6, §2.2–2.3; seeds 001, 004). */
import { dashscopeParameters, syncBody } from '../dashscope/mapping.js';
import { SYNC_PATH } from '../dashscope/wire.js';
import type { EngineCall } from '../engine.js';
import { inputReference, type InputMode } from '../upstream/media.js';
import { buildMultipart, imageFileName, type MultipartPart } from '../upstream/multipart.js';

export type ResellerStyle = 'dashscope' | 'openai' | 'nebula';

export interface StyleSettings {
  style: ResellerStyle;
  /** The endpoint path (dashscope, nebula) or the prefix before /images/… (openai). */
  path?: string | undefined;
  inputs: InputMode;
  responseFormat?: 'url' | 'b64_json' | undefined;
}

export interface ResellerRequest {
  path: string;
  body: Buffer | string;
  contentType: string;
}

const json = (path: string, body: unknown): ResellerRequest => ({ path, body: JSON.stringify(body), contentType: 'application/json' });

/** Qwen's own parameters, flattened as OpenAI-style resellers take them (powertokens-style). */
function qwenExtras(call: EngineCall): Record<string, string | number | boolean> {
  const { negative_prompt: negativePrompt, prompt_extend: promptExtend, seed } = dashscopeParameters(call);
  return {
    ...(negativePrompt === undefined ? {} : { negative_prompt: negativePrompt }),
    ...(promptExtend === undefined ? {} : { prompt_extend: promptExtend }),
    seed,
  };
}

function openAiRequest(call: EngineCall, settings: StyleSettings): ResellerRequest {
  const prefix = settings.path ?? '/v1';
  const fields: Record<string, string | number | boolean> = {
    model: call.model,
    prompt: call.prompt,
    n: call.n,
    ...(call.sizeSource === 'request' ? { size: `${call.size.width}x${call.size.height}` } : {}),
    ...(settings.responseFormat ? { response_format: settings.responseFormat } : {}),
    ...qwenExtras(call),
  };
  return json(`${prefix}/images/generations`, fields);
}

async function openAiEditRequest(call: EngineCall, settings: StyleSettings): Promise<ResellerRequest> {
  const prefix = settings.path ?? '/v1';
  const files: MultipartPart[] = await Promise.all(
    call.inputs.map(async (input) => ({
      name: 'image[]',
      data: await input.read(),
      filename: imageFileName(`image-${input.index + 1}`, input.contentType),
      contentType: input.contentType,
    })),
  );
  const fields = Object.entries({
    prompt: call.prompt,
    model: call.model,
    n: call.n,
    ...(call.sizeSource === 'request' ? { size: `${call.size.width}x${call.size.height}` } : {}),
    ...(settings.responseFormat ? { response_format: settings.responseFormat } : {}),
    ...qwenExtras(call),
  }).map(([name, value]) => ({ name, value: String(value) }));
  const { body, contentType } = buildMultipart([...files, ...fields]);
  return { path: `${prefix}/images/edits`, body, contentType };
}

async function nebulaRequest(call: EngineCall, settings: StyleSettings): Promise<ResellerRequest> {
  const images = await Promise.all(call.inputs.map(async (input) => ({ image: await inputReference(input, settings.inputs) })));
  return json(settings.path ?? '/v1/images/generations', {
    model: call.model,
    prompt: call.prompt,
    parameters: dashscopeParameters(call),
    contents: [{ role: 'user', parts: [...images, { text: call.prompt }] }],
  });
}

export async function buildRequest(call: EngineCall, settings: StyleSettings): Promise<ResellerRequest> {
  switch (settings.style) {
    case 'dashscope':
      return json(settings.path ?? SYNC_PATH, await syncBody(call, settings.inputs));
    case 'nebula':
      return nebulaRequest(call, settings);
    case 'openai':
      return call.inputs.length > 0 ? openAiEditRequest(call, settings) : openAiRequest(call, settings);
  }
}
