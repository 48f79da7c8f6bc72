/**
 * What the waiting commands share: Ctrl-C stops the waiting (never the task) with exit 130 and a
 * line saying how to pick it up again; the images as `--json` prints them.
 */
import type { ImageResult } from '../client/index.js';
import { EXIT } from './exit-codes.js';
import type { Progress } from './progress.js';

/** Runs `work` with a signal that Ctrl-C aborts; the progress line is stopped either way. */
export async function untilInterrupted(progress: Progress, interrupted: () => string, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  // `on`, not `once`: ora's cursor restorer (signal-exit) ends the process itself when it is the
  // only SIGINT listener left, before this line could be printed. A second Ctrl-C ends at once.
  const interrupt = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', interrupt);
  try {
    await work(controller.signal);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    progress.fail(interrupted());
    process.exitCode = EXIT.interrupted;
  } finally {
    progress.stop();
    process.removeListener('SIGINT', interrupt);
  }
}

/** Each image with the file it was saved to, when it was. */
export function imagesJson(result: ImageResult, paths: readonly string[] | null) {
  return result.images.map((image, i) => ({ ...image, ...(paths ? { path: paths[i] } : {}) }));
}
