/** Fastify's own request errors (body too large, bad JSON, wrong content type) in catalog terms. */
import { AppError } from '../domain/errors.js';

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

export function fastifyErrorToAppError(thrown: unknown): AppError | null {
  if (thrown instanceof AppError || typeof thrown !== 'object' || thrown === null) return null;
  const { code, statusCode, message } = thrown as FastifyLikeError;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is too large (each image is limited to 10 MB, three images at most).');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid_parameter', 'Content-Type: this route takes application/json.', { field: 'Content-Type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_parameter', 'body: the JSON body is empty.', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_parameter', `body: not valid JSON (${String(message)}).`, { field: 'body' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_parameter', 'Content-Length does not match the body.', { field: 'Content-Length' });
    // @fastify/multipart's limits and refusals (the limits are the route's MULTIPART_LIMITS).
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError('payload_too_large', `body: too many multipart ${String(code).slice(4, -6).toLowerCase()}.`, { field: 'body' });
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('payload_too_large', 'body: a multipart file is too large.', { field: 'body' });
    case 'FST_PROTO_VIOLATION':
      return new AppError('invalid_parameter', 'body: a multipart field may not be named like a property every object has ("__proto__", "constructor", "toString", …).', { field: 'body' });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('invalid_parameter', 'Content-Type: expected multipart/form-data with a boundary.', { field: 'Content-Type' });
    case 'FST_MP_PREMATURE_CLOSE':
      return new AppError('invalid_parameter', 'body: the multipart body ended before its closing boundary.', { field: 'body' });
    default:
      break;
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // A JSON syntax error from the body parser, or another client error fastify raised itself.
    if (thrown instanceof SyntaxError) return new AppError('invalid_parameter', `body: not valid JSON (${thrown.message}).`, { field: 'body' });
    const kind = statusCode === 413 ? 'payload_too_large' : statusCode === 404 ? 'not_found' : 'invalid_parameter';
    return new AppError(kind, typeof message === 'string' ? message : 'Bad request.');
  }
  return null;
}
