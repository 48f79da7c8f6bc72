/**
 * The status stream (`…/status/stream`, SSE): each `data:` is a full status JSON — one at once,
 * then one per change the task's events report (start, log lines and progress when `logs=1`,
 * queue position while queued) — and the stream closes after COMPLETED. Log lines are sent once:
 * each event carries only the new ones (fal-js accumulates them).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTerminal, type TaskRecord } from '../../domain/task.js';
import type { TaskEvent } from '../../events/events.js';
import { principalOf, type DialectContext } from '../context.js';
import { logLine, statusBody, taskLogLines, type QueueLinks, type QueueLogLine } from '../queue-common/status.js';

export interface StreamOptions {
  links: QueueLinks;
  logs: boolean;
  /** The error fields of a task that did not succeed, in the dialect's terms. */
  failureOf(task: TaskRecord): Promise<{ error: string; error_type: string } | null>;
}

const TICK_MS = 2_000;
/** A keep-alive comment every 7 ticks (14 s). */
const HEARTBEAT_TICKS = 7;

export function streamStatus(context: DialectContext, request: FastifyRequest, reply: FastifyReply, first: TaskRecord, options: StreamOptions): void {
  const principal = principalOf(request);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
    'x-fal-request-id': first.id,
  });
  let snapshot = first;
  let position: number | undefined;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  const sent = new Set<string>();

  const send = (body: unknown) => raw.write(`data: ${JSON.stringify(body)}\n\n`);
  const finish = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(timer);
    raw.end();
  };
  const step = (work: () => Promise<void>) => {
    chain = chain
      .then(() => (closed ? undefined : work()))
      .catch((error: unknown) => {
        request.log.warn({ reqId: request.id, err: error }, 'status stream failed');
        finish();
      });
  };

  const sendStatus = async (task: TaskRecord, logs: QueueLogLine[] | undefined) => {
    snapshot = task;
    if (isTerminal(task.status)) {
      send(statusBody(task, options.links, { logs, failure: await options.failureOf(task) }));
      finish();
      return;
    }
    position = task.status === 'queued' ? await context.tasks.queuePosition(task) : undefined;
    send(statusBody(task, options.links, { position, logs }));
  };

  const sendLine = (line: QueueLogLine) => {
    const key = `${line.timestamp}|${line.message}`;
    if (sent.has(key)) return;
    sent.add(key);
    send(statusBody(snapshot, options.links, { position, logs: [line] }));
  };

  const onEvent = async (event: TaskEvent) => {
    if (event.type === 'status') {
      const task = isTerminal(event.status) ? (event.task ?? (await context.tasks.get(principal, snapshot.id, request.notes))) : { ...snapshot, status: event.status };
      await sendStatus(task ?? { ...snapshot, status: event.status }, options.logs ? [] : undefined);
    } else if (options.logs && event.type === 'log') {
      sendLine(logLine({ at: event.at, level: event.level, message: event.message }));
    } else if (options.logs && event.type === 'progress') {
      sendLine(logLine({ at: event.at, level: 'info', message: `progress: ${Math.round(event.progress * 100)}%` }));
    }
  };

  // Listening starts before the first read, so no change between the two is missed.
  const unsubscribe = context.queueRequests.subscribe(first.id, (event) => step(() => onEvent(event)));
  // One timer per stream: the queue position while queued, and a comment now and then so idle
  // proxies keep the connection.
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
    if (ticks % HEARTBEAT_TICKS === 0) raw.write(': keep-alive\n\n');
    if (snapshot.status !== 'queued') return;
    step(async () => {
      const now = await context.tasks.queuePosition(snapshot);
      if (now === position) return;
      position = now;
      send(statusBody(snapshot, options.links, { position, logs: options.logs ? [] : undefined }));
    });
  }, TICK_MS);
  raw.on('close', finish);

  step(async () => {
    const task = (await context.tasks.get(principal, first.id, request.notes)) ?? first;
    const logs = options.logs ? taskLogLines(task, await context.tasks.logs(task.id)) : undefined;
    for (const line of logs ?? []) sent.add(`${line.timestamp}|${line.message}`);
    await sendStatus(task, logs);
  });
}
