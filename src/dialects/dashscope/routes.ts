/**
 * The DashScope-native dialect (DESIGN.md §2.2 first row): sync and async generation, the task
 * API, mounted at /api/v1 and again under /aliyun (seed 000's proxy prefix).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { isTerminal, type TaskRecord } from '../../domain/task.js';
import { LruCache } from '../../lib/lru.js';
import { authHook, idempotencyKeyOf, principalOf, type DialectContext } from '../context.js';
import { awaitEnding, succeededOrThrow } from '../outcome.js';
import { errorHandler } from '../errors.js';
import {
  renderDashScopeError,
  submitResponse,
  syncResponse,
  taskOutput,
  taskQueryFragment,
  taskQueryJson,
  taskStatusFromDashScope,
  unknownTaskResponse,
} from './render.js';
import { parseMessagesBody, parsePromptBody, type ParsedDashScopeRequest } from './wire.js';
import { noteTask } from '../../lib/request-notes.js';

const ORIGIN = 'dashscope';

function wantsAsync(request: FastifyRequest): boolean {
  return String(request.headers['x-dashscope-async'] ?? '').toLowerCase() === 'enable';
}

/** `YYYYMMDDhhmmss` (the task list's time filter) in server local time. */
function parseListTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!m) throw new AppError('invalid_parameter', `${field}: must be YYYYMMDDhhmmss.`, { field });
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])).getTime();
}

function pageNumber(value: string | undefined, field: string, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new AppError('invalid_parameter', `${field}: must be an integer from 1 to ${max}.`, { field });
  return n;
}

export async function dashscopeRoutes(app: FastifyInstance, context: DialectContext): Promise<void> {
  app.setErrorHandler(errorHandler(renderDashScopeError));

  app.addHook('onRequest', authHook(context));

  const submit = (request: FastifyRequest, parsed: ParsedDashScopeRequest): Promise<TaskRecord> =>
    context.tasks.submit(principalOf(request), {
      request: parsed.request,
      fields: parsed.fields,
      warnings: parsed.warnings,
      origin: ORIGIN,
      requestId: request.id,
      idempotencyKey: idempotencyKeyOf(request),
      notes: request.notes,
    });

  const answerAsync = (reply: FastifyReply, task: TaskRecord, requestId: string) => reply.send(submitResponse(task, requestId));

  const bodyLimit = context.maxJsonBodyBytes;

  app.post('/api/v1/services/aigc/multimodal-generation/generation', { bodyLimit }, async (request, reply) => {
    const task = await submit(request, parseMessagesBody(request.body));
    if (wantsAsync(request)) return answerAsync(reply, task, request.id);
    const ended = await awaitEnding(context, principalOf(request), task, (seconds) => `Request timed out after ${seconds} s; task ${task.id} carries on — query GET /api/v1/tasks/${task.id} for its result.`);
    const done = succeededOrThrow(ended);
    return reply.send(syncResponse(done, context.outputUrls(done), request.id, context.currency));
  });

  app.post('/api/v1/services/aigc/image-generation/generation', { bodyLimit }, async (request, reply) => {
    const task = await submit(request, parseMessagesBody(request.body));
    return answerAsync(reply, task, request.id);
  });

  app.post('/api/v1/services/aigc/text2image/image-synthesis', { bodyLimit }, async (request, reply) => {
    const task = await submit(request, parsePromptBody(request.body));
    return answerAsync(reply, task, request.id);
  });

  // Status polls are the hottest route: a finished task's answer is rendered once and then
  // served without a promise or a store read, until its output URLs are signed anew.
  const finishedAnswers = new LruCache<string, { keyId: string; fragment: Buffer; epoch: number; model: string; origin: string }>(5_000);
  const sendTask = (reply: FastifyReply, fragment: Buffer, requestId: string) =>
    reply.type('application/json; charset=utf-8').send(taskQueryJson(fragment, requestId));
  app.get<{ Params: { taskId: string } }>('/api/v1/tasks/:taskId', (request, reply) => {
    const principal = principalOf(request);
    const { taskId } = request.params;
    const cached = finishedAnswers.get(taskId);
    if (cached && cached.keyId === principal.keyId && cached.epoch === context.outputUrlEpoch()) {
      noteTask(request.notes, { id: taskId, model: cached.model, origin: cached.origin });
      return sendTask(reply, cached.fragment, request.id);
    }
    return context.tasks.get(principal, taskId, request.notes).then(async (task) => {
      if (!task) return reply.send(unknownTaskResponse(taskId, request.id));
      const position = task.status === 'queued' ? await context.tasks.queuePosition(task) : undefined;
      const epoch = context.outputUrlEpoch();
      const fragment = taskQueryFragment(task, context.outputUrls(task), context.currency, position);
      // Kept once nothing in it changes: ended, and settled (a settlement may follow the ending).
      if (isTerminal(task.status) && task.billing.state !== 'held') finishedAnswers.set(task.id, { keyId: task.keyId, fragment, epoch, model: task.model, origin: task.origin });
      return sendTask(reply, fragment, request.id);
    });
  });

  app.post<{ Params: { taskId: string } }>('/api/v1/tasks/:taskId/cancel', async (request, reply) => {
    const principal = principalOf(request);
    const { outcome, task } = await context.tasks.cancel(principal, request.params.taskId, { running: false, notes: request.notes });
    if (outcome === 'canceled') return reply.send({ request_id: request.id, output: { task_id: request.params.taskId, task_status: 'CANCELED' } });
    const status = outcome === 'not-found' ? 'UNKNOWN' : (taskOutput(task as TaskRecord, []).task_status as string);
    throw new AppError('unsupported_operation', `Only tasks in PENDING status can be canceled; task ${request.params.taskId} is ${status}.`);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/tasks', async (request, reply) => {
    const principal = principalOf(request);
    const q = request.query;
    const pageNo = pageNumber(q.page_no, 'page_no', 1, 100_000);
    const pageSize = pageNumber(q.page_size, 'page_size', 10, 100);
    const status = q.status ? taskStatusFromDashScope(q.status.toUpperCase()) : undefined;
    if (q.status && !status) {
      throw new AppError('invalid_parameter', 'status: must be PENDING, RUNNING, SUCCEEDED, FAILED or CANCELED.', { field: 'status' });
    }
    const { tasks, total } = await context.tasks.list(principal, {
      status,
      model: q.model_name || undefined,
      createdFrom: parseListTime(q.start_time, 'start_time'),
      createdTo: parseListTime(q.end_time, 'end_time'),
      limit: pageSize,
      offset: (pageNo - 1) * pageSize,
    });
    return reply.send({
      request_id: request.id,
      data: tasks.map((task) => ({ ...taskOutput(task, context.outputUrls(task)), model_name: task.model })),
      total,
      total_page: Math.ceil(total / pageSize),
      page_no: pageNo,
      page_size: pageSize,
    });
  });
}
