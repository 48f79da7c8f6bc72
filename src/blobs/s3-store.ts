/**
 * Blobs in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph, …), content-addressed like the disk
 * driver: the object key is the blob id under an optional prefix. Objects are read as streams for
 * serving. With `files.serve: presigned`, output URLs are presigned S3 GET URLs instead of ours.
 */
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LruCache } from '../lib/lru.js';
import { blobIdFor, parseBlobId, type BlobInfo, type BlobStore } from './blob-store.js';
import { MAX_PRESIGN_SECONDS, S3Presigner, type S3Credentials } from './s3-presign.js';

export interface S3Settings {
  bucket: string;
  /** null: AWS S3 in `region`. */
  endpoint: string | null;
  region: string;
  /** Prepended to every object key, e.g. "qig/". */
  prefix: string;
  forcePathStyle: boolean;
  /** null: the SDK's default chain (environment, profile, instance or task role). */
  credentials: S3Credentials | null;
}

interface Resolved extends S3Credentials {
  expiration?: Date | undefined;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly driver = 's3';
  private readonly client: S3Client;
  private readonly presigner: S3Presigner;
  private readonly urls = new LruCache<string, string>(20_000);
  private credentials: Resolved | null = null;
  private refresh: NodeJS.Timeout | null = null;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      // Checksums only where S3 requires them: many S3-compatible servers reject the newer
      // flexible-checksum (aws-chunked) uploads.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // An endpoint that hangs must not hold a task or a request forever: 5 s to connect, 10 s
      // for an answer to begin, and a stream idle for 60 s is dropped. Each call is tried up to 3
      // times (the SDK retries 5xx, throttling and timeouts with backoff), then fails as
      // `unavailable`.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000, throwOnRequestTimeout: true, socketTimeout: 60_000 },
      maxAttempts: 3,
    });
    this.presigner = new S3Presigner({
      endpoint: settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`,
      bucket: settings.bucket,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
    });
  }

  private keyOf(id: string): string {
    return `${this.settings.prefix}${id}`;
  }

  async put(data: Buffer, contentType: string, owner?: string): Promise<BlobInfo> {
    const id = blobIdFor(data, contentType, owner);
    // The same id always means the same bytes, so writing it again is harmless.
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.keyOf(id),
        Body: data,
        ContentType: contentType,
        ContentLength: data.length,
        CacheControl: 'private, max-age=31536000, immutable',
      }),
    );
    return { id, contentType, bytes: data.length };
  }

  async get(id: string): Promise<Buffer | null> {
    if (!parseBlobId(id)) return null;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(id) }));
      if (!object.Body) return null;
      const bytes = await object.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async open(id: string): Promise<{ stream: Readable; bytes: number; contentType: string } | null> {
    const parsed = parseBlobId(id);
    if (!parsed) return null;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(id) }));
      if (!object.Body || object.ContentLength === undefined) return null;
      // In Node the body is the response stream itself.
      return { stream: object.Body as Readable, bytes: object.ContentLength, contentType: parsed.contentType };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    if (!parseBlobId(id)) return;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(id) }));
  }

  /** Readiness: the bucket answers. */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
  }

  /**
   * Resolves the credentials presigned URLs are signed with (needed before `presignedUrl`), and
   * keeps temporary ones fresh.
   */
  async prepareSigning(): Promise<void> {
    const resolved = this.settings.credentials ?? (await this.client.config.credentials());
    this.credentials = { ...resolved };
    if (this.refresh) clearTimeout(this.refresh);
    const expiration = 'expiration' in resolved ? resolved.expiration : undefined;
    if (expiration) {
      const inMs = Math.max(60_000, expiration.getTime() - Date.now() - 5 * 60_000);
      this.refresh = setTimeout(() => void this.prepareSigning().catch(() => {}), inMs);
      this.refresh.unref();
    }
  }

  /**
   * A presigned GET URL valid until `expiresAt` (epoch ms). It is signed as of seven days before
   * that time (the longest SigV4 allows), so the same blob and expiry always give the same URL.
   */
  presignedUrl(id: string, expiresAt: number): string {
    if (!this.credentials) throw new Error('S3 presigning used before prepareSigning()');
    const exp = Math.floor(expiresAt / 1000);
    const cacheKey = `${this.credentials.accessKeyId}:${id}.${exp}`;
    let url = this.urls.get(cacheKey);
    if (url === undefined) {
      url = this.presigner.presignGet(this.keyOf(id), this.credentials, new Date((exp - MAX_PRESIGN_SECONDS) * 1000), MAX_PRESIGN_SECONDS);
      this.urls.set(cacheKey, url);
    }
    return url;
  }

  async close(): Promise<void> {
    if (this.refresh) clearTimeout(this.refresh);
    this.client.destroy();
  }
}
