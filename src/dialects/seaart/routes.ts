/**
 * The SeaArt queue dialect (seed 002, protocols.md §3.10): `POST /v1/queue/{endpoint}`,
 * `GET …/requests/{id}/status`, `GET …/requests/{id}/response` (202 with the status until the
 * task ends) and `PUT …/requests/{id}/cancel`. `{endpoint}` is a catalog model with `-` and `.`
 * as `_` (`qwen_image_edit_plus`, `qwen_image_2_0_pro`, dated snapshots too).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { modelFromEndpointName, type ModelSpec } from '../../domain/models.js';
import { isTerminal, type TaskRecord } from '../../domain/task.js';
import { authHook, idempotencyKeyOf, principalOf, type DialectContext } from '../context.js';
import { cancelRequest } from '../queue-common/cancel.js';
import { queueLinks, statusBody, taskLogLines } from '../queue-common/status.js';
import { errorHandler } from '../errors.js';
import { failureResponse, renderSeaArtError, resultBody, seaartFailure } from './render.js';
import { SEAART_FIELD_NAMES, translateSeaArt } from './wire.js';

interface RequestParams {
  endpoint: string;
  id: string;
}

function modelOf(endpoint: string): ModelSpec {
  const model = modelFromEndpointName(endpoint);
  if (!model) throw new AppError('model_not_found', `App not found: ${endpoint}`);
  return model;
}

export async function seaartRoutes(app: FastifyInstance, context: DialectContext): Promise<void> {
  app.setErrorHandler(errorHandler(renderSeaArtError));
  app.addHook('onRequest', authHook(context, ['Bearer', 'Key']));

  const linksOf = (endpoint: string, id: string) => queueLinks(`${context.publicUrl()}/v1/queue/${endpoint}`, id, 'response');

  const find = async (request: FastifyRequest<{ Params: RequestParams }>): Promise<TaskRecord> => {
    modelOf(request.params.endpoint);
    const task = await context.tasks.get(principalOf(request), request.params.id, request.notes);
    if (!task) throw new AppError('not_found', `Request not found: ${request.params.id}`);
    return task;
  };

  const status = async (request: FastifyRequest<{ Params: RequestParams; Querystring: { logs?: string } }>, task: TaskRecord) => {
    const position = task.status === 'queued' ? await context.tasks.queuePosition(task) : undefined;
    const logs = request.query.logs === '1' ? taskLogLines(task, await context.tasks.logs(task.id)) : undefined;
    return statusBody(task, linksOf(request.params.endpoint, task.id), { position, logs, failure: seaartFailure(task) });
  };

  app.post<{ Params: { endpoint: string } }>('/v1/queue/:endpoint', { bodyLimit: context.maxJsonBodyBytes }, async (request, reply) => {
    const model = modelOf(request.params.endpoint);
    const parsed = translateSeaArt(request.body, model.id);
    const task = await context.queueRequests.submit(
      principalOf(request),
      { request: parsed.request, fields: SEAART_FIELD_NAMES, warnings: parsed.warnings, origin: 'seaart', requestId: request.id, idempotencyKey: idempotencyKeyOf(request), notes: request.notes },
      { dialect: 'seaart', endpoint: request.params.endpoint, webhook: parsed.webhook === undefined ? undefined : { url: parsed.webhook, field: 'webhook' } },
    );
    const { request_id, response_url, status_url, cancel_url } = linksOf(request.params.endpoint, task.id);
    return reply.send({ request_id, response_url, status_url, cancel_url, queue_position: await context.tasks.queuePosition(task) });
  });

  app.get<{ Params: RequestParams; Querystring: { logs?: string } }>('/v1/queue/:endpoint/requests/:id/status', async (request, reply) => {
    return reply.send(await status(request, await find(request)));
  });

  app.get<{ Params: RequestParams; Querystring: { logs?: string } }>('/v1/queue/:endpoint/requests/:id/response', async (request, reply) => {
    const task = await find(request);
    if (!isTerminal(task.status)) return reply.code(202).send(await status(request, task));
    const failure = seaartFailure(task);
    if (failure) {
      const answer = failureResponse(task, failure);
      return reply.code(answer.status).send(answer.body);
    }
    return reply.send(resultBody(task, context.outputUrls(task)));
  });

  app.put<{ Params: RequestParams }>('/v1/queue/:endpoint/requests/:id/cancel', async (request, reply) => {
    modelOf(request.params.endpoint);
    const answer = await cancelRequest(context, principalOf(request), request.params.id, request.notes);
    return reply.code(answer.status).send(answer.body);
  });
}
