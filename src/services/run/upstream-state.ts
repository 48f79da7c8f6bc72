/**
 * A task's upstream calls as persisted between polls (its `operation`): read back to resume, and
 * their pending operations cancelled upstream when the task is canceled or times out.
 */
import { toAppError } from '../../domain/errors.js';
import type { Engine, EngineCall } from '../../engines/engine.js';
import type { CallState, RunState } from './execution.js';

export function isRunState(value: unknown): value is RunState {
  return typeof value === 'object' && value !== null && Array.isArray((value as RunState).calls) && typeof (value as RunState).engine === 'string';
}

/**
 * The persisted state to resume, if any. An engine no longer in the route starts the unfinished
 * calls afresh on the route's first engine.
 */
export function resumeState(operation: unknown, route: readonly Engine[]): RunState | null {
  if (!isRunState(operation)) return null;
  const index = route.findIndex((engine) => engine.name === operation.engine);
  if (index < 0) return { ...operation, engineIndex: 0, engine: '', calls: operation.calls.map((c) => (c.done ? c : { ...c, handle: null })) };
  return { ...operation, engineIndex: index };
}

/**
 * The route with the engine that holds the task's pending upstream operations in front, when the
 * route left it out (a channel with no credential in rotation still polls and cancels what its
 * accounts started).
 */
export function withPendingEngine<E extends Engine>(route: readonly E[], operation: unknown, byName: (name: string) => E | undefined): readonly E[] {
  if (!isRunState(operation) || !operation.calls.some((c) => !c.done && c.handle !== null)) return route;
  if (route.some((engine) => engine.name === operation.engine)) return route;
  const owner = byName(operation.engine);
  return owner ? [owner, ...route] : route;
}

/** Cancels each pending upstream operation of `state` on its engine; a failure is logged, not thrown. */
export async function cancelUpstream(state: RunState | null, route: readonly Engine[], callFor: (slice: CallState) => EngineCall, log: (level: 'info' | 'warn', message: string) => void): Promise<void> {
  const engine = state ? route.find((e) => e.name === state.engine) : undefined;
  if (!state || !engine) return;
  for (const slice of state.calls) {
    if (slice.done || slice.handle === null) continue;
    try {
      await engine.cancel(slice.handle, callFor(slice));
      log('info', `engine ${engine.name}: upstream operation canceled`);
    } catch (error) {
      log('warn', `engine ${engine.name}: cancel failed: ${toAppError(error).message}`);
    }
  }
}
