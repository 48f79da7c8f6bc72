/**
 * DashScope's bodies and answers (protocols.md §1.2–1.5), as the engine sends and reads them.
 * Pure: shared with the reseller engine's `dashscope` style.
 */
import { z } from 'zod';
import type { Size } from '../../domain/models.js';

export const SYNC_PATH = '/api/v1/services/aigc/multimodal-generation/generation';
export const ASYNC_TEXT2IMAGE_PATH = '/api/v1/services/aigc/text2image/image-synthesis';
export const taskPath = (taskId: string) => `/api/v1/tasks/${encodeURIComponent(taskId)}`;

export interface DashScopeParameters {
  n: number;
  size?: string;
  negative_prompt?: string;
  prompt_extend?: boolean;
  watermark: boolean;
  seed: number;
}

export interface SyncBody {
  model: string;
  input: { messages: [{ role: 'user'; content: Array<{ image: string } | { text: string }> }] };
  parameters: DashScopeParameters;
}

export interface AsyncText2ImageBody {
  model: string;
  input: { prompt: string; negative_prompt?: string };
  parameters: Omit<DashScopeParameters, 'negative_prompt'>;
}

export const sizeParameter = (size: Size) => `${size.width}*${size.height}`;

export const syncAnswerSchema = z.object({
  output: z.object({
    choices: z
      .array(
        z.object({
          finish_reason: z.string().nullish(),
          message: z.object({ content: z.array(z.object({ image: z.string().optional(), text: z.string().optional() })) }),
        }),
      )
      .min(1),
  }),
  usage: z.object({ width: z.number().optional(), height: z.number().optional(), image_count: z.number().optional() }).loose().optional(),
  request_id: z.string().optional(),
});

export type SyncAnswer = z.infer<typeof syncAnswerSchema>;

export const submitAnswerSchema = z.object({
  output: z.object({ task_id: z.string().min(1), task_status: z.string() }),
  request_id: z.string().optional(),
});

const taskResultSchema = z
  .object({
    url: z.string().optional(),
    orig_prompt: z.string().optional(),
    actual_prompt: z.string().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  })
  .loose();

export const taskAnswerSchema = z.object({
  output: z
    .object({
      task_id: z.string().optional(),
      task_status: z.string(),
      results: z.array(taskResultSchema).optional(),
      task_metrics: z.object({ TOTAL: z.number(), SUCCEEDED: z.number(), FAILED: z.number() }).partial().optional(),
      code: z.string().optional(),
      message: z.string().optional(),
    })
    .loose(),
  request_id: z.string().optional(),
});

export type TaskAnswer = z.infer<typeof taskAnswerSchema>;
