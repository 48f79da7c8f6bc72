/** The blob store contract, run on every blob driver, and the URL signer. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { text } from 'node:stream/consumers';
import { blobIdFor, parseBlobId, type BlobStore } from '../../src/blobs/blob-store.js';
import { DiskBlobStore } from '../../src/blobs/disk-store.js';
import { UrlSigner } from '../../src/blobs/signing.js';
import { startTestS3, testS3Store } from '../helpers/s3.js';
import { tempDir } from '../helpers/stores.js';

interface BlobTarget {
  name: string;
  create(): Promise<{ blobs: BlobStore; cleanup(): Promise<void> }>;
}

const targets: BlobTarget[] = [
  {
    name: 'disk',
    async create() {
      const dir = tempDir();
      return { blobs: new DiskBlobStore(dir.path), cleanup: async () => dir.remove() };
    },
  },
  {
    // s3rver on loopback, started here: the S3 driver is always tested.
    name: 's3',
    async create() {
      const s3 = await startTestS3();
      const blobs = testS3Store(s3, 'blobs/');
      return { blobs, cleanup: async () => { await blobs.close(); await s3.close(); } };
    },
  },
];

for (const target of targets) {
  describe(`blob store contract: ${target.name}`, async () => {
    const { blobs, cleanup } = await target.create();
    after(cleanup);

    it('stores content-addressed: same bytes, same id; the id names the type', async () => {
      const data = Buffer.from('hello image');
      const a = await blobs.put(data, 'image/png');
      const b = await blobs.put(Buffer.from(data), 'image/png');
      assert.equal(a.id, b.id);
      assert.equal(a.id, blobIdFor(data, 'image/png'));
      assert.match(a.id, /^[0-9a-f]{64}\.png$/);
      assert.equal(a.bytes, data.length);
      assert.deepEqual(await blobs.get(a.id), data);
    });

    it('opens a stream with size and type', async () => {
      const info = await blobs.put(Buffer.from('jpeg-ish'), 'image/jpeg');
      const file = await blobs.open(info.id);
      assert.equal(file?.contentType, 'image/jpeg');
      assert.equal(file?.bytes, 8);
      assert.equal(await text(file!.stream), 'jpeg-ish');
    });

    it('answers null for absent or malformed ids, never touching paths', async () => {
      assert.equal(await blobs.get('0'.repeat(64) + '.png'), null);
      assert.equal(await blobs.open('0'.repeat(64) + '.png'), null);
      assert.equal(await blobs.get('../../etc/passwd'), null);
      assert.equal(await blobs.open('..%2f..%2fsecret.png'), null);
      assert.equal(parseBlobId('A'.repeat(64) + '.png'), null);
    });

    it('deletes', async () => {
      const info = await blobs.put(Buffer.from('temporary'), 'image/webp');
      await blobs.delete(info.id);
      assert.equal(await blobs.get(info.id), null);
    });

    it('survives concurrent puts of the same content', async () => {
      const data = Buffer.alloc(200_000, 7);
      const results = await Promise.all(Array.from({ length: 10 }, () => blobs.put(data, 'image/png')));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.deepEqual(await blobs.get(results[0]!.id), data);
    });
  });
}

describe('URL signer', () => {
  const signer = new UrlSigner('secret-secret-secret', 'http://127.0.0.1:8080/');
  const id = 'a'.repeat(64) + '.png';

  it('signs deterministic URLs under the public URL', () => {
    const url = signer.fileUrl(id, 2_000_000_000_000);
    assert.equal(url, signer.fileUrl(id, 2_000_000_000_000));
    assert.match(url, /^http:\/\/127\.0\.0\.1:8080\/files\/a{64}\.png\?exp=2000000000&sig=[\w-]+$/);
  });

  it('checks signature and expiry', () => {
    const url = new URL(signer.fileUrl(id, 5_000_000));
    const exp = url.searchParams.get('exp') ?? undefined;
    const sig = url.searchParams.get('sig') ?? undefined;
    assert.equal(signer.check(id, exp, sig, 4_000_000), 'ok');
    assert.equal(signer.check(id, exp, sig, 5_000_000), 'expired');
    assert.equal(signer.check(id, String(Number(exp) + 1), sig, 4_000_000), 'bad-signature');
    assert.equal(signer.check('b'.repeat(64) + '.png', exp, sig, 4_000_000), 'bad-signature');
    assert.equal(signer.check(id, exp, undefined, 4_000_000), 'bad-signature');
    assert.equal(new UrlSigner('other-secret-value', 'http://x').check(id, exp, sig, 4_000_000), 'bad-signature');
  });
});
