/**
 * The task service: submit, read, wait for and cancel tasks. Every dialect calls it; it decides
 * (rules, intake, ownership, limits), the store persists and the queue carries ids to workers.
 */
import { AppError } from '../domain/errors.js';
import { outputSizeFor, validateRequest, type FieldNames, type GenerationRequest } from '../domain/request.js';
import { isTerminal, type TaskRecord, type TaskStatus } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import { newTaskId, randomSeed } from '../lib/ids.js';
import { LruCache } from '../lib/lru.js';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../queue/queue.js';
import type { TaskLogLine, TaskStore } from '../store/task-store.js';
import type { TaskEvents } from './events.js';
import type { InputService } from './inputs.js';
import type { Principal } from './keys.js';

export interface SubmitCommand {
  request: GenerationRequest;
  fields: FieldNames;
  /** Notes from the dialect's translation (ignored fields and the like). */
  warnings?: string[] | undefined;
  /** The dialect the request came through. */
  origin: string;
  requestId: string;
}

export interface TaskListQuery {
  status?: TaskStatus | undefined;
  model?: string | undefined;
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  limit: number;
  offset: number;
}

export type CancelOutcome = 'canceled' | 'cancel-requested' | 'already-finished' | 'running' | 'not-found';

export interface TaskServiceOptions {
  maxQueuedTasks: number;
}

export class TaskService {
  /** Finished tasks never change again, so hot status polls need not touch the store. */
  private readonly finished = new LruCache<string, TaskRecord>(10_000);

  constructor(
    private readonly store: TaskStore,
    private readonly queue: TaskQueue,
    private readonly events: TaskEvents,
    private readonly inputs: InputService,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: TaskServiceOptions,
  ) {}

  async submit(principal: Principal, command: SubmitCommand): Promise<TaskRecord> {
    const { request, fields } = command;
    if (principal.models !== null && !principal.models.includes(request.model)) {
      throw new AppError('forbidden', `This API key may not use model ${request.model}.`, { field: fields.model });
    }
    const validated = validateRequest(request, { fields, randomSeed });
    if ((await this.store.countQueued()) >= this.options.maxQueuedTasks) {
      throw new AppError('overloaded', 'The server has too many queued tasks; try again shortly.', { retryAfterSeconds: 5 });
    }
    const { inputs, notes } = await this.inputs.ingest(request.images, fields);
    const last = inputs.at(-1);
    const size = outputSizeFor(validated, last ? { width: last.width, height: last.height } : undefined);
    const warnings = [...(command.warnings ?? []), ...validated.warnings, ...notes];
    for (const warning of warnings) this.logger.info({ requestId: command.requestId, warning }, 'request adjusted');

    const now = this.clock.now();
    const task = await this.store.create({
      id: newTaskId(),
      keyId: principal.keyId,
      model: validated.model.id,
      kind: validated.kind,
      spec: {
        prompt: validated.prompt,
        negativePrompt: validated.negativePrompt,
        n: validated.n,
        size,
        sizeSource: validated.size ? 'request' : 'default',
        seed: validated.seed,
        promptExtend: validated.promptExtend,
        watermark: validated.watermark,
        outputFormat: validated.outputFormat,
        outputQuality: validated.outputQuality,
      },
      inputs,
      warnings,
      origin: command.origin,
      requestId: command.requestId,
      createdAt: now,
    });
    await this.log(task.id, 'info', `queued: ${task.model}, ${task.spec.n} image(s) at ${size.width}*${size.height}, seed ${task.spec.seed}`);
    await this.events.publish({ type: 'status', taskId: task.id, status: 'queued', at: now });
    await this.queue.enqueue(task.id);
    return task;
  }

  /** The task if it exists and belongs to this key; another key's task reads as absent. */
  async get(principal: Principal, id: string): Promise<TaskRecord | null> {
    let task = this.finished.get(id) ?? null;
    if (!task) {
      task = await this.store.get(id);
      if (task && isTerminal(task.status)) this.finished.set(id, task);
    }
    return task && task.keyId === principal.keyId ? task : null;
  }

  /** Waits until the task ends or `timeoutMs` passes, and returns it as it then is. */
  async wait(principal: Principal, id: string, timeoutMs: number): Promise<TaskRecord | null> {
    let wake: () => void = () => {};
    const changed = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const unsubscribe = this.events.subscribe(id, (event) => {
      if (event.type === 'status' && isTerminal(event.status)) wake();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const task = await this.get(principal, id);
      if (!task || isTerminal(task.status)) return task;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([changed, timedOut]);
      return await this.get(principal, id);
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
  }

  /**
   * Cancels a queued task at once; a running one only when `running` allows it (the worker then
   * stops it). DashScope's dialect cancels only queued tasks; the queue dialects both.
   */
  async cancel(principal: Principal, id: string, options: { running: boolean }): Promise<{ outcome: CancelOutcome; task: TaskRecord | null }> {
    const task = await this.get(principal, id);
    if (!task) return { outcome: 'not-found', task: null };
    const now = this.clock.now();
    if (task.status === 'queued' && (await this.store.cancelQueued(id, now))) {
      await this.log(id, 'info', 'canceled while queued');
      await this.events.publish({ type: 'status', taskId: id, status: 'canceled', at: now });
      return { outcome: 'canceled', task: await this.store.get(id) };
    }
    const current = (await this.store.get(id)) ?? task;
    if (isTerminal(current.status)) return { outcome: 'already-finished', task: current };
    if (!options.running) return { outcome: 'running', task: current };
    if (await this.store.requestCancel(id, now)) {
      await this.log(id, 'info', 'cancellation requested while running');
      await this.events.publish({ type: 'cancel', taskId: id, at: now });
      // A task parked between polls has no worker listening: queue it, so one stops it now.
      await this.queue.enqueue(id);
      return { outcome: 'cancel-requested', task: current };
    }
    const after = (await this.store.get(id)) ?? current;
    return { outcome: isTerminal(after.status) ? 'already-finished' : 'running', task: after };
  }

  async list(principal: Principal, query: TaskListQuery): Promise<{ tasks: TaskRecord[]; total: number }> {
    return this.store.list({ ...query, keyId: principal.keyId });
  }

  async queuePosition(task: TaskRecord): Promise<number> {
    return task.status === 'queued' ? this.store.queuePosition(task) : 0;
  }

  logs(id: string): Promise<TaskLogLine[]> {
    return this.store.logs(id);
  }

  private async log(taskId: string, level: string, message: string): Promise<void> {
    const at = this.clock.now();
    await this.store.appendLog(taskId, { at, level, message });
    await this.events.publish({ type: 'log', taskId, level, message, at });
  }
}
