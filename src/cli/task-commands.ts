/** `qig tasks list|get|watch|cancel`, `qig models` and `qig balance`: the API's read side. */
import { InvalidArgumentError, type Command } from 'commander';
import type { TaskInfo } from '../client/index.js';
import { clientFor, resolveConnection, type ConnectionFlags } from './connection.js';
import { EXIT } from './exit-codes.js';
import { apiOptions, wholeNumber } from './options.js';
import { printJson, printTable, terminalText } from './output.js';
import { Progress, statusText } from './progress.js';
import { imagesJson, untilInterrupted } from './waiting.js';

interface ReadFlags extends ConnectionFlags {
  json?: boolean;
}

interface ListFlags extends ReadFlags {
  status?: (typeof STATUSES)[number];
  model?: string;
  from?: string;
  to?: string;
  page?: number;
  pageSize?: number;
}

interface WatchFlags extends ReadFlags {
  out?: string;
}

const connect = (flags: ConnectionFlags, progress?: Progress) => clientFor(resolveConnection(flags), progress ? (notice) => progress.retry(notice) : undefined);

const STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;

/** `--status` in any case. */
function taskStatus(value: string): (typeof STATUSES)[number] {
  const status = STATUSES.find((known) => known === value.trim().toUpperCase());
  if (!status) throw new InvalidArgumentError(`must be one of ${STATUSES.map((s) => s.toLowerCase()).join(', ')}.`);
  return status;
}

function taskLine(task: TaskInfo): string {
  const lines = [`${task.id}  ${statusText(task)}`];
  if (task.submitTime) lines.push(`submitted ${task.submitTime}${task.endTime ? `, ended ${task.endTime}` : ''}`);
  if (task.code) lines.push(`${task.code}: ${task.message ?? ''}`);
  lines.push(...task.urls, ...task.warnings.map((warning) => `warning: ${warning}`));
  return `${lines.join('\n')}\n`;
}

async function watch(id: string, flags: WatchFlags): Promise<void> {
  const progress = new Progress(flags.json === true);
  const client = connect(flags, progress);
  await untilInterrupted(progress, () => `Interrupted; task ${id} carries on.`, async (signal) => {
    progress.start(`Task ${id}`);
    const result = await client.tasks.wait(id, { signal, onProgress: (task) => progress.task(task) });
    for (const warning of result.warnings) progress.warn(warning);
    const paths = flags.out === undefined ? null : await result.download(flags.out, { signal });
    progress.succeed(`Task ${id} succeeded with ${result.urls.length} image${result.urls.length === 1 ? '' : 's'}`);
    if (flags.json) printJson({ taskId: id, images: imagesJson(result, paths), warnings: result.warnings });
    else for (const line of paths ?? result.urls) process.stdout.write(`${line}\n`);
  });
}

export function registerTaskCommands(program: Command): void {
  const tasks = program.command('tasks').description('the tasks of your key');

  apiOptions(tasks.command('list').description('list tasks, newest first'))
    .option('--status <status>', 'only tasks in this status: pending, running, succeeded, failed or canceled', taskStatus)
    .option('--model <id>', 'only tasks of this model')
    .option('--from <date>', 'created at or after, e.g. 2026-12-01 (local midnight) or 2026-12-01T08:00')
    .option('--to <date>', 'created at or before')
    .option('--page <n>', 'page number', wholeNumber(1))
    .option('--page-size <n>', 'tasks per page', wholeNumber(1, 100), 20)
    .action(async (flags: ListFlags) => {
      const page = await connect(flags).tasks.list({
        ...(flags.status ? { status: flags.status } : {}),
        ...(flags.model ? { model: flags.model } : {}),
        ...(flags.from ? { from: flags.from } : {}),
        ...(flags.to ? { to: flags.to } : {}),
        ...(flags.page ? { page: flags.page } : {}),
        ...(flags.pageSize ? { pageSize: flags.pageSize } : {}),
      });
      if (flags.json) return printJson(page);
      printTable(
        page.tasks.map((task) => ({ id: task.id, status: task.status, model: task.model, submitted: task.submitTime, ended: task.endTime, images: task.urls.length })),
        ['id', 'status', 'model', 'submitted', 'ended', 'images'],
      );
      process.stdout.write(`\npage ${page.page} of ${Math.max(page.totalPages, 1)}, ${page.total} task(s)\n`);
    });

  apiOptions(tasks.command('get').description('a task\'s status and images').argument('<taskId>')).action(async (id: string, flags: ReadFlags) => {
    const task = await connect(flags).tasks.get(id);
    if (task.status === 'UNKNOWN') process.exitCode = EXIT.usage;
    if (flags.json) return printJson(task);
    process.stdout.write(terminalText(taskLine(task)));
    if (task.status === 'UNKNOWN') process.stderr.write('No such task for this key: it never existed or belongs to another key (DashScope itself also forgets tasks after 24 hours).\n');
  });

  apiOptions(tasks.command('watch').description('wait for a task, showing its progress; prints its image URLs, or saves them with -o').argument('<taskId>'))
    .option('-o, --out <dir>', 'save the images here')
    .action(watch);

  apiOptions(tasks.command('cancel').description('cancel a task still queued').argument('<taskId>')).action(async (id: string, flags: ReadFlags) => {
    const canceled = await connect(flags).tasks.cancel(id);
    if (flags.json) printJson(canceled);
    else process.stdout.write(`${canceled.id}  Canceled\n`);
  });

  apiOptions(program.command('models').description('the models this gateway serves, their limits and prices')).action(async (flags: ReadFlags) => {
    const list = await connect(flags).models();
    if (flags.json) return printJson(list);
    printTable(
      list.data.map((model) => ({
        id: model.id,
        kind: [model.edit ? 'edit' : null, model.generate ? 'generate' : null].filter(Boolean).join('+'),
        images: model.edit ? `≤${model.maxImages}` : '-',
        n: `≤${model.maxN}`,
        price: `${model.price.perImage} ${model.price.currency}`,
        engine: model.engine ? `${model.engine.name}${model.engine.generative ? '' : ' (built-in CPU)'}` : 'none',
      })),
      ['id', 'kind', 'images', 'n', 'price', 'engine'],
    );
  });

  apiOptions(program.command('balance').description('your key\'s balance')).action(async (flags: ReadFlags) => {
    const balance = await connect(flags).balance();
    if (flags.json) return printJson(balance);
    const amount = balance.balance === null ? 'unlimited' : `${balance.balance} ${balance.currency}`;
    process.stdout.write(`${balance.name} (${balance.keyId}): ${amount}, ${balance.held} ${balance.currency} held by running tasks\n`);
  });
}
