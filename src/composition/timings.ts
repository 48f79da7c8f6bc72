/**
 * The worker's timings, from the config's limits: the lease and what follows it (how soon a dead
 * worker's tasks are swept), the task timeout and the retry policy. Tests shorten them.
 */
import type { AppConfig } from '../config/load.js';

export interface WorkerTimings {
  leaseMs: number;
  sweepIntervalMs: number;
  sweepGraceMs: number;
  taskTimeoutMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  attemptsPerEngine: number;
  /** How often a worker deletes the images of tasks past the output retention. */
  retentionIntervalMs: number;
  /** How often the tasks someone waits on are read back, in case the event of their ending was lost. */
  endingCheckMs: number;
  /** Lifetime of the signed input URLs handed to upstreams. */
  inputUrlTtlMs: number;
}

/** The sweep interval and its grace follow the lease, so a dead worker's tasks come back within about a lease. */
export function workerTimings(limits: AppConfig['limits'], overrides: Partial<WorkerTimings> = {}): WorkerTimings {
  const leaseMs = limits.leaseSeconds * 1000;
  return {
    leaseMs,
    sweepIntervalMs: Math.max(100, Math.round(leaseMs / 3)),
    sweepGraceMs: Math.min(5_000, Math.round(leaseMs / 6)),
    taskTimeoutMs: limits.taskTimeoutSeconds * 1000,
    retryBaseDelayMs: limits.retryFirstDelaySeconds * 1000,
    retryMaxDelayMs: limits.retryMaxDelaySeconds * 1000,
    attemptsPerEngine: limits.attemptsPerEngine,
    retentionIntervalMs: 10 * 60_000,
    endingCheckMs: 2_000,
    inputUrlTtlMs: 3_600_000,
    ...overrides,
  };
}
