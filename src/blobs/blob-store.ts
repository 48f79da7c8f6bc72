/**
 * The blob seam: content-addressed storage of input and output images. A blob's id is the
 * SHA-256 of its bytes (and of the task owning it, when one does) plus an extension for its
 * type, so storing the same image twice is free and an id can never point at other content. A
 * task's images are its own: deleting them when it passes the output retention touches no other
 * task's.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface BlobInfo {
  id: string;
  contentType: string;
  bytes: number;
}

export interface BlobStore {
  readonly driver: string;
  /** Stores `data`; with an `owner` (a task id) the blob is that task's alone. */
  put(data: Buffer, contentType: string, owner?: string): Promise<BlobInfo>;
  get(id: string): Promise<Buffer | null>;
  /** A stream for serving; null when absent. */
  open(id: string): Promise<{ stream: Readable; bytes: number; contentType: string } | null>;
  delete(id: string): Promise<void>;
  close?(): Promise<void>;
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/tiff': 'tiff',
  'image/bmp': 'bmp',
};

const TYPES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(EXTENSIONS).map(([type, ext]) => [ext, type]),
);

const BLOB_ID = /^([0-9a-f]{64})\.([a-z]{3,4})$/;

export function blobIdFor(data: Buffer, contentType: string, owner?: string): string {
  const ext = EXTENSIONS[contentType];
  if (!ext) throw new Error(`no blob extension for content type ${contentType}`);
  const hash = createHash('sha256');
  if (owner !== undefined) hash.update(`${owner}\n`);
  return `${hash.update(data).digest('hex')}.${ext}`;
}

/** The content type of a well-formed blob id, or null for anything else (never a path). */
export function parseBlobId(id: string): { hash: string; contentType: string } | null {
  const match = BLOB_ID.exec(id);
  if (!match) return null;
  const contentType = TYPES[match[2] as string];
  return contentType ? { hash: match[1] as string, contentType } : null;
}
