/**
 * The engine seam (DESIGN.md §3). An engine translates one call into its upstream's terms and
 * back. The runner owns everything else: polling cadence, retries, timeouts, splitting n,
 * failover, watermarking when the engine cannot, storing outputs and settling the bill.
 *
 * Engines report failures by throwing AppError: `engine_failed`, `engine_timeout`,
 * `engine_unavailable` and `rate_limited` are retried and then failed over; `engine_unavailable`
 * with `retryable: false` (the upstream account, key or quota is at fault) fails over at once;
 * `engine_rejected`, `content_blocked` and `invalid_parameter` end the task (the request itself
 * would fail anywhere).
 */
import type { Size } from '../domain/models.js';
import type { TaskKind } from '../domain/task.js';
import type { EncodeSource } from '../images/encode.js';

/** JSON as an engine persists it; a property left undefined is left out when it is written. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

export interface EngineInput {
  /** 0-based; image 1 of the prompt is index 0. */
  index: number;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  read(): Promise<Buffer>;
  /** A signed URL of this server that serves the image, for upstreams that can reach us. */
  signedUrl(): string;
}

export interface EngineCall {
  taskId: string;
  /** The id of the request that submitted the task; upstream calls carry it as X-Request-Id. */
  requestId: string;
  /** The model the client asked for (a dated snapshot stays dated). */
  model: string;
  /** Its undated family name. */
  family: string;
  kind: TaskKind;
  prompt: string;
  negativePrompt: string | null;
  /** Images this call must produce (the runner splits a task's n across calls). */
  n: number;
  size: Size;
  /** Whether `size` was asked for; a default size may be transposed by the engine (e.g. after a 90° turn). */
  sizeSource: 'request' | 'default';
  /** Seed of this call's first image; image i uses seed + i. */
  seed: number;
  promptExtend: boolean;
  watermark: boolean;
  inputs: EngineInput[];
  /** Aborted when the task is canceled or the runner gives up on the call. */
  signal: AbortSignal;
  /** A line for the task's log (shown in status streams). */
  log(message: string): void;
}

export type EngineImage =
  /** Raw pixels (encoded by the runner, which saves one encode for local work) or an encoded file. */
  | EncodeSource
  /** An upstream URL, fetched and re-hosted by the runner. */
  | { kind: 'url'; url: string };

export interface EngineDone {
  status: 'done';
  images: EngineImage[];
  /** The prompt the engine really used (after prompt_extend). */
  actualPrompt?: string | undefined;
  warnings?: string[] | undefined;
  /** True when the images already carry the watermark. */
  watermarked?: boolean | undefined;
  /** The channel's credential that made them (set by the channel around the engine). */
  credential?: string | undefined;
}

export interface EnginePending {
  status: 'pending';
  /** Persisted with the task; poll and cancel receive it back, possibly in another process. */
  operation: JsonValue;
  pollAfterMs?: number | undefined;
  /** 0–1, when the upstream says. */
  progress?: number | undefined;
}

export type EngineResult = EngineDone | EnginePending;

export interface EngineCapabilities {
  /** Model ids or families it serves; '*' for all. */
  models: readonly string[] | '*';
  /** Largest n it produces in one call; the runner splits beyond. */
  maxImagesPerCall: number;
  /** Draws the "Qwen-Image" watermark itself. */
  watermark: boolean;
  negativePrompt: boolean;
  promptExtend: boolean;
  seed: boolean;
  /** Can stop a call that already runs (not only a queued one). */
  cancelRunning: boolean;
}

export interface Engine {
  readonly name: string;
  readonly type: string;
  readonly capabilities: EngineCapabilities;
  start(call: EngineCall): Promise<EngineResult>;
  poll(operation: JsonValue, call: EngineCall): Promise<EngineResult>;
  cancel(operation: JsonValue, call: EngineCall): Promise<void>;
  close?(): Promise<void>;
  /**
   * A cheap authenticated call that succeeds when the account can serve (re-testing a disabled
   * credential); throws the upstream's error, classified, when it cannot. Absent: no cheap test.
   */
  probe?(signal: AbortSignal): Promise<void>;
}

export function servesModel(engine: Engine, model: string, family: string): boolean {
  const { models } = engine.capabilities;
  return models === '*' || models.includes(model) || models.includes(family);
}
