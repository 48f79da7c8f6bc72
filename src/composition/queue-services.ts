/**
 * Wires the queue dialects' services: request options, webhooks and their delivery worker. Every
 * node schedules the webhooks of the tasks it ends; the worker role also sends deliveries and
 * enforces start deadlines no timer caught.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { createSafeFetch } from '../lib/safe-fetch.js';
import type { Resolver } from '../lib/url-guard.js';
import type { DeliveryStore, QueueRequestStore, SettingsStore, TaskStore } from '../store/ports.js';
import type { TaskEvents } from '../events/events.js';
import { QueueRequestService } from '../services/queue-requests.js';
import type { TaskService } from '../services/tasks.js';
import { DEFAULT_DELIVERY_TIMINGS, WebhookDeliveryWorker } from '../services/webhook-delivery.js';
import { WebhookService, type WebhookRenderer } from '../services/webhooks.js';

export interface QueueServicesOptions {
  requests: QueueRequestStore;
  deliveries: DeliveryStore;
  taskStore: TaskStore;
  tasks: TaskService;
  events: TaskEvents;
  settings: SettingsStore;
  clock: Clock;
  logger: Logger;
  renderers: Readonly<Record<string, WebhookRenderer>>;
  webhooks: { maxAttempts: number; firstRetrySeconds: number; secret: string | null };
  allowHosts: readonly string[];
  resolver?: Resolver | undefined;
  workerId: string;
  /** How often start deadlines and unscheduled webhooks are swept (worker role). */
  sweepIntervalMs: number;
}

export interface QueueServices {
  webhooks: WebhookService;
  queueRequests: QueueRequestService;
  /** Expires overdue start deadlines, then delivers webhooks and sweeps deadlines (the worker role). */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export function createQueueServices(options: QueueServicesOptions): QueueServices {
  const { requests, deliveries, taskStore, events, clock, logger } = options;
  const webhooks = new WebhookService({ requests, deliveries, taskStore, events, renderers: options.renderers, clock, logger, allowHosts: options.allowHosts, resolver: options.resolver });
  const queueRequests = new QueueRequestService({ tasks: options.tasks, taskStore, requests, webhooks, events, clock, logger });
  const stopListening = webhooks.listen();
  let worker: WebhookDeliveryWorker | null = null;
  return {
    webhooks,
    queueRequests,
    async startWorker() {
      const secret = options.webhooks.secret ?? (await options.settings.getOrCreate('webhook_signing_secret', () => randomBytes(32).toString('base64url')));
      // No redirects: a receiver that moved must be configured anew, not followed with the body.
      const fetch = createSafeFetch({ allowHosts: options.allowHosts, resolver: options.resolver, maxRedirects: 0, timeoutMs: DEFAULT_DELIVERY_TIMINGS.attemptTimeoutMs });
      worker = new WebhookDeliveryWorker(deliveries, webhooks, fetch, clock, logger, {
        ...DEFAULT_DELIVERY_TIMINGS,
        workerId: options.workerId,
        secret,
        maxAttempts: options.webhooks.maxAttempts,
        firstRetryMs: options.webhooks.firstRetrySeconds * 1000,
      });
      await queueRequests.expireOverdue();
      worker.start();
      queueRequests.start(options.sweepIntervalMs);
    },
    async close() {
      stopListening();
      queueRequests.stop();
      await worker?.stop();
    },
  };
}
