/** Blobs on local disk under QIG_DATA_DIR/blobs, fanned out by hash prefix. */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { blobIdFor, parseBlobId, type BlobInfo, type BlobStore } from './blob-store.js';

export class DiskBlobStore implements BlobStore {
  readonly driver = 'disk';

  constructor(private readonly root: string) {}

  private pathOf(id: string): string | null {
    const parsed = parseBlobId(id);
    if (!parsed) return null;
    return join(this.root, parsed.hash.slice(0, 2), parsed.hash.slice(2, 4), id);
  }

  async put(data: Buffer, contentType: string, owner?: string): Promise<BlobInfo> {
    const id = blobIdFor(data, contentType, owner);
    const path = this.pathOf(id) as string;
    const info = { id, contentType, bytes: data.length };
    try {
      await stat(path);
      return info;
    } catch {
      // Not there yet: write to a temporary name, then rename, so readers never see half a file.
    }
    const dir = join(path, '..');
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${randomUUID()}.tmp`);
    await writeFile(temp, data);
    await rename(temp, path);
    return info;
  }

  async get(id: string): Promise<Buffer | null> {
    const path = this.pathOf(id);
    if (!path) return null;
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async open(id: string): Promise<{ stream: ReturnType<typeof createReadStream>; bytes: number; contentType: string } | null> {
    const path = this.pathOf(id);
    const parsed = parseBlobId(id);
    if (!path || !parsed) return null;
    try {
      const info = await stat(path);
      return { stream: createReadStream(path), bytes: info.size, contentType: parsed.contentType };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    const path = this.pathOf(id);
    if (path) await rm(path, { force: true });
  }
}
