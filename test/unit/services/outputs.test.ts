/**
 * Keeping outputs through a storage outage: the image is made (and paid for upstream), so a put
 * the storage refuses for a while is tried again with backoff until a deadline, and only a
 * failure of the storage is; a bug fails at once, and a cancel stops the waiting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlobInfo, BlobStore } from '../../../src/blobs/blob-store.js';
import { AppError } from '../../../src/domain/errors.js';
import type { TaskSpec } from '../../../src/domain/task.js';
import type { SafeFetch } from '../../../src/lib/safe-fetch.js';
import { BlobOutputWriter } from '../../../src/services/outputs.js';
import { solidImage } from '../../helpers/images.js';

const spec = { prompt: 'p', negativePrompt: null, n: 1, size: { width: 8, height: 8 }, sizeSource: 'request', seed: 1, promptExtend: false, watermark: false, outputFormat: 'png' } as TaskSpec;
const storageDown = () => Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError', $fault: 'server' });
const noFetch = (async () => assert.fail('no download expected')) as unknown as SafeFetch;

function flakyStore(failures: () => Error | null): BlobStore & { puts: number } {
  const store = {
    driver: 'flaky',
    puts: 0,
    async put(data: Buffer, contentType: string): Promise<BlobInfo> {
      store.puts += 1;
      const failure = failures();
      if (failure) throw failure;
      return { id: `b${store.puts}`, contentType, bytes: data.length };
    },
    get: async () => null,
    open: async () => null,
    delete: async () => {},
  };
  return store;
}

const write = async (store: BlobStore, deadlineMs: number, signal = new AbortController().signal) =>
  new BlobOutputWriter(store, noFetch, 1_000, deadlineMs).write({ kind: 'encoded', data: await solidImage(8, 8, [1, 2, 3]), contentType: 'image/png' }, { owner: 't', spec, watermark: false, seed: 1, signal });

describe('output writer', () => {
  it('retries a put while the storage is unavailable, and keeps the image once it is back', async () => {
    let failing = 2;
    const store = flakyStore(() => (failing-- > 0 ? storageDown() : null));
    const output = await write(store, 10_000);
    assert.equal(store.puts, 3);
    assert.equal(output.blobId, 'b3');
  });

  it('gives up past its deadline as unavailable', async () => {
    const store = flakyStore(storageDown);
    await assert.rejects(write(store, 1_500), (error: unknown) => error instanceof AppError && error.kind === 'unavailable' && error.retryable);
    assert.ok(store.puts >= 2, 'tried more than once');
  });

  it('does not retry a failure that is not the storage being away', async () => {
    const store = flakyStore(() => new TypeError('a bug'));
    await assert.rejects(write(store, 10_000), (error: unknown) => error instanceof AppError && error.kind === 'internal');
    assert.equal(store.puts, 1);
  });

  it('stops waiting when the task is canceled', async () => {
    const store = flakyStore(storageDown);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(write(store, 60_000, controller.signal), (error: unknown) => error instanceof AppError && error.kind === 'canceled');
  });
});
