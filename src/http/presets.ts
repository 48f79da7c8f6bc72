/** GET /v1/presets/negative-prompts — the recommended negative prompts by edit type. Public: no key needed. */
import type { FastifyInstance } from 'fastify';
import { NEGATIVE_PRESETS } from '../domain/negative-presets.js';

/** Rendered once: the presets are constant data. */
const BODY = JSON.stringify({ data: NEGATIVE_PRESETS.map(({ type, label, en, zh }) => ({ type, label, en, zh })) });

export async function presetRoutes(app: FastifyInstance): Promise<void> {
  app.get('/v1/presets/negative-prompts', (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'public, max-age=86400').send(BODY);
  });
}
