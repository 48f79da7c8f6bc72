/**
 * Caps the request bodies being received at once (by their Content-Length), so a burst of large
 * uploads gets a clear 503 instead of exhausting memory.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

export class BodyBudget {
  private inflightBytes = 0;

  constructor(private readonly maxInflightBytes: number) {}

  inflight(): number {
    return this.inflightBytes;
  }

  /** Reserves the request's body until its response closes; an error when over budget. */
  admit(request: FastifyRequest, reply: FastifyReply): AppError | null {
    const header = request.headers['content-length'];
    const length = header === undefined ? 0 : Number(header);
    if (!Number.isFinite(length) || length <= 0) return null;
    if (this.inflightBytes + length > this.maxInflightBytes) {
      return new AppError('overloaded', 'The server is receiving too many large requests at once; retry in a few seconds.', {
        retryAfterSeconds: 2,
      });
    }
    this.inflightBytes += length;
    // 'close' fires once the response is sent or the client went away, whichever comes first.
    reply.raw.once('close', () => {
      this.inflightBytes -= length;
    });
    return null;
  }
}
