/**
 * What resellers answer (protocols.md §1.6, §2.4, §2.6; seeds 000, 001, 004): DashScope-native
 * answers, OpenAI `data[]` (optionally with the DashScope answer in `metadata`), and ai-nebula's
 * `{code, msg, data}` envelope; errors in DashScope's, OpenAI's or nebula's shape, on any status.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { syncResult } from '../dashscope/mapping.js';
import { syncAnswerSchema } from '../dashscope/wire.js';
import type { EngineCall, EngineDone, EngineImage } from '../engine.js';
import { dashscopeErrorShape, nebulaErrorShape, openAiErrorShape, type ErrorShape } from '../upstream/answers.js';
import { parseAnswer } from '../upstream/http.js';
import { imageFromBase64, imageFromUrl, shortfallWarnings } from '../upstream/media.js';

const dataItemSchema = z.object({
  url: z.string().nullish(),
  b64_json: z.string().nullish(),
  revised_prompt: z.string().nullish(),
});

const openAiAnswerSchema = z.object({ data: z.array(dataItemSchema) });

const nebulaAnswerSchema = z.object({ code: z.literal(200), data: openAiAnswerSchema });

/** The error shapes resellers answer with, on any status. */
export const RESELLER_ERRORS: readonly ErrorShape[] = [openAiErrorShape, dashscopeErrorShape, nebulaErrorShape];

function dataResult(label: string, items: z.infer<typeof dataItemSchema>[], call: EngineCall): EngineDone {
  const images: EngineImage[] = items.flatMap((item) => {
    if (item.b64_json) return [imageFromBase64(label, item.b64_json)];
    if (item.url) return [imageFromUrl(label, item.url)];
    return [];
  });
  if (images.length === 0) throw new AppError('engine_failed', `${label} answered without images.`);
  const revised = items.find((item) => item.revised_prompt)?.revised_prompt ?? undefined;
  return { status: 'done', images, actualPrompt: revised, warnings: shortfallWarnings(label, images.length, call.n) };
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
