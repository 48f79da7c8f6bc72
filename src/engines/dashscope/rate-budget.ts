/**
 * DashScope allows 20 task queries per second per account, shared by every task, counted as
 * queries arrive. This budget has `limit` tokens; a token is held while its query is in flight
 * and comes back one window after the answer arrived. A query's arrival precedes its answer, so
 * two queries on one token arrive more than a window apart whatever the network does, and no
 * window ever sees more than `limit` arrivals. Takers are served in arrival order.
 */
import { canceled, type AppError } from '../../domain/errors.js';
import type { Clock } from '../../lib/clock.js';

/** Resolves after `ms` (or never, for Infinity) or when `wake` fires; rejects on abort. */
export type Wait = (ms: number, wake: Promise<void>, signal: AbortSignal) => Promise<void>;

export const wait: Wait = (ms, wake, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(canceled());
    const done = (error?: AppError) => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => done(canceled());
    const timer = Number.isFinite(ms) ? setTimeout(() => done(), ms) : undefined;
    signal.addEventListener('abort', onAbort, { once: true });
    void wake.then(() => done());
  });

export class RateBudget {
  /** When each token is free again; Infinity while its query is in flight. */
  private readonly freeAt: number[];
  private tail: Promise<unknown> = Promise.resolve();
  private released: { promise: Promise<void>; resolve(): void } = RateBudget.signal();

  constructor(
    limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly pause: Wait = wait,
  ) {
    this.freeAt = Array.from({ length: limit }, () => -Infinity);
  }

  private static signal(): { promise: Promise<void>; resolve(): void } {
    let resolve = () => {};
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }

  /** Runs one query under the budget; rejects with `canceled` if the signal aborts while waiting. */
  async use<T>(signal: AbortSignal, query: () => Promise<T>): Promise<T> {
    const release = await this.take(signal);
    try {
      return await query();
    } finally {
      release();
    }
  }

  /** Waits for a token; the returned function gives it back once the query's answer is in. */
  take(signal: AbortSignal): Promise<() => void> {
    const turn = this.tail.then(() => this.acquire(signal));
    this.tail = turn.catch(() => {});
    // Rejects as soon as the signal aborts; a token granted after that goes straight back.
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(canceled());
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      turn.then(
        (release) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) release();
          resolve(release);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async acquire(signal: AbortSignal): Promise<() => void> {
    for (;;) {
      // A taker that gave up while queued does not spend a token.
      if (signal.aborted) throw canceled();
      const now = this.clock.now();
      const index = this.freeAt.findIndex((at) => at <= now);
      if (index >= 0) {
        this.freeAt[index] = Infinity;
        let given = false;
        return () => {
          if (given) return;
          given = true;
          this.freeAt[index] = this.clock.now() + this.windowMs;
          const released = this.released;
          this.released = RateBudget.signal();
          released.resolve();
        };
      }
      await this.pause(Math.min(...this.freeAt) - now, this.released.promise, signal);
    }
  }
}
