/**
 * Webhooks of the queue dialects (fal's `?fal_webhook=`, SeaArt's `webhook` field). A webhook is
 * recorded with its task at submit (waiting); when the task ends its body is rendered once, in
 * the dialect's terms, and a delivery row is created that the delivery worker sends, signs and
 * retries. Ended tasks are noticed from this node's task events, and by a sweep for those that
 * ended while no node listened (a crash, another node).
 */
import { AppError } from '../domain/errors.js';
import { isTerminal, type TaskRecord } from '../domain/task.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { createUrlGuard, SafeFetchError, type Resolver, type UrlGuard } from '../lib/url-guard.js';
import type { DeliveryStore, QueueRequestRecord, QueueRequestStore, TaskStore } from '../store/ports.js';
import type { TaskEvents } from '../events/events.js';

/** What a webhook receives (fal's shape, protocols.md §3.7). */
export interface WebhookEnvelope {
  request_id: string;
  gateway_request_id: string;
  status: 'OK' | 'ERROR';
  /** The dialect's result body, or its error body. */
  payload: unknown;
  error?: string;
}

/** Renders a finished task's webhook body in the terms of the dialect it was submitted through. */
export type WebhookRenderer = (task: TaskRecord, request: QueueRequestRecord) => WebhookEnvelope | Promise<WebhookEnvelope>;

export interface WebhookServiceDeps {
  requests: QueueRequestStore;
  deliveries: DeliveryStore;
  taskStore: TaskStore;
  events: TaskEvents;
  /** By dialect name (the `dialect` of the queue request). */
  renderers: Readonly<Record<string, WebhookRenderer>>;
  clock: Clock;
  logger: Logger;
  /** `fetch.allowHosts`: private hosts a webhook may still point at. */
  allowHosts: readonly string[];
  resolver?: Resolver | undefined;
}

const MAX_URL_LENGTH = 2048;

export class WebhookService {
  private readonly guard: UrlGuard;
  private readonly scheduledListeners = new Set<() => void>();

  constructor(private readonly deps: WebhookServiceDeps) {
    this.guard = createUrlGuard({ allowHosts: deps.allowHosts, resolver: deps.resolver });
  }

  /** Schedules the webhook of every task that ends on this node; returns the function that stops. */
  listen(): () => void {
    return this.deps.events.subscribeLocal((event) => {
      if (event.type !== 'status' || !isTerminal(event.status)) return;
      // Only the queue dialects take webhooks: other tasks need no lookup of a queue request.
      if (event.task && !Object.hasOwn(this.deps.renderers, event.task.origin)) return;
      this.schedule(event.taskId, event.task).catch((error: unknown) => this.deps.logger.error({ taskId: event.taskId, err: error }, 'webhook scheduling failed; the sweep retries'));
    });
  }

  /** Calls `listener` whenever a delivery becomes due on this node (the delivery worker wakes). */
  onScheduled(listener: () => void): () => void {
    this.scheduledListeners.add(listener);
    return () => this.scheduledListeners.delete(listener);
  }

  /**
   * Refuses a webhook URL the URL guard would refuse at delivery: not http(s), or a host that is
   * (or resolves to) a private, loopback, link-local or other special address not allow-listed.
   */
  async checkUrl(value: string, field: string): Promise<void> {
    const refuse = (why: string): never => {
      throw new AppError('invalid_url', `${field}: ${why}`, { field });
    };
    if (value.length > MAX_URL_LENGTH) refuse(`the webhook URL is longer than ${MAX_URL_LENGTH} characters.`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return refuse('not a valid URL.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('the webhook URL must be http or https.');
    try {
      await this.guard.check(url, 'the webhook URL');
    } catch (error) {
      if (!(error instanceof SafeFetchError)) throw error;
      refuse(`${error.message}.`);
    }
  }

  /**
   * Creates the delivery of a task's webhook if the task has one and has ended; true when a
   * delivery was created now (not by an earlier call or another node).
   */
  async schedule(taskId: string, ended?: TaskRecord): Promise<boolean> {
    const request = await this.deps.requests.getRequest(taskId);
    if (!request?.webhookUrl) return false;
    const task = ended ?? (await this.deps.taskStore.get(taskId));
    if (!task || !isTerminal(task.status)) return false;
    const render = this.deps.renderers[request.dialect];
    if (!render) throw new Error(`no webhook renderer for dialect ${request.dialect}`);
    const body = JSON.stringify(await render(task, request));
    const created = await this.deps.deliveries.scheduleDelivery(taskId, request.webhookUrl, body, this.deps.clock.now());
    if (created) for (const listener of this.scheduledListeners) listener();
    return created;
  }

  /** Schedules webhooks of tasks that ended while no node listened; how many were created. */
  async scheduleEnded(): Promise<number> {
    let created = 0;
    for (const taskId of await this.deps.requests.findEndedWaiting(100)) {
      if (await this.schedule(taskId)) created += 1;
    }
    return created;
  }
}
