/** ComfyUI's HTTP routes (protocols.md §5.1) through the engine's URL guard. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { SafeFetch, SafeFetchRequest, SafeFetchResponse } from '../../lib/safe-fetch.js';
import type { EngineImage } from '../engine.js';
import { answerFailure } from '../upstream/answers.js';
import { parseAnswer, readJson, upstreamFetch, type UpstreamCall } from '../upstream/http.js';
import { buildMultipart, imageFileName } from '../upstream/multipart.js';
import type { ComfyGraph } from './workflow.js';

const uploadAnswerSchema = z.object({ name: z.string().min(1), subfolder: z.string().optional(), type: z.string().optional() });
const promptAnswerSchema = z.object({ prompt_id: z.string().min(1) });
const promptErrorSchema = z.object({
  error: z.union([z.string(), z.object({ message: z.string().optional(), details: z.string().optional() }).loose()]),
  node_errors: z.unknown().optional(),
});

export const outputImageSchema = z.object({ filename: z.string().min(1), subfolder: z.string().default(''), type: z.string().default('output') });
export type OutputImage = z.infer<typeof outputImageSchema>;

const historyEntrySchema = z.object({
  outputs: z.record(z.string(), z.object({ images: z.array(outputImageSchema).optional() }).loose()).default({}),
  status: z
    .object({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.tuple([z.string(), z.unknown()])).optional(),
    })
    .optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

const queueItem = z.array(z.unknown()).min(2);
const queueAnswerSchema = z.object({ queue_running: z.array(queueItem), queue_pending: z.array(queueItem) });

const QUERY_TIMEOUT_MS = 15_000;
const TRANSFER_TIMEOUT_MS = 120_000;
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export class ComfyClient {
  private readonly base: string;

  constructor(
    private readonly label: string,
    baseUrl: string,
    private readonly fetch: SafeFetch,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async send(path: string, call: UpstreamCall, request: SafeFetchRequest): Promise<SafeFetchResponse> {
    return upstreamFetch(this.fetch, this.label, `${this.base}${path}`, { timeoutMs: QUERY_TIMEOUT_MS, ...request, signal: call.signal, requestId: call.requestId });
  }

  private requireOk(response: SafeFetchResponse): SafeFetchResponse {
    if (response.status < 200 || response.status > 299) {
      throw answerFailure(this.label, response, []);
    }
    return response;
  }

  /** A 2xx answer's JSON (undefined when it is not JSON: the schema then says what was wrong). */
  private ok(response: SafeFetchResponse): unknown {
    return readJson(this.requireOk(response));
  }

  private postJson(path: string, body: unknown, call: UpstreamCall): Promise<SafeFetchResponse> {
    return this.send(path, call, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** Uploads an input image under a content-derived name; returns the name LoadImage takes. */
  async upload(data: Buffer, contentType: string, call: UpstreamCall): Promise<string> {
    const stem = `qig-${createHash('sha256').update(data).digest('hex').slice(0, 24)}`;
    const { body, contentType: type } = buildMultipart([
      { name: 'image', data, filename: imageFileName(stem, contentType), contentType },
      { name: 'type', value: 'input' },
      { name: 'overwrite', value: 'true' },
    ]);
    const response = await this.send('/upload/image', call, { method: 'POST', headers: { 'content-type': type }, body, timeoutMs: TRANSFER_TIMEOUT_MS });
    const answer = parseAnswer(this.label, this.ok(response), uploadAnswerSchema);
    return answer.subfolder ? `${answer.subfolder}/${answer.name}` : answer.name;
  }

  /** Queues a workflow; a refused one means the server lacks a node or model file the config names. */
  async submit(graph: ComfyGraph, clientId: string, call: UpstreamCall): Promise<string> {
    const response = await this.postJson('/prompt', { prompt: graph, client_id: clientId }, call);
    const refused = promptErrorSchema.safeParse(readJson(response));
    if (response.status === 400 && refused.success) {
      const { error } = refused.data;
      const reason = typeof error === 'string' ? error : [error.message, error.details].filter(Boolean).join(': ');
      throw new AppError('engine_unavailable', `${this.label} refused the workflow: ${reason} ${JSON.stringify(refused.data.node_errors ?? {})}`.trim(), { retryable: false });
    }
    return parseAnswer(this.label, this.ok(response), promptAnswerSchema).prompt_id;
  }

  /** The prompt's history entry once it has finished; undefined before. */
  async history(promptId: string, call: UpstreamCall): Promise<HistoryEntry | undefined> {
    const response = await this.send(`/history/${encodeURIComponent(promptId)}`, call, { method: 'GET' });
    const answer = parseAnswer(this.label, this.ok(response), z.record(z.string(), historyEntrySchema));
    return answer[promptId];
  }

  async queue(call: UpstreamCall): Promise<{ running: string[]; pending: string[] }> {
    const answer = parseAnswer(this.label, this.ok(await this.send('/queue', call, { method: 'GET' })), queueAnswerSchema);
    const ids = (items: unknown[][]) => items.map((item) => String(item[1]));
    return { running: ids(answer.queue_running), pending: ids(answer.queue_pending) };
  }

  async view(image: OutputImage, call: UpstreamCall): Promise<EngineImage> {
    const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type });
    const response = this.requireOk(await this.send(`/view?${query.toString()}`, call, { method: 'GET', timeoutMs: TRANSFER_TIMEOUT_MS, maxBytes: MAX_IMAGE_BYTES }));
    return { kind: 'encoded', data: response.body, contentType: response.contentType ?? 'image/png' };
  }

  async interrupt(promptId: string, call: UpstreamCall): Promise<void> {
    this.requireOk(await this.postJson('/interrupt', { prompt_id: promptId }, call));
  }

  async dequeue(promptId: string, call: UpstreamCall): Promise<void> {
    this.requireOk(await this.postJson('/queue', { delete: [promptId] }, call));
  }
}
