/**
 * Saving result images to a folder (Node). The URLs are signed, so no key is sent with them —
 * on DashScope they point at Alibaba's object storage, which must never see the API key. Each
 * image is read within the client's timeout and up to a size no image reaches, so a server that
 * never ends a body, or sends an endless one, fails the download instead of filling memory.
 */
import type * as NodeFs from 'node:fs/promises';
import { fetchBounded } from './body.js';
import { DownloadError } from './errors.js';
import { imageTypeOf } from './images.js';

/** The two calls of node:fs/promises used here, loaded only when saving (the client runs outside Node too). */
type FileSystem = Pick<typeof NodeFs, 'writeFile'>;

/** What downloads use: the client's fetch and its timeout per request. */
export interface Downloader {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
}

/** Far above any image DashScope or this gateway makes (a 4096² PNG is ~50 MB at worst). */
export const MAX_DOWNLOAD_BYTES = 128 * 1024 * 1024;

export interface DownloadOptions {
  signal?: AbortSignal;
  /** The file name (without extension) of image `index` (0-based); default `<task or request id>-<n>`. */
  name?: (index: number) => string;
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/tiff': 'tif',
};

function extensionOf(bytes: Uint8Array, contentType: string | null): string {
  const declared = contentType?.split(';')[0]?.trim().toLowerCase();
  return EXTENSIONS[imageTypeOf(bytes) ?? declared ?? ''] ?? 'bin';
}

/** A name safe in any file system: letters, digits, `-`, `_` and `.`, never a path. */
function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '');
  return cleaned === '' ? 'image' : cleaned.slice(0, 120);
}

async function fetchImage(downloader: Downloader, url: string, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array; contentType: string | null }> {
  const { response, bytes } = await fetchBounded(downloader.fetch, url, {}, { signal, timeoutMs: downloader.timeoutMs, maxBytes: MAX_DOWNLOAD_BYTES }, (reason, cause) =>
    new DownloadError(`Could not download ${url}: ${reason}`, { code: 'DownloadFailed', retryable: true, cause }),
  );
  if (!response.ok) {
    const expired = response.status === 403 || response.status === 410 ? ' (the signed URL may have expired: read the task again for fresh ones)' : '';
    throw new DownloadError(`${url}: HTTP ${response.status}${expired}.`, { code: 'DownloadFailed', status: response.status, retryable: response.status >= 500 });
  }
  return { bytes, contentType: response.headers.get('content-type') };
}

/** Writes a file that did not exist: `name.ext`, else `name-2.ext`, `name-3.ext`, … — never over another file. */
async function writeNew(fs: FileSystem, stem: string, ext: string, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<string> {
  for (let n = 1; ; n++) {
    const file = n === 1 ? `${stem}.${ext}` : `${stem}-${n}.${ext}`;
    try {
      await fs.writeFile(file, bytes, { flag: 'wx', ...(signal ? { signal } : {}) });
      return file;
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST') || n >= 1000) throw error;
    }
  }
}

export async function saveImages(downloader: Downloader, urls: readonly string[], dir: string, stem: string, options: DownloadOptions = {}): Promise<string[]> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  await fs.mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [index, url] of urls.entries()) {
    const { bytes, contentType } = await fetchImage(downloader, url, options.signal);
    const name = safeName(options.name ? options.name(index) : `${stem}-${index + 1}`);
    paths.push(await writeNew(fs, path.join(dir, name), extensionOf(bytes, contentType), bytes, options.signal));
  }
  return paths;
}
