/**
 * The JSON body parser: the body is decoded and scanned (`json-shape.ts`) chunk by chunk as it
 * arrives, so a large body costs the event loop many small steps instead of one long copy, decode
 * and scan at its end; then one `JSON.parse`. Fastify's own parser would concatenate the chunks,
 * decode the whole and run secure-json-parse's prototype check over the whole text, all at once.
 */
import { StringDecoder } from 'node:string_decoder';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.js';
import { JsonShapeScanner } from './json-shape.js';

type Done = (error: Error | null, body?: unknown) => void;

function tooLarge(limit: number): AppError {
  return new AppError('payload_too_large', `body: larger than ${limit} bytes, this route's limit (each image is limited to 10 MB, three images at most).`, { field: 'body' });
}

function refused(problem: string): AppError {
  return new AppError('invalid_parameter', `body: ${problem}; a request is a few fields and at most three images.`, { field: 'body' });
}

/** A fastify content-type parser for application/json that reads the payload stream itself. */
export function parseJsonBody(request: FastifyRequest, payload: NodeJS.ReadableStream, done: Done): void {
  const limit = request.routeOptions.bodyLimit ?? 1024 * 1024;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return done(tooLarge(limit));
  const decoder = new StringDecoder('utf8');
  const scanner = new JsonShapeScanner();
  const parts: string[] = [];
  let received = 0;
  let settled = false;

  const finish = (error: Error | null, body?: unknown): void => {
    if (settled) return;
    settled = true;
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(error, body);
  };
  const take = (text: string): boolean => {
    if (text === '') return true;
    parts.push(text);
    const problem = scanner.feed(text);
    if (problem !== null) finish(refused(problem));
    return problem === null;
  };
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > limit) return finish(tooLarge(limit));
    take(decoder.write(bytes));
  };
  const onEnd = (): void => {
    if (!take(decoder.end())) return;
    if (Number.isFinite(declared) && received !== declared) {
      return finish(new AppError('invalid_parameter', 'Content-Length does not match the body.', { field: 'Content-Length' }));
    }
    const text = parts.join('');
    // Clients send Content-Type: application/json on bodiless requests (fal's PUT and DELETE).
    if (text.trim() === '') return finish(null, undefined);
    try {
      finish(null, JSON.parse(text) as unknown);
    } catch (error) {
      finish(new AppError('invalid_parameter', `body: not valid JSON (${(error as Error).message.slice(0, 200)}).`, { field: 'body' }));
    }
  };
  const onError = (error: Error): void => finish(error);

  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}
