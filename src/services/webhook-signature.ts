/**
 * Webhook signatures: `x-qig-webhook-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 * with the Unix-seconds timestamp in `x-qig-webhook-timestamp`. Receivers verify with
 * `verifyWebhookSignature` (or the recipe in docs/queues.md) and refuse old timestamps.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-qig-webhook-timestamp';
export const SIGNATURE_HEADER = 'x-qig-webhook-signature';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface VerifyOptions {
  /** Seconds a signature stays acceptable (replay window); default 300. */
  toleranceSeconds?: number;
  nowSeconds?: number;
}

/** True when the signature header holds a v1 signature of this body and a recent timestamp. */
export function verifyWebhookSignature(secret: string, body: string, timestampHeader: string | undefined, signatureHeader: string | undefined, options: VerifyOptions = {}): boolean {
  if (!timestampHeader || !signatureHeader || !/^\d+$/.test(timestampHeader)) return false;
  const timestamp = Number(timestampHeader);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signatureHeader.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
