/**
 * Reads an OpenAI edits multipart body as a stream: image parts named `image`, repeated `image`,
 * `image[]` or `image[N]` (order kept; `image[N]` by N), each buffered up to 10 MB and refused
 * past it; a fourth image or a mask refused as soon as it arrives. Content types of parts are not
 * trusted (clients send application/octet-stream); intake sniffs the bytes.
 */
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { printableName } from '../../domain/bounded-text.js';
import { AppError } from '../../domain/errors.js';
import { MAX_IMAGE_BYTES } from '../../domain/image-ref.js';

export interface MultipartImage {
  /** How errors name it: `image`, `image[1]`, … */
  field: string;
  bytes: Buffer;
  filename: string | undefined;
  declaredType: string | undefined;
}

export interface MultipartEdit {
  fields: Record<string, string>;
  images: MultipartImage[];
}

const IMAGE_FIELD = /^image(?:\[(\d*)\])?$/;

export const MULTIPART_LIMITS = {
  fileSize: MAX_IMAGE_BYTES + 1,
  files: 16,
  fields: 64,
  fieldSize: 256 * 1024,
  parts: 80,
};

/** Past this much, a request already refused is cut off rather than read to its end. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * busboy reports a malformed body (no boundary, a bad part header, an unexpected end) as a bare
 * Error without a code; those are the client's fault. Anything with a code (fastify's multipart
 * limits, a reset connection) keeps its own meaning.
 */
function asMalformed(thrown: unknown): unknown {
  if (thrown instanceof AppError || !(thrown instanceof Error) || 'code' in thrown) return thrown;
  return new AppError('invalid_parameter', `body: malformed multipart/form-data (${thrown.message.slice(0, 120)}).`, { field: 'body' });
}

export async function readEditMultipart(request: FastifyRequest, maxImages: number): Promise<MultipartEdit> {
  try {
    return await readParts(request, maxImages);
  } catch (thrown) {
    throw asMalformed(thrown);
  }
}

async function readParts(request: FastifyRequest, maxImages: number): Promise<MultipartEdit> {
  const fields: Record<string, string> = {};
  const collected: Array<MultipartImage & { index: number | null; seq: number }> = [];
  // The first problem is kept and the rest of the body read and dropped, so the client (still
  // uploading) receives the 400 instead of a reset connection.
  let problem: AppError | null = null;
  let drained = 0;
  for await (const part of request.parts()) {
    if (problem) {
      if (part.type === 'file') for await (const chunk of part.file) drained += (chunk as Buffer).length;
      if (drained > MAX_DRAIN_BYTES) throw problem;
      continue;
    }
    try {
      if (part.type === 'field') {
        const name = printableName(part.fieldname);
        if (part.fieldname in fields) throw new AppError('invalid_parameter', `${name}: given more than once.`, { field: name });
        if (part.valueTruncated) {
          throw new AppError('payload_too_large', `${name}: longer than ${MULTIPART_LIMITS.fieldSize / 1024} KB; a field holds a prompt or a parameter, not a file.`, { field: name });
        }
        fields[part.fieldname] = String(part.value);
        continue;
      }
      collected.push(await readImagePart(part, collected.length, maxImages));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      problem = error;
      if (part.type === 'file') for await (const chunk of part.file) drained += (chunk as Buffer).length;
    }
  }
  if (problem) throw problem;
  const hasExplicit = collected.some((c) => c.index !== null);
  const ordered = hasExplicit
    ? [...collected].sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER) || a.seq - b.seq)
    : collected;
  return { fields, images: ordered.map(({ field, bytes, filename, declaredType }) => ({ field, bytes, filename, declaredType })) };
}

async function readImagePart(part: MultipartFile, seq: number, maxImages: number): Promise<MultipartImage & { index: number | null; seq: number }> {
  if (part.fieldname === 'mask') {
    throw new AppError('invalid_parameter', 'mask: Qwen-Image editing takes no mask; describe in the prompt what to change and where.', { field: 'mask' });
  }
  const match = IMAGE_FIELD.exec(part.fieldname);
  if (!match) {
    throw new AppError('invalid_parameter', `${part.fieldname}: unexpected file field; send images as "image", "image[]" or "image[N]".`, { field: part.fieldname });
  }
  const explicit = match[1] !== undefined && match[1] !== '' ? Number(match[1]) : null;
  const field = explicit !== null ? `image[${explicit}]` : `image[${seq}]`;
  if (seq >= maxImages) {
    throw new AppError('invalid_image', `${field}: at most ${maxImages} images can be edited together; this is image ${seq + 1}.`, { field });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file) {
    size += (chunk as Buffer).length;
    if (size <= MAX_IMAGE_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_IMAGE_BYTES || part.file.truncated) {
    throw new AppError('invalid_image', `${field}: the file${part.filename ? ` ${part.filename}` : ''} is larger than ${MAX_IMAGE_BYTES / (1024 * 1024)} MB.`, { field });
  }
  return { field, bytes: Buffer.concat(chunks, size), filename: part.filename || undefined, declaredType: part.mimetype, index: explicit, seq };
}
