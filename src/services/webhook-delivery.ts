/**
 * The webhook delivery worker (worker role): takes due deliveries soonest first with a
 * conditional claim (so two nodes never send one twice, and one delivery has at most one attempt
 * in flight), POSTs the stored body through the URL guard with a fresh signature, and on failure
 * schedules the next attempt with exponential backoff until `maxAttempts`.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { SafeFetch } from '../lib/safe-fetch.js';
import type { AttemptOutcome, DeliveryRecord, DeliveryStore } from '../store/ports.js';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature.js';
import type { WebhookService } from './webhooks.js';

export interface DeliveryWorkerOptions {
  workerId: string;
  secret: string;
  maxAttempts: number;
  /** Delay before the first retry; each further one doubles it. */
  firstRetryMs: number;
  /** Deliveries sent at once by this node. */
  concurrency: number;
  /** How often the store is checked for work other nodes scheduled, and for ended tasks nobody saw. */
  pollIntervalMs: number;
  /** Time allowed for one attempt (connect to response). */
  attemptTimeoutMs: number;
}

export const DEFAULT_DELIVERY_TIMINGS = { concurrency: 8, pollIntervalMs: 1_000, attemptTimeoutMs: 10_000 };

/** When attempt `attempts + 1` is due after `attempts` failures: first retry, then doubling. */
export function retryDelayMs(attempts: number, firstRetryMs: number): number {
  return firstRetryMs * 2 ** Math.max(0, attempts - 1);
}

export class WebhookDeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private tickAgain = false;
  private lastSweep = 0;
  private stopped = true;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopListening: () => void = () => {};

  constructor(
    private readonly store: DeliveryStore,
    private readonly webhooks: WebhookService,
    private readonly fetch: SafeFetch,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: DeliveryWorkerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopListening = this.webhooks.onScheduled(() => this.wake(0));
    this.wake(0);
  }

  /** Stops taking work; attempts in flight get `graceMs` to finish, then are aborted. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    this.stopListening();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const all = Promise.allSettled([...this.inFlight]);
    const grace = setTimeout(() => this.abort.abort(), graceMs);
    await all;
    clearTimeout(grace);
  }

  private wake(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, Math.max(0, delayMs));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    let nextDelay = this.options.pollIntervalMs;
    try {
      if (this.clock.now() - this.lastSweep >= this.options.pollIntervalMs) {
        this.lastSweep = this.clock.now();
        await this.webhooks.scheduleEnded();
      }
      await this.claimDue();
      // With every slot busy, a finishing attempt wakes the worker; no need to spin on due rows.
      const due = this.inFlight.size < this.options.concurrency ? await this.store.nextDueAt() : null;
      if (due !== null) nextDelay = Math.min(nextDelay, due - this.clock.now());
    } catch (error) {
      if (!this.stopped) this.logger.warn({ err: error }, 'webhook delivery tick failed');
    } finally {
      this.ticking = false;
      if (this.tickAgain) {
        this.tickAgain = false;
        nextDelay = 0;
      }
      this.wake(nextDelay);
    }
  }

  private async claimDue(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = this.clock.now();
    for (const id of await this.store.dueDeliveries(now, free * 2)) {
      if (this.stopped || this.inFlight.size >= this.options.concurrency) return;
      // The claim lasts past the attempt's own timeout, so only a dead node's claim expires.
      const delivery = await this.store.claim(id, this.options.workerId, now, now + this.options.attemptTimeoutMs * 3);
      if (!delivery) continue;
      const attempt = this.attempt(delivery).finally(() => {
        this.inFlight.delete(attempt);
        this.wake(0);
      });
      this.inFlight.add(attempt);
    }
  }

  private async attempt(delivery: DeliveryRecord): Promise<void> {
    const timestamp = Math.floor(this.clock.now() / 1000);
    let status: number | null = null;
    let error = '';
    try {
      const response = await this.fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'qwen-image-gateway-webhooks/1',
          'x-qig-webhook-id': String(delivery.id),
          'x-qig-webhook-attempt': String(delivery.attempts),
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, delivery.body),
        },
        body: delivery.body,
        timeoutMs: this.options.attemptTimeoutMs,
        maxBytes: 64 * 1024,
        signal: this.abort.signal,
      });
      status = response.status;
      if (status < 200 || status > 299) error = `the receiver answered HTTP ${status}`;
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    const now = this.clock.now();
    const outcome: AttemptOutcome =
      error === ''
        ? { state: 'delivered', status: status as number }
        : delivery.attempts >= this.options.maxAttempts
          ? { state: 'failed', status, error }
          : { state: 'pending', status, error, nextAttemptAt: now + retryDelayMs(delivery.attempts, this.options.firstRetryMs) };
    if (outcome.state === 'failed') {
      this.logger.warn({ taskId: delivery.taskId, attempts: delivery.attempts, error }, 'webhook delivery failed for good');
    }
    try {
      await this.store.finishAttempt(delivery.id, this.options.workerId, outcome, now);
    } catch (thrown) {
      this.logger.warn({ taskId: delivery.taskId, err: thrown }, 'webhook attempt not recorded; its claim expires and it is tried again');
    }
  }
}
