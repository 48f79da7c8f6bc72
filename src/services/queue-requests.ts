/**
 * Submits for the queue dialects (fal, SeaArt): the task plus what those dialects keep beside it
 * — the endpoint the client named, fal's sync_mode, a start deadline (`x-fal-request-timeout`:
 * a task still queued at the deadline is canceled and reported as timed out) and the webhook.
 * Also the task events a status stream follows.
 */
import { LIST_PRICES, NO_LIMITS } from '../domain/users.js';
import { AppError } from '../domain/errors.js';
import { isTerminal, type TaskRecord } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import { LruCache } from '../lib/lru.js';
import type { Logger } from '../lib/logger.js';
import type { QueueRequestRecord, QueueRequestStore, TaskStore } from '../store/ports.js';
import type { TaskEventListener, TaskEvents } from '../events/events.js';
import type { Principal } from './keys.js';
import type { SubmitCommand, TaskService } from './tasks.js';
import type { WebhookService } from './webhooks.js';

export interface QueueSubmitOptions {
  /** The dialect, which renders the task's webhook body: `fal` or `seaart`. */
  dialect: string;
  endpoint: string;
  syncMode?: boolean | undefined;
  /** Seconds the task may wait in the queue before it is canceled as timed out. */
  startTimeoutSeconds?: number | undefined;
  webhook?: { url: string; field: string } | undefined;
  /** Refuse the submit when more than this many tasks are already queued. */
  maxQueueLength?: { value: number; field: string } | undefined;
}

export interface QueueRequestServiceDeps {
  tasks: TaskService;
  taskStore: TaskStore;
  requests: QueueRequestStore;
  webhooks: WebhookService;
  events: TaskEvents;
  clock: Clock;
  logger: Logger;
}

/** Cancels on behalf of the task's own key (the start deadline is the client's instruction). */
function ownerOf(keyId: string): Principal {
  return { keyId, userId: '', name: 'start deadline', group: LIST_PRICES, models: null, keyLimits: NO_LIMITS, userLimits: NO_LIMITS, keyExpiresAt: null };
}

export class QueueRequestService {
  /** Requests of finished tasks never change again. */
  private readonly finished = new LruCache<string, QueueRequestRecord | null>(10_000);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: QueueRequestServiceDeps) {}

  async submit(principal: Principal, command: SubmitCommand, options: QueueSubmitOptions): Promise<TaskRecord> {
    if (options.webhook) await this.deps.webhooks.checkUrl(options.webhook.url, options.webhook.field);
    if (options.maxQueueLength) {
      const queued = await this.deps.taskStore.countQueued();
      const { value, field } = options.maxQueueLength;
      if (queued > value) {
        throw new AppError('rate_limited', `${field}: ${queued} requests are waiting in the queue, more than the ${value} allowed by this request.`, { field, retryAfterSeconds: 5 });
      }
    }
    const now = this.deps.clock.now();
    const startDeadline = options.startTimeoutSeconds === undefined ? null : now + options.startTimeoutSeconds * 1000;
    const queueRequest = { dialect: options.dialect, endpoint: options.endpoint, syncMode: options.syncMode ?? false, startDeadline, webhookUrl: options.webhook?.url ?? null };
    const task = await this.deps.tasks.submit(principal, { ...command, queueRequest });
    // An Idempotency-Key replay answers the first task, whose request (and timer) exist already.
    const created = task.requestId === command.requestId;
    if (created && startDeadline !== null) this.armDeadline(task, startDeadline - now);
    // The task may have ended already (a fast engine, a replay): schedule its webhook now.
    // The task is accepted by now: a failure here must not fail the request (a client would
    // resubmit and pay twice), and the webhook sweep schedules what this could not.
    if (created && options.webhook) {
      await this.deps.webhooks.schedule(task.id).catch((error: unknown) => this.deps.logger.warn({ taskId: task.id, err: error }, 'webhook scheduling failed; the sweep retries'));
    }
    return task;
  }

  /** The queue options of a task, or null for a task submitted through another dialect. */
  async request(task: TaskRecord): Promise<QueueRequestRecord | null> {
    const cached = this.finished.get(task.id);
    if (cached !== undefined) return cached;
    const request = await this.deps.requests.getRequest(task.id);
    if (isTerminal(task.status)) this.finished.set(task.id, request);
    return request;
  }

  /** Listens to one task's events (status, log, progress); returns the function that stops. */
  subscribe(taskId: string, listener: TaskEventListener): () => void {
    return this.deps.events.subscribe(taskId, listener);
  }

  /** Cancels queued tasks past their start deadline that no timer of this node caught (worker role). */
  start(intervalMs: number): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => {
      this.expireOverdue().catch((error: unknown) => this.deps.logger.error({ err: error }, 'start-deadline sweep failed'));
    }, intervalMs);
    this.sweepTimer.unref();
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  async expireOverdue(): Promise<number> {
    let expired = 0;
    for (const { taskId, keyId } of await this.deps.requests.findOverdue(this.deps.clock.now(), 100)) {
      if (await this.expire(taskId, keyId)) expired += 1;
    }
    return expired;
  }

  private armDeadline(task: TaskRecord, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(task.id);
      this.expire(task.id, task.keyId).catch((error: unknown) => this.deps.logger.error({ taskId: task.id, err: error }, 'start deadline failed; the sweep retries'));
    }, delayMs);
    timer.unref();
    this.timers.set(task.id, timer);
  }

  /** Cancels the task if it is still queued, flagged as timed out; false if it had started. */
  private async expire(taskId: string, keyId: string): Promise<boolean> {
    if ((await this.deps.taskStore.get(taskId))?.status !== 'queued') return false;
    // Flagged before the cancel, so whoever renders the canceled task sees why.
    if (!(await this.deps.requests.markTimedOut(taskId, true))) return false;
    const { outcome } = await this.deps.tasks.cancel(ownerOf(keyId), taskId, { running: false });
    if (outcome !== 'canceled') {
      await this.deps.requests.markTimedOut(taskId, false);
      return false;
    }
    const at = this.deps.clock.now();
    const message = 'start timeout: the request was still queued at its x-fal-request-timeout and was not run';
    await this.deps.taskStore.appendLog(taskId, { at, level: 'error', message });
    await this.deps.events.publish({ type: 'log', taskId, level: 'error', message, at });
    return true;
  }
}
