/**
 * Presigned S3 GET URLs (AWS Signature Version 4, query string), computed synchronously: output
 * URLs are made while rendering an answer, where the SDK's asynchronous presigner cannot run.
 * The URLs are those @aws-sdk/s3-request-presigner makes for a GetObjectCommand, byte for byte.
 */
import { createHash, createHmac } from 'node:crypto';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PresignTarget {
  /** Scheme and host (with port) of the S3 endpoint, e.g. "https://s3.eu-west-1.amazonaws.com". */
  endpoint: string;
  bucket: string;
  region: string;
  /** Bucket in the path (most S3-compatible servers) rather than in the host name (AWS). */
  forcePathStyle: boolean;
}

/** The longest validity SigV4 allows. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** "20231114T221320Z" */
function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export class S3Presigner {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly target: PresignTarget) {}

  /** The URL and the Host header value a request to `key` uses. */
  private location(key: string): { base: string; host: string; path: string } {
    const endpoint = new URL(this.target.endpoint);
    const encodedKey = key.split('/').map(rfc3986).join('/');
    if (this.target.forcePathStyle) {
      const path = `${endpoint.pathname.replace(/\/+$/, '')}/${rfc3986(this.target.bucket)}/${encodedKey}`;
      return { base: `${endpoint.protocol}//${endpoint.host}`, host: endpoint.host, path };
    }
    const host = `${this.target.bucket}.${endpoint.host}`;
    return { base: `${endpoint.protocol}//${host}`, host, path: `${endpoint.pathname.replace(/\/+$/, '')}/${encodedKey}` };
  }

  /** The day's signing key, derived once per day and secret. */
  private signingKey(secret: string, day: string): Buffer {
    const cacheKey = `${day}:${createHash('sha256').update(secret).digest('hex')}`;
    let key = this.keys.get(cacheKey);
    if (!key) {
      key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.target.region), 's3'), 'aws4_request');
      if (this.keys.size > 16) this.keys.clear();
      this.keys.set(cacheKey, key);
    }
    return key;
  }

  /** A GET URL for `key`, signed at `signedAt` and valid for `expiresSeconds` from then. */
  presignGet(key: string, credentials: S3Credentials, signedAt: Date, expiresSeconds: number): string {
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`presigned URLs last 1 s to 7 days (asked ${expiresSeconds} s)`);
    }
    const { base, host, path } = this.location(key);
    const stamp = amzDate(signedAt);
    const day = stamp.slice(0, 8);
    const scope = `${day}/${this.target.region}/s3/aws4_request`;
    const params: Array<[string, string]> = [
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'],
      ['X-Amz-Credential', `${credentials.accessKeyId}/${scope}`],
      ['X-Amz-Date', stamp],
      ['X-Amz-Expires', String(expiresSeconds)],
      ['X-Amz-SignedHeaders', 'host'],
      ['x-id', 'GetObject'],
    ];
    if (credentials.sessionToken) params.push(['X-Amz-Security-Token', credentials.sessionToken]);
    const query = params
      .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
      .sort()
      .join('&');
    const canonicalRequest = ['GET', path, query, `host:${host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
    const signature = createHmac('sha256', this.signingKey(credentials.secretAccessKey, day)).update(stringToSign).digest('hex');
    // The signature sorts between X-Amz-Security-Token and X-Amz-SignedHeaders, as the SDK places it.
    const signed = `${query}&X-Amz-Signature=${signature}`.split('&').sort().join('&');
    return `${base}${path}?${signed}`;
  }
}
