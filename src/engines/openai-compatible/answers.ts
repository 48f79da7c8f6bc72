/**
 * What resellers answer (protocols.md §1.6, §2.4, §2.6; seeds 000, 001, 004): DashScope-native
 * answers, OpenAI `data[]` (optionally with the DashScope answer in `metadata`), and ai-nebula's
 * `{code, msg, data}` envelope; errors in DashScope's, OpenAI's or nebula's shape, on any status.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { SafeFetchResponse } from '../../lib/safe-fetch.js';
import { syncResult } from '../dashscope/mapping.js';
import { syncAnswerSchema } from '../dashscope/wire.js';
import type { EngineCall, EngineDone, EngineImage } from '../engine.js';
import { upstreamError } from '../upstream/errors.js';
import { excerpt, parseAnswer, readJson, retryAfterSeconds } from '../upstream/http.js';
import { imageFromBase64, imageFromUrl } from '../upstream/media.js';

const dataItemSchema = z.object({
  url: z.string().nullish(),
  b64_json: z.string().nullish(),
  revised_prompt: z.string().nullish(),
});

const openAiAnswerSchema = z.object({ data: z.array(dataItemSchema) });

const nebulaAnswerSchema = z.object({ code: z.literal(200), data: openAiAnswerSchema });

const openAiErrorSchema = z.object({
  error: z.object({
    message: z.string().nullish(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});

const dashscopeErrorSchema = z.object({ code: z.string().min(1), message: z.string().nullish(), msg: z.string().nullish() });

const nebulaErrorSchema = z.object({ code: z.number().int().refine((code) => code !== 200), msg: z.string().nullish() });

/**
 * The answer's JSON when it is a success; the error it carries otherwise, thrown in catalog
 * terms. Resellers put errors in 200 answers too, so the body decides before the status.
 */
export function readResellerAnswer(label: string, response: SafeFetchResponse): unknown {
  const json = readJson(response);
  const retryAfter = retryAfterSeconds(response.headers);
  const openAi = openAiErrorSchema.safeParse(json);
  if (openAi.success) {
    const { error } = openAi.data;
    const code = error.code ?? error.type;
    throw upstreamError({ label, status: response.status, code: code === null || code === undefined ? undefined : String(code), message: error.message ?? undefined, field: error.param ?? undefined, retryAfterSeconds: retryAfter });
  }
  const dashscope = dashscopeErrorSchema.safeParse(json);
  if (dashscope.success) {
    throw upstreamError({ label, status: response.status, code: dashscope.data.code, message: dashscope.data.message ?? dashscope.data.msg ?? undefined, retryAfterSeconds: retryAfter });
  }
  const nebula = nebulaErrorSchema.safeParse(json);
  if (nebula.success) {
    throw upstreamError({ label, status: nebula.data.code, message: nebula.data.msg ?? undefined, retryAfterSeconds: retryAfter });
  }
  if (response.status < 200 || response.status > 299) {
    throw upstreamError({ label, status: response.status, message: `HTTP ${response.status} ${excerpt(response.body)}`.trim(), retryAfterSeconds: retryAfter });
  }
  if (json === undefined) throw new AppError('engine_failed', `${label} answered with a body that is not JSON: ${excerpt(response.body)}`);
  return json;
}

function dataResult(label: string, items: z.infer<typeof dataItemSchema>[], call: EngineCall): EngineDone {
  const images: EngineImage[] = items.flatMap((item) => {
    if (item.b64_json) return [imageFromBase64(label, item.b64_json)];
    if (item.url) return [imageFromUrl(label, item.url)];
    return [];
  });
  if (images.length === 0) throw new AppError('engine_failed', `${label} answered without images.`);
  const revised = items.find((item) => item.revised_prompt)?.revised_prompt ?? undefined;
  const warnings = images.length < call.n ? [`${label} returned ${images.length} of the ${call.n} images asked for.`] : [];
  return { status: 'done', images, actualPrompt: revised, warnings };
}

/** OpenAI `data[]` answers (with or without `metadata`). */
export function openAiResult(label: string, json: unknown, call: EngineCall): EngineDone {
  return dataResult(label, parseAnswer(label, json, openAiAnswerSchema).data, call);
}

/** A DashScope body's answer: DashScope-native (302.ai) or OpenAI-shaped (aigc.it). */
export function dashscopeStyleResult(label: string, json: unknown, call: EngineCall): EngineDone {
  const native = syncAnswerSchema.safeParse(json);
  if (native.success) return syncResult(label, native.data, call);
  return openAiResult(label, json, call);
}

export function nebulaResult(label: string, json: unknown, call: EngineCall): EngineDone {
  return dataResult(label, parseAnswer(label, json, nebulaAnswerSchema).data.data, call);
}
