/**
 * The DashScope answers as zod schemas: what render.ts builds (its functions are typed by them)
 * and what the OpenAPI document publishes. Objects are strict: a field added to an answer must be
 * added here, or the answer tests fail.
 */
import { z } from 'zod';

const count = z.number().int().min(0);

/** Our addition to DashScope's shapes: what was adjusted or ignored, only when there is any. */
const warnings = z.array(z.string()).optional().describe('What the gateway adjusted or ignored in the request (our addition; absent when nothing was).');

export const dashscopeTaskStatus = z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']);

const choices = z.array(
  z.object({
    finish_reason: z.literal('stop'),
    message: z.object({ role: z.literal('assistant'), content: z.array(z.object({ image: z.string().describe('A signed, expiring URL of the image.') })) }),
  }),
);

/** Our addition to `usage` (absent for a task that was never billed). */
const price = {
  unit_price: z.string().optional().describe('What one image costs the key, a decimal in `currency`: the price of its user\'s group, fixed at submit (held at the dearest engine of the route; the producing engine\'s once settled).'),
  amount: z.string().optional().describe('Once the task is settled: what it was charged.'),
  currency: z.string().optional(),
};

export const dashscopeSyncAnswer = z.object({
  output: z.object({ choices, warnings }),
  usage: z.object({ width: count, height: count, image_count: count, ...price }),
  request_id: z.string(),
});

export const dashscopeSubmitAnswer = z.object({
  output: z.object({ task_id: z.string(), task_status: dashscopeTaskStatus }),
  request_id: z.string(),
});

const time = z.string().describe('YYYY-MM-DD HH:mm:ss.SSS, server local time');

export const dashscopeTaskOutput = z.object({
  task_id: z.string(),
  task_status: dashscopeTaskStatus,
  submit_time: time.optional(),
  scheduled_time: time.optional(),
  end_time: time.optional(),
  results: z.array(z.object({ orig_prompt: z.string(), actual_prompt: z.string(), url: z.string() })).optional(),
  choices: choices.optional().describe('Tasks submitted on the DashScope routes only: the images as the sync answer lists them.'),
  task_metrics: z.object({ TOTAL: count, SUCCEEDED: count, FAILED: count }).optional(),
  code: z.string().optional(),
  message: z.string().optional(),
  queue_position: count.optional().describe('While PENDING only: how many queued tasks are ahead of this one, 0 when it is next (our addition; absent once it runs).'),
  warnings,
});

export const dashscopeTaskAnswer = z.object({
  request_id: z.string(),
  output: dashscopeTaskOutput,
  usage: z.object({ image_count: count, ...price }).optional().describe('Absent for an unknown task (task_status UNKNOWN).'),
});

export const dashscopeTaskList = z.object({
  request_id: z.string(),
  // The list does not compute queue positions (one count per queued task): query the task for it.
  data: z.array(dashscopeTaskOutput.omit({ queue_position: true }).extend({ model_name: z.string() })),
  total: count,
  total_page: count,
  page_no: z.number().int().min(1),
  page_size: z.number().int().min(1),
});

export const dashscopeCancelAnswer = z.object({
  request_id: z.string(),
  output: z.object({ task_id: z.string(), task_status: z.literal('CANCELED') }),
});

export const dashscopeErrorBody = z.object({
  code: z.string().describe('DashScope\'s error code: InvalidParameter, InvalidApiKey, Throttling.RateQuota, …'),
  message: z.string(),
  request_id: z.string(),
});
