/**
 * Input images as DashScope takes them: a URL (http, https or oss) or a `data:` URI. A file path
 * (Node only) and bytes become a data URI whose type is read from the bytes themselves, so a
 * file that is not an image fails here, naming it, before anything is sent.
 */
import { BadRequestError } from './errors.js';

/** DashScope's limit on one input image; a larger one is refused here, before it is encoded and sent. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** A URL, a `data:` URI, a file path (Node), or the image's bytes. */
export type ImageInput = string | URL | Uint8Array | ArrayBuffer | Blob;

const SIGNATURES: ReadonlyArray<{ type: string; test: (b: Uint8Array) => boolean }> = [
  { type: 'image/png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => ascii(b, 0, 4) === 'GIF8' },
  { type: 'image/webp', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { type: 'image/bmp', test: (b) => ascii(b, 0, 2) === 'BM' },
  { type: 'image/tiff', test: (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*' },
];

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/** The image type of these bytes by their signature; null when they are no image DashScope reads. */
export function imageTypeOf(bytes: Uint8Array): string | null {
  return SIGNATURES.find((signature) => signature.test(bytes))?.type ?? null;
}

function base64(bytes: Uint8Array): string {
  const NodeBuffer = (globalThis as { Buffer?: { from(b: Uint8Array): { toString(encoding: 'base64'): string } } }).Buffer;
  if (NodeBuffer) return NodeBuffer.from(bytes).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function dataUri(bytes: Uint8Array, what: string): string {
  if (bytes.byteLength > MAX_IMAGE_BYTES) throw tooLarge(what, bytes.byteLength);
  const type = imageTypeOf(bytes);
  if (type === null) throw new BadRequestError(`${what}: not a PNG, JPEG, WebP, GIF, BMP or TIFF image.`, { code: 'InvalidParameter' });
  return `data:${type};base64,${base64(bytes)}`;
}

function tooLarge(what: string, bytes: number): BadRequestError {
  const mb = (n: number) => `${Math.ceil((n / (1024 * 1024)) * 10) / 10} MB`;
  return new BadRequestError(`${what}: ${mb(bytes)}; an input image may be at most ${mb(MAX_IMAGE_BYTES)}.`, { code: 'InvalidParameter' });
}

/** A regular file's bytes, refused before reading when it is larger than an image may be (so /dev/zero or a FIFO never fill memory). */
async function readFileBytes(path: string, what: string): Promise<Uint8Array> {
  const fs = await import('node:fs/promises').catch(() => {
    throw new BadRequestError(`${what}: "${path}" is neither a URL nor a data: URI, and files can be read only in Node.`, { code: 'InvalidParameter' });
  });
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new BadRequestError(`${what}: "${path}" is not a file.`, { code: 'InvalidParameter' });
    if (stat.size > MAX_IMAGE_BYTES) throw tooLarge(`${what} (${path})`, stat.size);
    return await fs.readFile(path);
  } catch (error) {
    if (error instanceof BadRequestError) throw error;
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new BadRequestError(`${what}: cannot read the file "${path}" (${reason}).`, { code: 'InvalidParameter', cause: error });
  }
}

/** A `file:` URL as a path (Node); the path is read here, never sent. */
async function filePath(url: URL, what: string): Promise<string> {
  const { fileURLToPath } = await import('node:url').catch(() => {
    throw new BadRequestError(`${what}: file: URLs can be read only in Node.`, { code: 'InvalidParameter' });
  });
  try {
    return fileURLToPath(url);
  } catch (error) {
    throw new BadRequestError(`${what}: ${url.href} is not a local file URL.`, { code: 'InvalidParameter', cause: error });
  }
}

/** One input image as the string DashScope's `{"image": …}` takes. */
export async function imageReference(input: ImageInput, what: string): Promise<string> {
  if (input instanceof URL || (typeof input === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(input))) {
    const url = new URL(String(input));
    // A URL string goes as it was written (the server signs or matches it as such).
    if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'oss:') return typeof input === 'string' ? input : url.href;
    if (url.protocol !== 'file:') throw new BadRequestError(`${what}: ${url.protocol} URLs are not read; give an http(s) URL, a data: URI, a file path or the bytes.`, { code: 'InvalidParameter' });
    const path = await filePath(url, what);
    return dataUri(await readFileBytes(path, what), `${what} (${path})`);
  }
  if (typeof input === 'string') {
    if (/^data:/i.test(input)) return input;
    if (input.trim() === '') throw new BadRequestError(`${what}: is empty.`, { code: 'InvalidParameter' });
    return dataUri(await readFileBytes(input, what), `${what} (${input})`);
  }
  if (input instanceof Uint8Array) return dataUri(input, what);
  if (input instanceof ArrayBuffer) return dataUri(new Uint8Array(input), what);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return dataUri(new Uint8Array(await input.arrayBuffer()), what);
  throw new BadRequestError(`${what}: must be a URL, a data: URI, a file path, a Uint8Array, an ArrayBuffer or a Blob.`, { code: 'InvalidParameter' });
}
