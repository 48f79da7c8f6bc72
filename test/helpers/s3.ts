/** An S3-compatible server for tests: s3rver (npm) on 127.0.0.1 port 0, storing in a temp dir. */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { S3BlobStore, type S3Settings } from '../../src/blobs/s3-store.js';
import { tempDir } from './stores.js';

interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: Array<{ name: string }>;
}) => S3rverServer;

// s3rver is CommonJS and ships no types.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  bucket: string;
  settings: S3Settings;
  /** The environment that points a gateway at this server. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestS3(bucket = 'qig-test'): Promise<TestS3> {
  const dir = tempDir('qig-s3-');
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir.path, silent: true, configureBuckets: [{ name: bucket }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    settings: { bucket, endpoint, region: 'us-east-1', prefix: '', forcePathStyle: true, credentials: S3RVER_CREDENTIALS },
    env: {
      QIG_S3_BUCKET: bucket,
      QIG_S3_ENDPOINT: endpoint,
      QIG_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    async close() {
      await server.close();
      dir.remove();
    },
  };
}

/** A blob store on the test server, under its own key prefix. */
export function testS3Store(s3: TestS3, prefix = ''): S3BlobStore {
  return new S3BlobStore({ ...s3.settings, prefix });
}
