/**
 * The OpenAI Images API: `POST /v1/images/generations` (JSON; also the DashScope body of seed 001
 * and the ai-nebula body of seed 004, each answered in its vendor's shape) and
 * `POST /v1/images/edits` (multipart or JSON). Sync: each waits for its task.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clip, headerText } from '../../domain/bounded-text.js';
import { AppError, toAppError } from '../../domain/errors.js';
import { parseImageReference } from '../../domain/image-ref.js';
import type { TaskRecord } from '../../domain/task.js';
import { authBeforeLargeBody, authHook, idempotencyKeyOf, principalOf, type DialectContext } from '../context.js';
import { afterAcceptance, awaitEnding, succeededOrThrow } from '../outcome.js';
import { syncResponse } from '../dashscope/render.js';
import { parseMessagesBody, parsePromptBody } from '../dashscope/wire.js';
import { errorHandler, type ErrorRenderer } from '../errors.js';
import { isRecord } from '../unknown-fields.js';
import { nebulaError, nebulaSuccess } from '../nebula/render.js';
import { isNebulaBody, parseNebulaBody } from '../nebula/wire.js';
import { MULTIPART_LIMITS, readEditMultipart } from './multipart.js';
import { completedEvent, imagesResponse, openAiError, type ImageItem } from './render.js';
import { coerceMultipartFields, jsonEditImages, translateOpenAi, type OpenAiRequest, type ResponseFormat } from './wire.js';

const MAX_IMAGES = 3;
const DASHSCOPE_FLAT_PARAMETERS = ['n', 'size', 'negative_prompt', 'prompt_extend', 'watermark', 'seed'];

type BodyStyle = 'openai' | 'dashscope' | 'nebula';

function styleOf(body: unknown): BodyStyle {
  if (isNebulaBody(body)) return 'nebula';
  // Any `input` (even a wrong one) marks DashScope's body, whose schema then names what is wrong.
  if (isRecord(body) && body.input !== undefined) return 'dashscope';
  return 'openai';
}

/**
 * Resellers flatten DashScope's parameters to the top level (protocols.md §1.6); fold them back.
 * A `parameters` that is not an object is left as sent, for the schema to refuse.
 */
function foldDashScopeBody(body: Record<string, unknown>): Record<string, unknown> {
  if (body.parameters !== undefined && !isRecord(body.parameters)) return body;
  const parameters = { ...(body.parameters ?? {}) };
  for (const key of DASHSCOPE_FLAT_PARAMETERS) if (body[key] !== undefined && parameters[key] === undefined) parameters[key] = body[key];
  return { ...body, parameters };
}

/** Generations sent in the ai-nebula style are answered in its envelope, errors included. */
const renderImagesError: ErrorRenderer = (error, request) =>
  request.routeOptions.url === '/v1/images/generations' && styleOf(request.body) === 'nebula' ? nebulaError(error) : openAiError(error);

export async function openAiRoutes(app: FastifyInstance, context: DialectContext & { defaultModel: string }): Promise<void> {
  await app.register(multipart, { limits: MULTIPART_LIMITS, throwFileSizeLimit: false });

  app.setErrorHandler(errorHandler(renderImagesError));

  const waitFor = async (request: FastifyRequest, task: TaskRecord): Promise<TaskRecord> =>
    succeededOrThrow(await awaitEnding(context, principalOf(request), task, (seconds) => `The image is taking longer than ${seconds} s; task ${task.id} carries on — read it at GET /api/v1/tasks/${task.id}.`));

  const base64Of = async (task: TaskRecord) => (await afterAcceptance(task, () => context.outputBytes(task))).map((bytes) => bytes.toString('base64'));

  /**
   * The images as asked: URLs, base64, or — when the client named no format — both. OpenAI
   * answers its GPT image models with base64 whatever is asked, and DALL·E with URLs by default,
   * so clients read either field without asking (the Vercel AI SDK reads `b64_json`, code
   * written for DALL·E reads `url`); both satisfy each. Ask for "url" to skip the base64.
   */
  const imageItems = async (task: TaskRecord, format: ResponseFormat | null): Promise<ImageItem[]> => {
    if (format === 'url') return context.outputUrls(task).map((url) => ({ url }));
    const b64s = await base64Of(task);
    if (format === 'b64_json') return b64s.map((b64_json) => ({ b64_json }));
    const urls = context.outputUrls(task);
    return b64s.map((b64_json, i) => ({ url: urls[i] as string, b64_json }));
  };

  /** Runs an OpenAI-shaped request to its answer: JSON, or SSE events when streaming. */
  const answerOpenAi = async (request: FastifyRequest, reply: FastifyReply, parsed: OpenAiRequest, kind: 'generation' | 'edit') => {
    const task = await context.tasks.submit(principalOf(request), { request: parsed.request, fields: parsed.fields, origin: 'openai', requestId: request.id, idempotencyKey: idempotencyKeyOf(request), notes: request.notes });
    if (parsed.ignored.length > 0) reply.header('x-qig-ignored-params', clip(parsed.ignored.join(', '), 1024, '...'));
    if (parsed.aliasedFrom !== null) reply.header('x-qig-model', task.model);
    if (parsed.stream) return streamAnswer(request, reply, task, kind);
    const done = await waitFor(request, task);
    // OpenAI's answer has no field for them: fewer images than `n`, say, is explained here.
    if (done.warnings.length > 0) reply.header('x-qig-warnings', headerText(done.warnings.join('; ')));
    return reply.send(imagesResponse(done, await imageItems(done, parsed.responseFormat)));
  };

  const streamAnswer = async (request: FastifyRequest, reply: FastifyReply, task: TaskRecord, kind: 'generation' | 'edit') => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': request.id, ...(reply.getHeaders() as Record<string, string>) });
    const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    try {
      const done = await waitFor(request, task);
      for (const b64 of await base64Of(done)) {
        const event = completedEvent(kind, done, b64);
        send(event.type, event.data);
      }
    } catch (thrown) {
      send('error', openAiError(toAppError(thrown)).body);
    }
    raw.end();
  };

  app.post('/v1/images/generations', { bodyLimit: context.maxJsonBodyBytes, ...authBeforeLargeBody(context) }, async (request, reply) => {
    const body = request.body;
    switch (styleOf(body)) {
      case 'nebula': {
        const parsed = parseNebulaBody(body);
        const task = await context.tasks.submit(principalOf(request), { request: parsed.request, fields: parsed.fields, warnings: parsed.warnings, origin: 'nebula', requestId: request.id, idempotencyKey: idempotencyKeyOf(request), notes: request.notes });
        const done = await waitFor(request, task);
        const b64s = parsed.responseFormat === 'b64_json' ? await base64Of(done) : null;
        return reply.send(nebulaSuccess(done, context.outputUrls(done), b64s, request.id, context.currency));
      }
      case 'dashscope': {
        const folded = foldDashScopeBody(body as Record<string, unknown>);
        const parsed = isRecord(folded.input) && !('messages' in folded.input) ? parsePromptBody(folded) : parseMessagesBody(folded);
        const task = await context.tasks.submit(principalOf(request), { request: parsed.request, fields: parsed.fields, warnings: parsed.warnings, origin: 'dashscope-on-openai', requestId: request.id, idempotencyKey: idempotencyKeyOf(request), notes: request.notes });
        const done = await waitFor(request, task);
        const urls = context.outputUrls(done);
        const b64 = (folded.response_format === 'b64_json' ? await base64Of(done) : null);
        const items = urls.map((url, i) => (b64 ? { b64_json: b64[i] as string } : { url }));
        return reply.send({ ...imagesResponse(done, items), metadata: syncResponse(done, urls, request.id, context.currency) });
      }
      case 'openai':
        return answerOpenAi(request, reply, translateOpenAi(body, { defaultModel: context.defaultModel, images: [], imageField: (i) => `image[${i}]` }), 'generation');
    }
  });

  app.post('/v1/images/edits', { bodyLimit: context.maxJsonBodyBytes, onRequest: authHook(context) }, async (request, reply) => {
    let parsed: OpenAiRequest;
    if (request.isMultipart()) {
      const { fields, images } = await readEditMultipart(request, MAX_IMAGES);
      if (images.length === 0) throw new AppError('invalid_parameter', 'image: at least one image file is required (as "image", "image[]" or "image[N]").', { field: 'image' });
      parsed = translateOpenAi(coerceMultipartFields(fields), {
        defaultModel: context.defaultModel,
        images: images.map((image) => ({ kind: 'bytes', bytes: image.bytes, declaredType: image.declaredType, name: image.filename })),
        imageField: (i) => images[i]?.field ?? `image[${i}]`,
      });
    } else {
      if (typeof request.body === 'object' && request.body !== null && 'mask' in request.body) {
        throw new AppError('invalid_parameter', 'mask: Qwen-Image editing takes no mask; describe in the prompt what to change and where.', { field: 'mask' });
      }
      const values = jsonEditImages(request.body);
      if (values.length === 0) throw new AppError('invalid_parameter', 'image: at least one image URL or data URI is required (as "image" or "images").', { field: 'image' });
      if (values.length > MAX_IMAGES) {
        const extra = values[MAX_IMAGES] as { field: string };
        throw new AppError('invalid_image', `${extra.field}: at most ${MAX_IMAGES} images can be edited together; ${values.length} given.`, { field: extra.field });
      }
      parsed = translateOpenAi(request.body, {
        defaultModel: context.defaultModel,
        images: values.map((v) => parseImageReference(v.value, v.field)),
        imageField: (i) => values[i]?.field ?? `image[${i}]`,
      });
    }
    return answerOpenAi(request, reply, parsed, 'edit');
  });
}
