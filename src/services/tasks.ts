/**
 * The task service: submit, read, wait for and cancel tasks. Every dialect calls it; it decides
 * (rules, intake, ownership, limits), the store persists and the queue carries ids to workers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { boundWarnings } from '../domain/bounded-text.js';
import { AppError } from '../domain/errors.js';
import { mayBeDatabaseOutage } from '../domain/infrastructure-errors.js';
import { outputSizeFor, validateRequest, type FieldNames, type GenerationRequest, type ValidatedRequest } from '../domain/request.js';
import { isTerminal, type TaskInput, type TaskLogLine, type TaskRecord } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import { newTaskId, randomSeed } from '../lib/ids.js';
import { noteModel, noteTask, type RequestNotes } from '../lib/request-notes.js';
import { inSpan } from '../lib/tracing.js';
import { LruCache } from '../lib/lru.js';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../queue/queue.js';
import type { BudgetCheck, NewTask, TaskListFilter, TaskStore } from '../store/ports.js';
import type { TaskEvents } from '../events/events.js';
import type { RateLimiter } from '../rate-limits/rate-limit.js';
import type { BillingService } from './billing.js';
import { checkIdempotencyKey, requestFingerprint, type Idempotency } from './idempotency.js';
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
  /** The client's Idempotency-Key header, if any. */
  idempotencyKey?: string | undefined;
  /** A queue dialect's options, kept with the task in one transaction. */
  queueRequest?: NewTask['queueRequest'];
  /** The HTTP request's notes, given the model and the task (lib/request-notes.ts). */
  notes?: RequestNotes | null | undefined;
}

/** A submit that passed the rules and took in its images, to be created. */
interface Accepted {
  id: string;
  validated: ValidatedRequest;
  inputs: TaskInput[];
  notes: string[];
  billing: { unitPriceMicros: number; holdMicros: number; multiplierPpm: number };
  budgets: BudgetCheck[];
  idempotencyKey: string | undefined;
}

/** A key's own listing: the store's filter without the key, which the caller's principal gives. */
export type TaskListQuery = Omit<TaskListFilter, 'keyId' | 'userId'>;

export type CancelOutcome = 'canceled' | 'cancel-requested' | 'already-finished' | 'running' | 'not-found';

export interface TaskServiceOptions {
  maxQueuedTasks: number;
}

export interface TaskServiceDeps {
  store: TaskStore;
  billing: BillingService;
  idempotency: Idempotency;
  limiter: RateLimiter;
  queue: TaskQueue;
  events: TaskEvents;
  inputs: InputService;
  clock: Clock;
  logger: Logger;
}

export class TaskService {
  /** Finished tasks never change again, so hot status polls need not touch the store. */
  private readonly finished = new LruCache<string, TaskRecord>(10_000);
  private queued: { count: Promise<number>; at: number } | null = null;
  /**
   * Each queued task's position, read at most once a second: a client polling fast costs one
   * count per second, not one per poll. Forgotten when a task leaves the queue on this node; a
   * worker on another node moves it within the second.
   */
  private readonly positions = new LruCache<string, { position: number; at: number; moves: number }>(10_000);
  private queueMoves = 0;

  private readonly store: TaskStore;
  private readonly queue: TaskQueue;
  private readonly events: TaskEvents;
  private readonly clock: Clock;

  constructor(
    private readonly deps: TaskServiceDeps,
    private readonly options: TaskServiceOptions,
  ) {
    this.store = deps.store;
    this.queue = deps.queue;
    this.events = deps.events;
    this.clock = deps.clock;
    // A task leaving the queue here (started, canceled) moves every position: read them anew.
    this.events.subscribeLocal((event) => {
      if (event.type === 'status' && event.status !== 'queued') this.queueMoves += 1;
    });
  }

  /**
   * Checks a request against the key's limits and the model's rules, takes in its images, holds
   * its price and queues it. With an Idempotency-Key seen before, answers the first task instead.
   */
  async submit(principal: Principal, command: SubmitCommand): Promise<TaskRecord> {
    noteModel(command.notes, command.request.model);
    const task = await this.submitChecked(principal, command);
    noteTask(command.notes, task);
    return task;
  }

  private async submitChecked(principal: Principal, command: SubmitCommand): Promise<TaskRecord> {
    const { request, fields } = command;
    if (principal.models !== null && !principal.models.includes(request.model)) {
      throw new AppError('forbidden', `This API key may not use model ${request.model}.`, { field: fields.model });
    }
    if (command.idempotencyKey === undefined) return this.accept(principal, command, undefined);
    const key = checkIdempotencyKey(command.idempotencyKey);
    const first = await this.deps.idempotency.claim(principal.keyId, key, requestFingerprint(command.origin, request));
    if (first) return first;
    try {
      return await this.accept(principal, command, key);
    } catch (error) {
      await this.deps.idempotency.release(principal.keyId, key);
      throw error;
    }
  }

  /** Rate limit, rules, intake, hold and queue: a submit with its Idempotency-Key (if any) claimed. */
  private async accept(principal: Principal, command: SubmitCommand, idempotencyKey: string | undefined): Promise<TaskRecord> {
    const { request, fields } = command;
    const { keyLimits, userLimits } = principal;
    if (keyLimits.rateLimitPerMinute !== null) await this.deps.limiter.take(principal.keyId, keyLimits.rateLimitPerMinute);
    // The user's limit is shared by all its keys: one bucket, named apart from any key's.
    if (userLimits.rateLimitPerMinute !== null) await this.deps.limiter.take(`user:${principal.userId}`, userLimits.rateLimitPerMinute);
    const validated = validateRequest(request, { fields, randomSeed });
    if ((await this.queuedCount()) >= this.options.maxQueuedTasks) {
      throw new AppError('overloaded', 'The server has too many queued tasks; try again shortly.', { retryAfterSeconds: 5 });
    }
    const billing = this.deps.billing.quote(validated.model, validated.n, principal.group);
    const budgeted = Boolean(principal.userLimits.budget || principal.keyLimits.budget);
    // Before any image work (and before a budget's refusal); the hold taken with the task is what
    // guarantees payment, refusing with the same error: with no images and no budget, a read
    // ahead of it would only repeat it.
    if (billing.holdMicros > 0 && (request.images.length > 0 || budgeted)) await this.deps.billing.assertCanPay(principal, billing.holdMicros);
    const budgets = budgeted ? await this.deps.billing.budgetChecks(principal, billing.holdMicros) : [];
    const id = newTaskId();
    const { inputs, notes } = await inSpan('image intake', { 'qig.task_id': id, 'qig.images': request.images.length }, () => this.deps.inputs.ingest(request.images, fields, id));
    try {
      return await this.create(principal, command, { id, validated, inputs, notes, billing, budgets, idempotencyKey });
    } catch (error) {
      if (mayBeDatabaseOutage(error)) {
        // The connection may have dropped after the commit: the task may exist. Its inputs stay,
        // and its id is queued (an id without a task is dropped by the claim), so a task the
        // client was told failed still runs now rather than at the next re-queue from the store.
        await this.queue.enqueue(id);
      } else {
        await this.deps.inputs.discard(inputs);
      }
      throw error;
    }
  }

  private async create(principal: Principal, command: SubmitCommand, accepted: Accepted): Promise<TaskRecord> {
    const { id, validated, inputs, notes, billing, budgets, idempotencyKey } = accepted;
    const last = inputs.at(-1);
    const size = outputSizeFor(validated, last ? { width: last.width, height: last.height } : undefined);
    const warnings = boundWarnings([...(command.warnings ?? []), ...validated.warnings, ...notes]);
    if (warnings.length > 0) this.deps.logger.info({ requestId: command.requestId, warnings }, 'request adjusted');

    const now = this.clock.now();
    const newTask: NewTask = {
      id,
      billing,
      keyId: principal.keyId,
      userId: principal.userId,
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
      queueRequest: command.queueRequest,
    };
    const task = await this.store.create(newTask, { maxInFlight: principal.keyLimits.maxInFlight, userMaxInFlight: principal.userLimits.maxInFlight, budgets, idempotencyKey });
    await this.log(task.id, 'info', `queued: ${task.model}, ${task.spec.n} image(s) at ${size.width}*${size.height}, seed ${task.spec.seed}`);
    await this.events.publish({ type: 'status', taskId: task.id, status: 'queued', at: now });
    await this.queue.enqueue(task.id);
    return task;
  }

  /** The task if it exists and belongs to this key; another key's task reads as absent. `notes`: the reading request's. */
  async get(principal: Principal, id: string, notes?: RequestNotes | null): Promise<TaskRecord | null> {
    let task = this.finished.get(id) ?? null;
    if (!task) {
      task = await this.store.get(id);
      if (task && isTerminal(task.status)) this.finished.set(id, task);
    }
    if (!task || task.keyId !== principal.keyId) return null;
    noteTask(notes, task);
    return task;
  }

  /** Waits until the task ends or `timeoutMs` passes, and returns it as it then is. */
  async wait(principal: Principal, id: string, timeoutMs: number): Promise<TaskRecord | null> {
    let wake: () => void = () => {};
    const changed = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const unsubscribe = this.events.subscribe(id, (event) => {
      if (event.type !== 'status' || !isTerminal(event.status)) return;
      if (event.task && event.task.id === id) this.finished.set(id, event.task);
      wake();
    });
    let timer: NodeJS.Timeout | undefined;
    // Real time, as the timer's: the clock may be a test's.
    const deadline = performance.now() + timeoutMs;
    try {
      const task = await this.readWhileWaiting(principal, id, deadline);
      if (!task || isTerminal(task.status)) return task;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - performance.now()));
      });
      await Promise.race([changed, timedOut]);
      return await this.readWhileWaiting(principal, id, deadline);
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
  }

  /**
   * Reads a task someone is waiting for. The task was accepted, so a database failing for a moment
   * (a pool busy past its wait, a failover) is read again, a little later each time, until the
   * wait's deadline; only a failure that outlasts it reaches the caller.
   */
  private async readWhileWaiting(principal: Principal, id: string, deadline: number): Promise<TaskRecord | null> {
    for (let pauseMs = 250; ; pauseMs = Math.min(pauseMs * 2, 2_000)) {
      try {
        return await this.get(principal, id);
      } catch (error) {
        const left = deadline - performance.now();
        if (!mayBeDatabaseOutage(error) || left <= pauseMs) throw error;
        this.deps.logger.warn({ taskId: id, err: error }, 'reading a waited-for task failed; reading it again');
        await sleep(pauseMs);
      }
    }
  }

  /**
   * Cancels a queued task at once; a running one only when `running` allows it (the worker then
   * stops it). DashScope's dialect cancels only queued tasks; the queue dialects both. `notes`: the
   * cancelling request's.
   */
  async cancel(principal: Principal, id: string, options: { running: boolean; notes?: RequestNotes | null }): Promise<{ outcome: CancelOutcome; task: TaskRecord | null }> {
    const task = await this.get(principal, id, options.notes);
    if (!task) return { outcome: 'not-found', task: null };
    const now = this.clock.now();
    if (task.status === 'queued' && (await this.store.cancelQueued(id, now))) {
      await this.log(id, 'info', 'canceled while queued');
      this.deps.logger.info({ taskId: id, requestId: task.requestId, model: task.model, outcome: 'canceled' }, 'task ended');
      await this.deps.billing.settle(id);
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

  /** A user's tasks across all its keys, newest first (their own account page). */
  listForUser(userId: string, limit: number, offset: number): Promise<{ tasks: TaskRecord[]; total: number }> {
    return this.store.list({ userId, limit, offset });
  }


  async queuePosition(task: TaskRecord): Promise<number> {
    if (task.status !== 'queued') return 0;
    const now = this.clock.now();
    const known = this.positions.get(task.id);
    if (known && known.moves === this.queueMoves && now - known.at < 1000) return known.position;
    const moves = this.queueMoves;
    const position = await this.store.queuePosition(task);
    this.positions.set(task.id, { position, at: now, moves });
    return position;
  }

  logs(id: string): Promise<TaskLogLine[]> {
    return this.store.logs(id);
  }

  /** The number of queued tasks, read at most every 200 ms: an overload guard need not be exact. */
  private async queuedCount(): Promise<number> {
    const now = this.clock.now();
    if (this.queued === null || now - this.queued.at > 200) {
      // One read for everyone who asks while it runs: a burst would otherwise start one each.
      const count = this.store.countQueued().catch((error: unknown) => {
        this.queued = null;
        throw error;
      });
      this.queued = { count, at: now };
    }
    return this.queued.count;
  }

  private async log(taskId: string, level: string, message: string): Promise<void> {
    const at = this.clock.now();
    await this.store.appendLog(taskId, { at, level, message });
    await this.events.publish({ type: 'log', taskId, level, message, at });
  }
}
