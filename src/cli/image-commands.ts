/**
 * `qig edit` and `qig generate`: submit as a task, show its progress, save the images and print
 * their paths (or JSON). Ctrl-C stops waiting, not the task, and says how to pick it up again.
 */
import type { Command } from 'commander';
import { access, constants, mkdir } from 'node:fs/promises';
import { BadRequestError, PermissionDeniedError, QigError, TaskCanceledError, TaskFailedError, type ImageResult, type QigClient, type TaskHandle } from '../client/index.js';
import { AppError } from '../domain/errors.js';
import type { EditRequest, GenerateRequest } from '../client/index.js';
import { clientFor, resolveConnection, type ConnectionFlags } from './connection.js';
import { AfterSubmit } from './exit-codes.js';
import { apiOptions, wholeNumber } from './options.js';
import { printJson } from './output.js';
import { Progress } from './progress.js';
import { imagesJson, untilInterrupted } from './waiting.js';

interface ImageFlags extends ConnectionFlags {
  prompt: string;
  n?: number;
  size?: string;
  model?: string;
  seed?: number;
  negative?: string;
  promptExtend?: boolean;
  watermark?: boolean;
  out: string;
  wait: boolean;
  sync?: boolean;
  json?: boolean;
}

type Submit = {
  sync: (client: QigClient, signal: AbortSignal) => Promise<ImageResult>;
  async: (client: QigClient, signal: AbortSignal) => Promise<TaskHandle>;
};

function imageOptions(command: Command): Command {
  return apiOptions(
    command
      .requiredOption('-p, --prompt <text>', 'the instruction (edit) or the description (generate)')
      .option('-n, --n <count>', 'images to make', wholeNumber(1, 16))
      .option('--size <WxH>', 'output size, e.g. 1024x1536 or 1024*1536')
      .option('--model <id>', 'the model (qig models lists them)')
      .option('--seed <seed>', '0 to 2147483647', wholeNumber(0, 2_147_483_647))
      .option('--negative <text>', 'what the images should not show')
      .option('--prompt-extend', 'let the model rewrite the prompt')
      .option('--no-prompt-extend', 'do not let the model rewrite the prompt')
      .option('--watermark', 'draw the "Qwen-Image" mark')
      .option('--no-watermark', 'no mark')
      .option('-o, --out <dir>', 'where to save the images', '.')
      .option('--no-wait', 'print the task id and return at once')
      .option('--sync', 'one request that waits for the images (no progress; for servers without async edits, such as DashScope)'),
  );
}

function parametersOf(flags: ImageFlags) {
  return {
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    prompt: flags.prompt,
    ...(flags.n !== undefined ? { n: flags.n } : {}),
    ...(flags.size !== undefined ? { size: flags.size } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.negative !== undefined ? { negativePrompt: flags.negative } : {}),
    ...(flags.promptExtend !== undefined ? { promptExtend: flags.promptExtend } : {}),
    ...(flags.watermark !== undefined ? { watermark: flags.watermark } : {}),
  };
}

/** DashScope answers an async submission of a sync-only model with a message about async calls. */
function refusesAsync(error: unknown): boolean {
  return (error instanceof BadRequestError || error instanceof PermissionDeniedError) && /async/i.test(error.message);
}

/** The output folder, made and checked before anything is submitted (and paid for). */
async function outputFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new AppError('invalid_parameter', `-o ${dir}: cannot save images there (${code}).`);
  }
}

async function run(submit: Submit, flags: ImageFlags): Promise<void> {
  const json = flags.json === true;
  const progress = new Progress(json);
  const client = clientFor(resolveConnection(flags), (notice) => progress.retry(notice));
  if (flags.wait) await outputFolder(flags.out);
  let taskId: string | null = null;
  const interrupted = () => (taskId ? `Interrupted; task ${taskId} carries on: qig tasks watch ${taskId} -o ${flags.out}` : 'Interrupted.');
  await untilInterrupted(progress, interrupted, async (signal) => {
    try {
      await submitAndSave(signal);
    } catch (error) {
      // Once submitted, a task outlives a failure here: say how to pick it up (not for one that ended).
      if (taskId === null || error instanceof TaskFailedError || error instanceof TaskCanceledError || signal.aborted) throw error;
      throw new AfterSubmit(error, taskId, `The task ${taskId} may carry on: qig tasks watch ${taskId} -o ${flags.out}`);
    }
  });

  async function submitAndSave(signal: AbortSignal): Promise<void> {
    progress.start('Submitting');
    let result: ImageResult;
    const handle = flags.sync ? null : await submit.async(client, signal).catch((error: unknown) => {
      if (refusesAsync(error)) return null;
      throw error;
    });
    if (handle === null) {
      progress.set('Waiting for the images (one request)');
      result = await submit.sync(client, signal);
    } else {
      taskId = handle.id;
      if (!flags.wait) {
        progress.stop();
        if (json) printJson({ taskId: handle.id, status: handle.status, requestId: handle.requestId });
        else process.stdout.write(`${handle.id}\n`);
        return;
      }
      progress.set(`Queued · task ${handle.id}`);
      result = await handle.wait({ signal, onProgress: (task) => progress.task(task) });
    }
    for (const warning of result.warnings) progress.warn(warning);
    progress.set(`Saving ${result.urls.length} image${result.urls.length === 1 ? '' : 's'}`);
    const paths = await result.download(flags.out, { signal });
    if (paths.length === 0) throw new QigError(`The ${result.taskId ? `task ${result.taskId}` : 'request'} made no image${result.warnings.length > 0 ? `: ${result.warnings.join('; ')}` : '.'}`, { code: 'NoImages' });
    progress.succeed(`${paths.length} image${paths.length === 1 ? '' : 's'}${result.taskId ? ` from task ${result.taskId}` : ''}`);
    if (json) printJson({ taskId: result.taskId, requestId: result.requestId, images: imagesJson(result, paths), warnings: result.warnings, elapsedMs: progress.elapsedMs() });
    else for (const path of paths) process.stdout.write(`${path}\n`);
  }
}

export function registerImageCommands(program: Command): void {
  imageOptions(
    program
      .command('edit')
      .description('edit one to three images (files, URLs or data: URIs); saves the results and prints their paths')
      .argument('<images...>', 'the images to edit'),
  ).action(async (images: string[], flags: ImageFlags) => {
    const request: EditRequest = { ...parametersOf(flags), images };
    await run({ sync: (client, signal) => client.edit(request, { signal }), async: (client, signal) => client.edit(request, { async: true, signal }) }, flags);
  });

  imageOptions(program.command('generate').description('text to image; saves the results and prints their paths')).action(async (flags: ImageFlags) => {
    const request: GenerateRequest = parametersOf(flags);
    await run({ sync: (client, signal) => client.generate(request, { signal }), async: (client, signal) => client.generate(request, { async: true, signal }) }, flags);
  });
}
