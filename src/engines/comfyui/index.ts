/**
 * The ComfyUI engine: a self-hosted ComfyUI running Qwen-Image-Edit-2509 (protocols.md §5).
 * Inputs are uploaded, the workflow filled and queued; polls read /history (the source of
 * truth) and take progress from the websocket. One image per prompt: each image's seed is the
 * call's seed plus its index, exactly as a single-image run with that seed.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, throwIfAborted } from '../../domain/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { SafeFetch } from '../../lib/safe-fetch.js';
import type { Engine, EngineCall, EngineDone, EngineImage, EngineResult, JsonValue } from '../engine.js';
import { upstreamError } from '../upstream/errors.js';

import { ComfyClient, type HistoryEntry } from './client.js';
import { ProgressWatcher, websocketUrl } from './progress.js';
import { buildWorkflow, SAVE_NODE, type ComfyModelSettings } from './workflow.js';

export { COMFYUI_2509_FILES, defaultSampling } from './workflow.js';

export interface ComfyEngineOptions {
  name: string;
  baseUrl: string;
  models: readonly string[] | '*';
  settings: ComfyModelSettings;
  fetch: SafeFetch;
  logger: Logger;
}

const POLL_MS = 1000;

const operationSchema = z.object({
  promptId: z.string().min(1),
  clientId: z.string().min(1),
  /** What the last poll reported, so each change is logged once. */
  seen: z.string().optional(),
});

type ComfyOperation = z.infer<typeof operationSchema>;

const executionErrorSchema = z.object({ exception_type: z.string().optional(), exception_message: z.string().optional(), node_type: z.string().optional() });

function warnings(call: EngineCall): string[] {
  const notes: string[] = [];
  if (call.promptExtend) notes.push('prompt_extend is not available on ComfyUI; the prompt was used as written.');
  if (call.watermark) notes.push('ComfyUI cannot draw the watermark; the gateway drew it.');
  return notes;
}

/** A finished entry's error, in the terms of its `execution_error` message. */
function executionFailure(label: string, entry: HistoryEntry, promptId: string): AppError {
  const messages = entry.status?.messages ?? [];
  const interrupted = messages.some(([event]) => event === 'execution_interrupted');
  if (interrupted) return new AppError('engine_failed', `${label}: prompt ${promptId} was interrupted on the server.`);
  const error = executionErrorSchema.safeParse(messages.find(([event]) => event === 'execution_error')?.[1]).data;
  const where = error?.node_type ? ` in ${error.node_type}` : '';
  return upstreamError({ label, status: 0, message: `prompt ${promptId} failed${where}: ${error?.exception_message?.trim() ?? 'no details'}`, code: error?.exception_type });
}

export function createComfyEngine(options: ComfyEngineOptions): Engine {
  const label = `ComfyUI (${options.name})`;
  const client = new ComfyClient(label, options.baseUrl, options.fetch);
  const clientId = randomUUID();
  const watcher = new ProgressWatcher(websocketUrl(options.baseUrl, clientId), options.logger);

  function readOperation(operation: JsonValue): ComfyOperation {
    const parsed = operationSchema.safeParse(operation);
    if (!parsed.success) throw new AppError('internal', `${label}: the saved operation ${JSON.stringify(operation)} is not a ComfyUI prompt handle.`);
    return parsed.data;
  }

  async function finished(entry: HistoryEntry, handle: ComfyOperation, call: EngineCall): Promise<EngineDone> {
    watcher.forget(handle.promptId);
    if (entry.status?.status_str === 'error') throw executionFailure(label, entry, handle.promptId);
    const outputs = (entry.outputs[SAVE_NODE]?.images ?? []).filter((image) => image.type === 'output');
    if (outputs.length === 0) throw new AppError('engine_failed', `${label}: prompt ${handle.promptId} finished without images.`);
    const images: EngineImage[] = [];
    for (const image of outputs) images.push(await client.view(image, call));
    return { status: 'done', images, warnings: warnings(call) };
  }

  function stillPending(handle: ComfyOperation, state: 'queued' | 'running', call: EngineCall): EngineResult {
    const progress = state === 'running' ? watcher.of(handle.promptId) : undefined;
    const seen = progress ? `step ${progress.value}/${progress.max}` : state;
    if (seen !== handle.seen) call.log(`${label}: prompt ${handle.promptId} ${seen}`);
    return { status: 'pending', operation: { ...handle, seen }, pollAfterMs: POLL_MS, progress: progress ? progress.value / progress.max : undefined };
  }

  return {
    name: options.name,
    type: 'comfyui',
    capabilities: {
      models: options.models,
      maxImagesPerCall: 1,
      watermark: false,
      negativePrompt: true,
      promptExtend: false,
      seed: true,
      cancelRunning: true,
    },
    async start(call) {
      throwIfAborted(call.signal);
      watcher.ensure();
      const images: string[] = [];
      for (const input of call.inputs) images.push(await client.upload(await input.read(), input.contentType, call));
      const graph = buildWorkflow(options.settings, {
        prompt: call.prompt,
        negativePrompt: call.negativePrompt ?? '',
        seed: call.seed,
        n: call.n,
        images,
        size: call.size,
        followLastImage: call.sizeSource === 'default',
        filenamePrefix: `qig/${call.taskId}`,
      });
      const promptId = await client.submit(graph, clientId, call);
      return { status: 'pending', operation: { promptId, clientId }, pollAfterMs: POLL_MS };
    },
    async poll(operation, call) {
      const handle = readOperation(operation);
      watcher.ensure();
      const entry = await client.history(handle.promptId, call);
      if (entry) return finished(entry, handle, call);
      const queue = await client.queue(call);
      if (queue.running.includes(handle.promptId)) return stillPending(handle, 'running', call);
      if (queue.pending.includes(handle.promptId)) return stillPending(handle, 'queued', call);
      // It may have finished between the two reads.
      const late = await client.history(handle.promptId, call);
      if (late) return finished(late, handle, call);
      throw new AppError('engine_failed', `${label} no longer knows prompt ${handle.promptId} (was the server restarted?).`);
    },
    async cancel(operation, call) {
      const handle = readOperation(operation);
      watcher.forget(handle.promptId);
      const queue = await client.queue(call);
      if (queue.pending.includes(handle.promptId)) await client.dequeue(handle.promptId, call);
      else if (queue.running.includes(handle.promptId)) await client.interrupt(handle.promptId, call);
    },
    async close() {
      watcher.close();
    },
  };
}
