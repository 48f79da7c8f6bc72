/**
 * One credential's recent calls on this node: calls and errors over a sliding window (5 minutes
 * in 30 buckets of 10 s, so recording is O(1) and the figures lag by at most one bucket), the
 * last error and the last answer's latency.
 */
import { clip } from '../../domain/bounded-text.js';
import type { Clock } from '../../lib/clock.js';

export interface CallStatsOptions {
  windowMs: number;
  buckets: number;
}

export interface CallFigures {
  calls: number;
  errors: number;
  errorRate: number;
  lastError: string | null;
  lastLatencyMs: number | null;
}

const DEFAULTS: CallStatsOptions = { windowMs: 5 * 60_000, buckets: 30 };
const MAX_ERROR_CHARS = 300;

export class CallStats {
  private readonly bucketMs: number;
  private readonly calls: number[];
  private readonly errors: number[];
  /** The bucket number (time / bucketMs) each slot last counted for. */
  private readonly epochs: number[];
  private lastError: string | null = null;
  private lastLatencyMs: number | null = null;

  constructor(
    private readonly clock: Clock,
    options: CallStatsOptions = DEFAULTS,
  ) {
    this.bucketMs = options.windowMs / options.buckets;
    this.calls = new Array<number>(options.buckets).fill(0);
    this.errors = new Array<number>(options.buckets).fill(0);
    this.epochs = new Array<number>(options.buckets).fill(-1);
  }

  /** One call that answered (latency: until its answer) or failed (error: its message). */
  record(outcome: { latencyMs: number } | { error: string; latencyMs?: number | undefined }): void {
    const slot = this.slot(Math.floor(this.clock.now() / this.bucketMs));
    this.calls[slot] = (this.calls[slot] ?? 0) + 1;
    if ('error' in outcome) {
      this.errors[slot] = (this.errors[slot] ?? 0) + 1;
      this.lastError = clip(outcome.error, MAX_ERROR_CHARS);
    } else {
      this.lastLatencyMs = outcome.latencyMs;
    }
  }

  figures(): CallFigures {
    const now = Math.floor(this.clock.now() / this.bucketMs);
    let calls = 0;
    let errors = 0;
    for (let i = 0; i < this.epochs.length; i += 1) {
      const epoch = this.epochs[i] ?? -1;
      if (epoch > now - this.epochs.length && epoch <= now) {
        calls += this.calls[i] ?? 0;
        errors += this.errors[i] ?? 0;
      }
    }
    return { calls, errors, errorRate: calls === 0 ? 0 : errors / calls, lastError: this.lastError, lastLatencyMs: this.lastLatencyMs };
  }

  /** The slot of bucket `epoch`, emptied first if it last counted an older bucket. */
  private slot(epoch: number): number {
    const slot = epoch % this.epochs.length;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.calls[slot] = 0;
      this.errors[slot] = 0;
    }
    return slot;
  }
}
