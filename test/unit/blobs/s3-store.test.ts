/**
 * S3 storage: presigned URLs identical to the AWS SDK's, the S3 settings in the config, and a
 * gateway keeping its blobs in S3 (a test s3rver on loopback) serving outputs through our signed
 * URLs or presigned S3 URLs.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3Presigner, type PresignTarget, type S3Credentials } from '../../../src/blobs/s3-presign.js';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { createScriptedEngine } from '../../fakes/scripted-engine.js';
import { startTestGateway } from '../../helpers/gateway.js';
import { startTestS3, testS3Store, type TestS3 } from '../../helpers/s3.js';
import { tempDir } from '../../helpers/stores.js';

async function sdkUrl(target: PresignTarget, credentials: S3Credentials, key: string, signedAt: Date, expiresIn: number): Promise<string> {
  const client = new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    return await getSignedUrl(client, new GetObjectCommand({ Bucket: target.bucket, Key: key }), { expiresIn, signingDate: signedAt });
  } finally {
    client.destroy();
  }
}

describe('S3 presigned URLs', () => {
  const cases: Array<{ name: string; target: PresignTarget; credentials: S3Credentials; key: string }> = [
    {
      name: 'path style on a custom endpoint',
      target: { endpoint: 'http://127.0.0.1:9000', bucket: 'qig', region: 'us-east-1', forcePathStyle: true },
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      key: `blobs/${'a'.repeat(64)}.png`,
    },
    {
      name: 'virtual host on AWS, temporary credentials',
      target: { endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'my-images', region: 'eu-central-1', forcePathStyle: false },
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/with+chars', sessionToken: 'FwoGZXIvYXdzE//token+with/=chars' },
      key: `${'b'.repeat(64)}.webp`,
    },
    {
      name: 'an endpoint with a path and a key needing escapes',
      target: { endpoint: 'https://storage.example.com/s3', bucket: 'bucket.with.dots', region: 'auto', forcePathStyle: true },
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
      key: "odd prefix/(x)*!'/c.png",
    },
  ];
  for (const { name, target, credentials, key } of cases) {
    it(`matches @aws-sdk/s3-request-presigner byte for byte: ${name}`, async () => {
      const signedAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
      for (const expiresIn of [60, 3600, 604800]) {
        assert.equal(new S3Presigner(target).presignGet(key, credentials, signedAt, expiresIn), await sdkUrl(target, credentials, key, signedAt, expiresIn));
      }
    });
  }

  it('refuses validities SigV4 does not allow', () => {
    const presigner = new S3Presigner(cases[0]!.target);
    assert.throws(() => presigner.presignGet('k', cases[0]!.credentials, new Date(), 604801), RangeError);
    assert.throws(() => presigner.presignGet('k', cases[0]!.credentials, new Date(), 0), RangeError);
  });
});

describe('S3 settings', () => {
  const dir = tempDir();
  after(() => dir.remove());
  const env = { QIG_S3_BUCKET: 'qig-blobs', QIG_S3_ENDPOINT: 'http://127.0.0.1:9000/', AWS_ACCESS_KEY_ID: 'ak', AWS_SECRET_ACCESS_KEY: 'sk' };

  it('reads QIG_S3_* and the AWS keys; path style follows the endpoint', () => {
    assert.equal(loadConfig({}, dir.path).s3, null);
    assert.deepEqual(loadConfig(env, dir.path).s3, {
      bucket: 'qig-blobs',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      prefix: '',
      forcePathStyle: true,
      credentials: { accessKeyId: 'ak', secretAccessKey: 'sk' },
    });
    const aws = loadConfig({ QIG_S3_BUCKET: 'qig-blobs', QIG_S3_REGION: 'eu-west-1' }, dir.path).s3;
    assert.deepEqual([aws?.endpoint, aws?.region, aws?.forcePathStyle, aws?.credentials], [null, 'eu-west-1', false, null]);
    assert.deepEqual(loadConfig(env, dir.path).notices, []);
    assert.match(loadConfig({ QIG_S3_ENDPOINT: 'http://127.0.0.1:9000' }, dir.path).notices.join('\n'), /QIG_S3_ENDPOINT is set but ignored: it needs QIG_S3_BUCKET/);
  });

  it('names the variable or key that is wrong', () => {
    const fails = (extra: Record<string, string>, pattern: RegExp) =>
      assert.throws(() => loadConfig(extra, dir.path), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
    fails({ QIG_S3_BUCKET: 'No_Such' }, /QIG_S3_BUCKET: must be a bucket name/);
    fails({ ...env, QIG_S3_ENDPOINT: 'ftp://x' }, /QIG_S3_ENDPOINT: must be an http\(s\) URL/);
    fails({ QIG_S3_BUCKET: 'qig-blobs', AWS_ACCESS_KEY_ID: 'ak' }, /set both, or neither/);
    fails({ QIG_REDIS_PREFIX: 'has space' }, /QIG_REDIS_PREFIX: must be/);
    const presigned = join(dir.path, 'presigned.json');
    writeFileSync(presigned, JSON.stringify({ files: { serve: 'presigned' } }));
    fails({ QIG_CONFIG: presigned }, /files.serve: "presigned" needs S3 blob storage/);
    writeFileSync(presigned, JSON.stringify({ files: { serve: 'presigned', urlTtlSeconds: 8 * 86400 } }));
    fails({ ...env, QIG_CONFIG: presigned }, /presigned S3 URLs last at most 604800 s/);
  });
});

describe('a gateway on S3', () => {
  let s3: TestS3;
  before(async () => {
    s3 = await startTestS3();
  });
  after(() => s3.close());

  async function generate(serve: 'signed' | 'presigned') {
    const engine = createScriptedEngine();
    const server = await startTestGateway({
      env: s3.env,
      engines: new Map([[engine.name, engine]]),
      config: { engines: { [engine.name]: { type: 'local' } }, routes: { '*': [engine.name] }, files: { serve, urlTtlSeconds: 3600 } },
    });
    try {
      const response = await fetch(`${server.url}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen-image-2.0-pro', prompt: 'a lighthouse', size: '512x512', n: 2 }),
      });
      assert.equal(response.status, 200);
      const urls = ((await response.json()) as { data: Array<{ url: string }> }).data.map((d) => d.url);
      const images = await Promise.all(urls.map(async (url) => {
        const image = await fetch(url);
        assert.equal(image.status, 200, url);
        return Buffer.from(await image.arrayBuffer());
      }));
      return { urls, images, server };
    } finally {
      await server.close();
    }
  }

  it('keeps outputs in the bucket and serves them at our signed /files URLs', async () => {
    const { urls, images } = await generate('signed');
    const store = testS3Store(s3);
    for (const [i, url] of urls.entries()) {
      const id = /\/files\/([0-9a-f]{64}\.png)\?/.exec(url)?.[1];
      assert.ok(id, url);
      assert.ok(url.startsWith('http://127.0.0.1:'));
      assert.deepEqual(await store.get(id), images[i]);
    }
    await store.close();
  });

  it('hands out presigned S3 URLs with the same expiry when files.serve is "presigned"', async () => {
    const { urls, images } = await generate('presigned');
    for (const [i, url] of urls.entries()) {
      const parsed = new URL(url);
      assert.equal(parsed.origin, s3.endpoint);
      assert.match(parsed.pathname, new RegExp(`^/${s3.bucket}/[0-9a-f]{64}\\.png$`));
      const expires = Date.parse(parsed.searchParams.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) + Number(parsed.searchParams.get('X-Amz-Expires')) * 1000;
      // Valid for files.urlTtlSeconds from the read, rounded up to a step of a quarter of it.
      const fromNow = expires - Date.now();
      assert.ok(fromNow > 3_600_000 - 60_000 && fromNow <= 3_600_000 + 900_000, `valid for files.urlTtlSeconds from the read (${fromNow} ms)`);
      assert.equal(images[i]?.subarray(1, 4).toString(), 'PNG');
    }
  });
});
