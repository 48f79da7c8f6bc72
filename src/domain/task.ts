import type { TaskError } from './errors.js';
import type { Size } from './models.js';
import type { OutputFormat } from './request.js';

/** queued → running → succeeded | failed | canceled; queued → canceled. */
export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'canceled']);

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export type TaskKind = 'edit' | 'generate';

/** What the task asks for, after the model's rules. */
export interface TaskSpec {
  prompt: string;
  negativePrompt: string | null;
  n: number;
  size: Size;
  /** Whether the size was asked for, or is the model's default (which an engine may transpose). */
  sizeSource: 'request' | 'default';
  seed: number;
  promptExtend: boolean;
  watermark: boolean;
  outputFormat: OutputFormat;
  /** JPEG/WebP quality; absent means the encoder's default. */
  outputQuality?: number | null;
}

/** An input image kept in the blob store. */
export interface TaskInput {
  blobId: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

/** An output image: kept in the blob store, or (an engine in passthrough mode) at the upstream's URL. */
export interface TaskOutput {
  blobId: string | null;
  /** The upstream's URL, for outputs not re-hosted. */
  url?: string | undefined;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  /** The seed this image was made with (the task seed plus its index). */
  seed: number;
  /** The engine that made it (absent on images stored before engines were recorded per image). */
  engine?: string | undefined;
  /** The channel's credential that made it (absent for keyless engines and images stored before). */
  credential?: string | undefined;
}

export interface TaskUsage {
  imageCount: number;
  width: number;
  height: number;
}

/** What a task costs: held at submit, settled exactly once when it ends. Amounts in micros. */
export interface TaskBilling {
  state: 'none' | 'held' | 'settled';
  unitPriceMicros: number;
  holdMicros: number;
  chargedMicros: number | null;
}

/** One engine's share of a task's images and the unit price it applied, in micros. */
export interface ChargePart {
  /** Null when no engine is known (the model's price without an engine's own). */
  engine: string | null;
  images: number;
  unitPriceMicros: number;
  /** The channel's credential that made them; null for keyless engines. */
  credential?: string | null | undefined;
  /** What the upstream bills for one of these images, in micros (the channel's cost table). */
  unitCostMicros?: number | undefined;
}

/**
 * What a task's images cost, priced by the engines that made them (one part per engine, in the
 * order they produced; two after a failover halfway through a split task).
 */
export interface TaskCharge {
  parts: ChargePart[];
}

/** What a worker records when a task ends. */
export type TaskOutcome = (
  | { status: 'succeeded'; outputs: TaskOutput[]; usage: TaskUsage; actualPrompt: string | null; warnings: string[] }
  | { status: 'failed'; error: TaskError; outputs: TaskOutput[]; warnings: string[] }
  | { status: 'canceled'; warnings: string[] }
) & {
  /** The engine that produced the outcome, recorded with it. */
  engine?: string | null | undefined;
  /** The price of the images produced, settled with the ending (absent: the hold's unit price). */
  charge?: TaskCharge | undefined;
};

export interface TaskRecord {
  id: string;
  keyId: string;
  /** The key's user at submit: whose balance holds and pays for the task. */
  userId: string;
  /**
   * The user's group multiplier for this model at submit, in ppm (1000000 = list price): every
   * price of the task is its engine's list price times this, so a later change of the group never
   * reprices a task already held.
   */
  priceMultiplierPpm: number;
  model: string;
  kind: TaskKind;
  status: TaskStatus;
  spec: TaskSpec;
  inputs: TaskInput[];
  /** The engine that ran (or runs) the task. */
  engine: string | null;
  /** An engine's persisted operation handle (upstream task id, prompt id, …). */
  operation: unknown;
  outputs: TaskOutput[];
  usage: TaskUsage | null;
  actualPrompt: string | null;
  error: TaskError | null;
  warnings: string[];
  attempts: number;
  cancelRequested: boolean;
  /** The dialect the task was submitted through, and that request's id. */
  origin: string;
  requestId: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  leaseUntil: number | null;
  workerId: string | null;
  billing: TaskBilling;
}

/** One line of a task's log, as status streams and `?logs=1` show it. */
export interface TaskLogLine {
  at: number;
  level: string;
  message: string;
}
