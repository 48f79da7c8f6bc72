/**
 * Request bodies under watch, so no upload can hold more than its share of memory or time:
 *
 * - a budget of bytes being received at once across all requests: a declared Content-Length is
 *   reserved before the body is read (503 with Retry-After past the budget), and a body that
 *   arrives chunked, or longer than declared, reserves its bytes as they arrive;
 * - deadlines for receiving a body: idle (no byte for `idleMs` while the server waits for one)
 *   and total (`totalMs` from the first byte of the request).
 *
 * A request past either is refused at once with its route's error shape (the consumer of the
 * body receives the error and the route renders it) and its connection closed after the answer;
 * what it reserved is freed when that answer ends.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';

export interface BodyGuardOptions {
  maxInflightBytes: number;
  idleMs: number;
  totalMs: number;
  now?: () => number;
  /** Told of every body refused (metrics). */
  onRefuse?: (reason: 'body_overloaded' | 'body_timeout') => void;
}

interface Upload {
  request: FastifyRequest;
  reply: FastifyReply;
  reserved: number;
  startedAt: number;
  lastByteAt: number;
  refused: boolean;
}

/** After refusing, how long the body's consumer has to answer before the socket is cut. */
const ANSWER_GRACE_MS = 1_000;

export class BodyGuard {
  private inflightBytes = 0;
  /** Bodies still arriving. */
  private readonly uploads = new Set<Upload>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: BodyGuardOptions) {
    this.now = options.now ?? Date.now;
    // One sweep for all uploads, not a timer each: the hot path only stamps times.
    const every = Math.max(50, Math.min(1_000, Math.floor(Math.min(options.idleMs, options.totalMs) / 4)));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  inflight(): number {
    return this.inflightBytes;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** onRequest: reserves the declared body and starts watching it; an error when over budget. */
  admit(request: FastifyRequest, reply: FastifyReply): AppError | null {
    const raw = request.raw;
    const header = raw.headers['content-length'];
    const declared = header === undefined ? 0 : Number(header);
    const chunked = raw.headers['transfer-encoding'] !== undefined;
    if (!chunked && !(Number.isFinite(declared) && declared > 0)) return null;
    const length = Number.isFinite(declared) && declared > 0 ? declared : 0;
    if (this.inflightBytes + length > this.options.maxInflightBytes) {
      this.options.onRefuse?.('body_overloaded');
      return overloaded();
    }
    this.inflightBytes += length;
    const now = this.now();
    const upload: Upload = { request, reply, reserved: length, startedAt: now, lastByteAt: now, refused: false };
    this.uploads.add(upload);
    this.tap(raw, upload, raw.readableLength);
    // 'close' fires once the answer is sent or the client went away, whichever comes first.
    reply.raw.once('close', () => {
      this.uploads.delete(upload);
      this.inflightBytes -= upload.reserved;
    });
    return null;
  }

  /**
   * Counts the body's bytes as the HTTP parser hands them over (`push` is where every chunk
   * passes, whoever reads the body: fastify's parsers or a multipart stream).
   */
  private tap(raw: IncomingMessage, upload: Upload, alreadyBuffered: number): void {
    const push = raw.push.bind(raw);
    let received = alreadyBuffered;
    raw.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk === null) {
        this.uploads.delete(upload);
        return push(chunk, encoding);
      }
      // A refused body's further bytes are dropped, and reading stops.
      if (upload.refused) return false;
      upload.lastByteAt = this.now();
      received += (chunk as Buffer).length;
      const more = received - upload.reserved;
      if (more > 0) {
        if (this.inflightBytes + more > this.options.maxInflightBytes) {
          this.refuse(upload, overloaded());
          return false;
        }
        this.inflightBytes += more;
        upload.reserved += more;
      }
      return push(chunk, encoding);
    };
  }

  private sweep(): void {
    const now = this.now();
    for (const upload of this.uploads) {
      const raw = upload.request.raw;
      if (now - upload.startedAt > this.options.totalMs) {
        this.refuse(upload, new AppError('request_timeout', `body: the request body was not received within ${seconds(this.options.totalMs)} s.`, { field: 'body' }));
      } else if (now - upload.lastByteAt > this.options.idleMs && waitingForClient(raw)) {
        this.refuse(upload, new AppError('request_timeout', `body: no bytes of the request body arrived for ${seconds(this.options.idleMs)} s.`, { field: 'body' }));
      }
    }
  }

  /** Hands `error` to the body's consumer (the route answers it) and closes the connection after. */
  private refuse(upload: Upload, error: AppError): void {
    this.uploads.delete(upload);
    upload.refused = true;
    this.options.onRefuse?.(error.kind === 'overloaded' ? 'body_overloaded' : 'body_timeout');
    const { request, reply } = upload;
    const socket = request.raw.socket;
    if (reply.sent) {
      socket.destroy();
      return;
    }
    reply.header('connection', 'close');
    if (request.raw.listenerCount('error') > 0) request.raw.emit('error', error);
    else reply.send(error);
    // A consumer that does not answer (or an answer the client never reads) does not keep the socket.
    setTimeout(() => {
      if (!socket.destroyed && !reply.raw.writableFinished) socket.destroy();
    }, ANSWER_GRACE_MS).unref();
  }
}

/** The server is reading and has nothing buffered: any delay is the client's. */
function waitingForClient(raw: IncomingMessage): boolean {
  return raw.readableFlowing !== false && raw.readableLength === 0;
}

function overloaded(): AppError {
  return new AppError('overloaded', 'The server is receiving too many large requests at once; retry in a few seconds.', { retryAfterSeconds: 2 });
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
