/**
 * Caps the request bodies being received at once (by their Content-Length), so a burst of large
 * uploads gets a clear 503 instead of exhausting memory.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.js';

export function registerBodyBudget(app: FastifyInstance, maxInflightBytes: number): { inflight(): number } {
  let inflight = 0;
  app.addHook('onRequest', async (request, reply) => {
    const length = Number(request.headers['content-length'] ?? 0);
    if (!Number.isFinite(length) || length <= 0) return;
    if (inflight + length > maxInflightBytes) {
      throw new AppError('overloaded', 'The server is receiving too many large requests at once; retry in a few seconds.', {
        retryAfterSeconds: 2,
      });
    }
    inflight += length;
    let released = false;
    // 'close' fires once the response is sent or the client went away, whichever comes first.
    reply.raw.once('close', () => {
      if (!released) inflight -= length;
      released = true;
    });
  });
  return { inflight: () => inflight };
}
