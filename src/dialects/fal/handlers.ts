/**
 * The fal queue operations (protocols.md §3): submit, status, status stream, result and cancel,
 * plus the synchronous `fal.run`. Shared by the /fal routes and /fal/proxy, which reaches them
 * through `x-fal-target-url`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { isTerminal, type TaskRecord } from '../../domain/task.js';
import { idempotencyKeyOf, principalOf, type DialectContext } from '../context.js';
import { afterAcceptance, awaitEnding } from '../outcome.js';
import { cancelRequest } from '../queue-common/cancel.js';
import { appOf, falEndpointIds, resolveFalEndpoint, type FalOperation } from './endpoints.js';
import { dataUri, falTaskFailure, finalResultFailure, resultBody, submitBody } from './render.js';
import { queueLinks, statusBody, taskLogLines } from '../queue-common/status.js';
import { streamStatus } from './stream.js';
import { parseMaxQueueLength, parseStartTimeout, translateFal } from './wire.js';

export interface FalTarget {
  operation: FalOperation;
  query: URLSearchParams;
  /** `fal.run`: submit and answer with the result. */
  sync: boolean;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function falHandlers(context: DialectContext) {
  const linksOf = (app: string, requestId: string) => queueLinks(`${context.publicUrl()}/fal/${app}`, requestId);

  const timedOut = async (task: TaskRecord) => task.status === 'canceled' && ((await context.queueRequests.request(task))?.timedOut ?? false);

  const find = async (request: FastifyRequest, requestId: string): Promise<TaskRecord> => {
    const task = await context.tasks.get(principalOf(request), requestId, request.notes);
    if (!task) throw new AppError('not_found', `Request ${requestId} not found.`);
    return task;
  };

  /** The result of an ended task: read by a queue GET, or the answer of a sync run (`sync`), which a client may resubmit. */
  async function answerResult(reply: FastifyReply, task: TaskRecord, sync: boolean): Promise<FastifyReply> {
    reply.header('x-fal-request-id', task.id);
    if (!isTerminal(task.status)) return reply.code(400).send({ detail: 'Request is still in progress', error_type: 'bad_request' });
    const ending = falTaskFailure(task, await timedOut(task));
    const failure = ending && !sync ? finalResultFailure(ending) : ending;
    if (failure) return reply.code(failure.status).headers(failure.headers).send(failure.body);
    const syncMode = (await context.queueRequests.request(task))?.syncMode ?? false;
    const urls = syncMode
      ? (await afterAcceptance(task, () => context.outputBytes(task))).map((bytes, i) => dataUri(task.outputs[i]?.contentType ?? 'image/png', bytes))
      : context.outputUrls(task);
    return reply.send(resultBody(task, urls));
  }

  async function submit(request: FastifyRequest, reply: FastifyReply, endpointId: string, target: FalTarget): Promise<FastifyReply> {
    const endpoint = resolveFalEndpoint(endpointId);
    if (!endpoint) {
      throw new AppError('not_found', `Application "${endpointId}" not found; this server serves ${falEndpointIds().join(', ')} and qwen/{model}.`);
    }
    const parsed = translateFal(request.body, endpoint);
    if (header(request, 'x-fal-queue-priority') === 'low') {
      parsed.warnings.push('x-fal-queue-priority: low is not supported; the request waits its turn like any other.');
    }
    const startTimeoutSeconds = parseStartTimeout(header(request, 'x-fal-request-timeout'));
    const maxQueueLength = parseMaxQueueLength(target.query.get('fal_max_queue_length'));
    const webhook = target.query.get('fal_webhook');
    const principal = principalOf(request);
    const task = await context.queueRequests.submit(
      principal,
      { request: parsed.request, fields: parsed.fields, warnings: parsed.warnings, origin: 'fal', requestId: request.id, idempotencyKey: idempotencyKeyOf(request), notes: request.notes },
      {
        dialect: 'fal',
        endpoint: endpoint.id,
        syncMode: parsed.syncMode,
        startTimeoutSeconds,
        webhook: webhook ? { url: webhook, field: 'fal_webhook' } : undefined,
        maxQueueLength: maxQueueLength === undefined ? undefined : { value: maxQueueLength, field: 'fal_max_queue_length' },
      },
    );
    if (target.sync) {
      const status = `${context.publicUrl()}/fal/${appOf(endpoint.id)}/requests/${task.id}/status`;
      return answerResult(reply, await awaitEnding(context, principal, task, (seconds) => `The request is still running after ${seconds} s; follow it at ${status}.`), true);
    }
    const position = await context.tasks.queuePosition(task);
    return reply.header('x-fal-request-id', task.id).send(submitBody(task, linksOf(appOf(endpoint.id), task.id), position));
  }

  async function status(request: FastifyRequest, reply: FastifyReply, app: string, requestId: string, query: URLSearchParams): Promise<FastifyReply> {
    const task = await find(request, requestId);
    const position = task.status === 'queued' ? await context.tasks.queuePosition(task) : undefined;
    const logs = query.get('logs') === '1' ? taskLogLines(task, await context.tasks.logs(task.id)) : undefined;
    const failure = falTaskFailure(task, await timedOut(task));
    const body = statusBody(task, linksOf(app, task.id), { position, logs, failure: failure && { error: failure.message, error_type: failure.errorType } });
    return reply.header('x-fal-request-id', task.id).send(body);
  }

  async function dispatch(request: FastifyRequest, reply: FastifyReply, target: FalTarget): Promise<FastifyReply | undefined> {
    const { operation } = target;
    const method = request.method;
    if (operation.kind === 'submit') {
      if (method !== 'POST') throw new AppError('not_found', `${method} is not an operation on ${operation.endpoint}; submit with POST.`);
      return submit(request, reply, operation.endpoint, target);
    }
    const expected = operation.kind === 'cancel' ? 'PUT' : 'GET';
    if (method !== expected) throw new AppError('not_found', `${operation.kind} takes ${expected}, not ${method}.`);
    switch (operation.kind) {
      case 'status':
        return status(request, reply, operation.app, operation.requestId, target.query);
      case 'stream': {
        const task = await find(request, operation.requestId);
        streamStatus(context, request, reply, task, {
          links: linksOf(operation.app, task.id),
          logs: target.query.get('logs') === '1',
          failureOf: async (ended) => {
            const failure = falTaskFailure(ended, await timedOut(ended));
            return failure && { error: failure.message, error_type: failure.errorType };
          },
        });
        return undefined;
      }
      case 'result':
        return answerResult(reply, await find(request, operation.requestId), false);
      case 'cancel': {
        const answer = await cancelRequest(context, principalOf(request), operation.requestId, request.notes);
        return reply.code(answer.status).send(answer.body);
      }
    }
  }

  return { dispatch };
}
