/** A pause that a cancel (the task's abort signal) cuts short with the `canceled` error. */
import { setTimeout as delay } from 'node:timers/promises';
import { canceled } from '../domain/errors.js';

export async function sleepUnlessCanceled(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    throw canceled(error);
  }
}
