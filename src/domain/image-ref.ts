import { AppError } from './errors.js';
import type { ImageRef } from './request.js';

/** DashScope's per-image limit (10 MB), applied to every way an image can arrive. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

// Checked on the text with line breaks removed: patterns where two parts can match the same
// characters (a line break inside and whitespace at the end) take time quadratic in their length.
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL_BODY = /^[A-Za-z0-9\-_]*={0,2}$/;
const LINE_BREAKS = /[\r\n]+/g;

export interface ParseImageOptions {
  /** SeaArt accepts a bare base64 string where others need a data URI. */
  allowBareBase64?: boolean;
}

function invalidImage(field: string, message: string): AppError {
  return new AppError('invalid_image', `${field}: ${message}`, { field });
}

/** Bytes a base64 text of this length decodes to, at most. */
function decodedLength(base64Length: number): number {
  return Math.floor((base64Length * 3) / 4);
}

function decodeBase64(body: string, field: string): Buffer {
  const compact = body.trim().replace(LINE_BREAKS, '');
  if (decodedLength(compact.length) > MAX_IMAGE_BYTES + 3) {
    throw invalidImage(field, `the image is larger than ${MAX_IMAGE_BYTES / (1024 * 1024)} MB.`);
  }
  const urlSafe = !BASE64_BODY.test(compact) && BASE64URL_BODY.test(compact);
  if (!urlSafe && !BASE64_BODY.test(compact)) throw invalidImage(field, 'the base64 data is not valid base64.');
  const bytes = Buffer.from(compact, urlSafe ? 'base64url' : 'base64');
  if (bytes.length === 0) throw invalidImage(field, 'the image data is empty.');
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw invalidImage(field, `the image is larger than ${MAX_IMAGE_BYTES / (1024 * 1024)} MB.`);
  }
  return bytes;
}

/**
 * Reads an image value as clients send it: an http(s) URL, a `data:{mime};base64,…` URI, or
 * (where the dialect allows) bare base64. Throws a 400 naming the field otherwise.
 */
export function parseImageReference(value: string, field: string, options: ParseImageOptions = {}): ImageRef {
  const text = value.trim();
  if (text === '') throw invalidImage(field, 'the image value is empty.');
  const lower = text.slice(0, 12).toLowerCase();
  if (lower.startsWith('http://') || lower.startsWith('https://')) {
    if (!URL.canParse(text)) throw invalidImage(field, 'the image URL is not a valid URL.');
    return { kind: 'url', url: text };
  }
  if (lower.startsWith('data:')) {
    const comma = text.indexOf(',');
    if (comma < 0) throw invalidImage(field, 'the data URI has no comma before its data.');
    const header = text.slice(5, comma).toLowerCase();
    const parts = header.split(';').map((part) => part.trim());
    if (!parts.includes('base64')) {
      throw invalidImage(field, 'only base64 data URIs are supported: data:{mime};base64,{data}.');
    }
    const declaredType = parts[0] !== undefined && parts[0] !== 'base64' && parts[0] !== '' ? parts[0] : undefined;
    return { kind: 'bytes', bytes: decodeBase64(text.slice(comma + 1), field), declaredType };
  }
  if (lower.startsWith('oss://')) {
    throw invalidImage(field, 'oss:// URLs (the DashScope SDK upload flow) are not supported here; send an http(s) URL or a data URI.');
  }
  if (options.allowBareBase64 && text.length >= 16 && !text.includes(':')) {
    return { kind: 'bytes', bytes: decodeBase64(text, field) };
  }
  throw invalidImage(field, 'must be an http(s) URL or a data URI (data:{mime};base64,{data}).');
}
