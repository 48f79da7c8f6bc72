/**
 * A per-node token bucket for the calls a credential starts per second: `qps` tokens a second,
 * at most `qps` saved up. A taker reserves its token at once (the balance may go negative) and
 * waits out its debt, so takers are served in arrival order; one that gives up while waiting, or
 * whose call was aborted by the time its turn came, hands its token back.
 */
import { throwIfAborted } from '../../domain/errors.js';
import type { Clock } from '../../lib/clock.js';
import { sleepUnlessCanceled } from '../cancelable-sleep.js';

/** Waits `ms`, or rejects with `canceled` when the signal aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export class QpsBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly qps: number,
    private readonly clock: Clock,
    private readonly sleep: Sleep = sleepUnlessCanceled,
  ) {
    this.tokens = Math.max(1, qps);
    this.updatedAt = clock.now();
  }

  /** Whether a token is there now (a take would not wait). */
  ready(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Takes a token, waiting for it if need be; rejects with `canceled` (token returned, or none taken) on abort. */
  async take(signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    try {
      await this.sleep(Math.ceil((-this.tokens / this.qps) * 1000), signal);
      // Aborted as the wait ended: no call uses the token.
      throwIfAborted(signal);
    } catch (error) {
      this.tokens += 1;
      throw error;
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(Math.max(1, this.qps), this.tokens + ((now - this.updatedAt) / 1000) * this.qps);
    this.updatedAt = now;
  }
}
