/**
 * Drives one task through its route of engines: splits n into calls, starts or polls each,
 * retries retryable errors with backoff and jitter, fails over to the next engine, and stores
 * each finished image at once (so a failure halfway keeps — and bills — only what was made).
 */
import { clip, MAX_WARNING_CHARS, MAX_WARNINGS } from '../../domain/bounded-text.js';
import { BUILT_IN_WARNING, isGenerativeEngine } from '../../domain/built-in-engine.js';
import { AppError, throwIfAborted, toAppError } from '../../domain/errors.js';
import { mayBeDatabaseOutage } from '../../domain/infrastructure-errors.js';
import { inSpan } from '../../lib/tracing.js';
import { sleepUnlessCanceled } from '../cancelable-sleep.js';
import type { TaskOutput, TaskRecord } from '../../domain/task.js';
import type { Engine, EngineCall, EngineDone, EngineResult, JsonValue } from '../../engines/engine.js';

export interface CallState {
  n: number;
  seed: number;
  /** The engine's operation handle while the call is pending upstream. */
  handle: JsonValue | null;
  done: boolean;
}

/** Persisted in the task's `operation` column between polls and across workers. */
export interface RunState {
  engineIndex: number;
  engine: string;
  calls: CallState[];
}

export interface RetryPolicy {
  attemptsPerEngine: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ExecutionContext {
  task: TaskRecord;
  route: readonly Engine[];
  /** Why the route is empty, when channels serve the model but none is usable now. */
  unavailable?: string | undefined;
  signal: AbortSignal;
  retry: RetryPolicy;
  /** Builds the call for one slice of the task. */
  makeCall(engine: Engine, slice: CallState): EngineCall;
  /** Encodes and stores one finished call's images. */
  storeImages(engine: Engine, done: EngineDone, slice: CallState): Promise<TaskOutput[]>;
  /** Persists progress (state and outputs so far). */
  save(state: RunState, outputs: TaskOutput[], warnings: string[]): Promise<void>;
  log(message: string): void;
  /** An upstream's progress of a pending call, 0–1. */
  progress(value: number): void;
}

export type ExecutionResult =
  | { kind: 'pending'; state: RunState; delayMs: number; outputs: TaskOutput[]; warnings: string[] }
  | { kind: 'done'; engine: string; outputs: TaskOutput[]; actualPrompt: string | null; warnings: string[] }
  /** `engine`: the last one tried, if any. */
  | { kind: 'failed'; engine: string | null; error: AppError; outputs: TaskOutput[]; warnings: string[] };

/** Splits n images into calls of at most `perCall`, each with its own first seed. */
export function splitCalls(n: number, seed: number, perCall: number): CallState[] {
  const calls: CallState[] = [];
  for (let first = 0; first < n; first += perCall) {
    calls.push({ n: Math.min(perCall, n - first), seed: (seed + first) % 2147483648, handle: null, done: false });
  }
  return calls;
}

export function backoffDelay(attempt: number, policy: RetryPolicy, error: AppError): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  const hinted = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
  return Math.min(policy.maxDelayMs, Math.max(jittered, hinted));
}

async function callWithRetry(
  engine: Engine,
  slice: CallState,
  context: ExecutionContext,
): Promise<EngineResult> {
  for (let attempt = 0; ; attempt += 1) {
    const call = context.makeCall(engine, slice);
    try {
      const attributes = { 'qig.engine': engine.name, 'qig.task_id': call.taskId, 'qig.request_id': call.requestId, 'qig.images': slice.n, 'qig.attempt': attempt + 1 };
      const handle = slice.handle;
      return handle === null
        ? await inSpan('engine start', attributes, () => engine.start(call))
        : await inSpan('engine poll', attributes, () => engine.poll(handle, call));
    } catch (thrown) {
      const error = toAppError(thrown);
      if (context.signal.aborted || !error.retryable || attempt + 1 >= context.retry.attemptsPerEngine) throw error;
      const delay = backoffDelay(attempt, context.retry, error);
      context.log(`engine ${engine.name}: ${error.message} — retrying in ${Math.round(delay)} ms (attempt ${attempt + 2} of ${context.retry.attemptsPerEngine})`);
      await sleepUnlessCanceled(delay, context.signal);
    }
  }
}

/** Runs every unfinished call of the state on one engine; returns the soonest poll delay, or null when all are done. */
async function runOnEngine(
  engine: Engine,
  state: RunState,
  outputs: TaskOutput[],
  warnings: string[],
  actual: { prompt: string | null },
  context: ExecutionContext,
): Promise<number | null> {
  let nextPoll: number | null = null;
  for (const slice of state.calls) {
    if (slice.done) continue;
    const result = await callWithRetry(engine, slice, context);
    if (result.status === 'pending') {
      if (slice.handle === null) context.log(`engine ${engine.name}: upstream operation ${JSON.stringify(result.operation)} started`);
      slice.handle = result.operation;
      if (result.progress !== undefined) context.progress(result.progress);
      nextPoll = Math.min(nextPoll ?? Infinity, result.pollAfterMs ?? 1000);
      continue;
    }
    // A cancel that arrived while the engine worked wins over its result: nothing is kept or billed.
    throwIfAborted(context.signal);
    const stored = await context.storeImages(engine, result, slice);
    outputs.push(...stored);
    // Images of the built-in CPU engine say so, whichever engine or dialect the client expected.
    const said = isGenerativeEngine(engine.type) ? (result.warnings ?? []) : [BUILT_IN_WARNING, ...(result.warnings ?? [])];
    for (const warning of said) {
      const clipped = clip(warning, MAX_WARNING_CHARS);
      if (warnings.length < MAX_WARNINGS && !warnings.includes(clipped)) warnings.push(clipped);
    }
    if (result.actualPrompt !== undefined && actual.prompt === null) actual.prompt = result.actualPrompt;
    slice.done = true;
    slice.handle = null;
    context.log(`engine ${engine.name}: ${stored.length} image(s) stored`);
    // Saved for a crash halfway; after the last call the task's ending records everything.
    if (state.calls.some((c) => !c.done)) await context.save(state, outputs, warnings);
  }
  return nextPoll;
}

export async function executeTask(context: ExecutionContext, resumed: RunState | null): Promise<ExecutionResult> {
  const { task, route } = context;
  const outputs = [...task.outputs];
  const warnings = [...task.warnings];
  const actual = { prompt: task.actualPrompt };
  if (route.length === 0) {
    const why = context.unavailable ?? `No engine is configured for model ${task.model}.`;
    return { kind: 'failed', engine: null, error: new AppError('engine_unavailable', why), outputs, warnings };
  }
  const first = route[0] as Engine;
  let state: RunState = resumed ?? {
    engineIndex: 0,
    engine: first.name,
    calls: splitCalls(task.spec.n, task.spec.seed, first.capabilities.maxImagesPerCall),
  };
  // A resumed task goes on with its engine wherever the route now puts it (the order of a route
  // can differ between runs); an engine no longer in the route fails over from the first.
  const at = route.findIndex((engine) => engine.name === state.engine);
  if (at >= 0) state = { ...state, engineIndex: at };
  let lastError: AppError | null = null;

  for (let index = Math.max(0, at); index < route.length; index += 1) {
    const engine = route[index] as Engine;
    if (state.engine !== engine.name) {
      // Failover: the unfinished images start afresh on the next engine.
      const remaining = state.calls.filter((c) => !c.done).reduce((sum, c) => sum + c.n, 0);
      const nextSeed = state.calls.find((c) => !c.done)?.seed ?? task.spec.seed;
      state = {
        engineIndex: index,
        engine: engine.name,
        calls: [...state.calls.filter((c) => c.done), ...splitCalls(remaining, nextSeed, engine.capabilities.maxImagesPerCall)],
      };
      context.log(`failing over to engine ${engine.name}`);
    } else if (state.calls.every((c) => !c.done && c.handle === null)) {
      context.log(`engine ${engine.name} chosen`);
    }
    try {
      const nextPoll = await runOnEngine(engine, state, outputs, warnings, actual, context);
      if (nextPoll !== null) return { kind: 'pending', state, delayMs: nextPoll, outputs, warnings };
      return { kind: 'done', engine: engine.name, outputs, actualPrompt: actual.prompt, warnings };
    } catch (thrown) {
      // The database failing under the task (saving progress) is no ending: the job is retried.
      if (mayBeDatabaseOutage(thrown)) throw thrown;
      lastError = toAppError(thrown);
      if (context.signal.aborted || lastError.kind === 'canceled') throw lastError;
      context.log(`engine ${engine.name} failed: ${lastError.message}`);
      // Transient errors fail over after their retries; so does an engine that cannot serve at
      // all (its account, key or quota). An error in the request itself would fail anywhere.
      if (!lastError.retryable && lastError.kind !== 'engine_unavailable') break;
      // The gateway's own storage or database failed, not the engine: another would fail alike.
      if (lastError.kind === 'unavailable') break;
    }
  }
  const error = lastError ?? new AppError('engine_failed', 'Every engine of the route failed.');
  return { kind: 'failed', engine: state.engine || null, error, outputs, warnings };
}
