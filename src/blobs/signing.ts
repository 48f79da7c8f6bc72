/**
 * Signed, expiring file URLs: /files/{id}?exp={unix seconds}&sig={HMAC-SHA256(id.exp)}.
 * The same blob and expiry always give the same URL, so re-reading a task does not change it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LruCache } from '../lib/lru.js';

export type SignatureCheck = 'ok' | 'bad-signature' | 'expired';

export class UrlSigner {
  private publicUrl = '';

  constructor(
    private readonly secret: string,
    publicUrl: string,
  ) {
    this.rebase(publicUrl);
  }

  /** Sets the base URL once the real listening port is known (port 0 at start). */
  rebase(publicUrl: string): void {
    this.publicUrl = publicUrl.replace(/\/+$/, '');
  }

  get base(): string {
    return this.publicUrl;
  }

  /** Signatures are deterministic; reads of finished tasks sign the same pairs again and again. */
  private readonly signatures = new LruCache<string, string>(20_000);

  private signature(id: string, exp: number): string {
    const message = `${id}.${exp}`;
    let signature = this.signatures.get(message);
    if (signature === undefined) {
      signature = createHmac('sha256', this.secret).update(message).digest('base64url');
      this.signatures.set(message, signature);
    }
    return signature;
  }

  /** An absolute URL for the blob, valid until `expiresAt` (epoch ms). */
  fileUrl(id: string, expiresAt: number): string {
    const exp = Math.floor(expiresAt / 1000);
    return `${this.publicUrl}/files/${id}?exp=${exp}&sig=${this.signature(id, exp)}`;
  }

  check(id: string, exp: string | undefined, sig: string | undefined, now: number): SignatureCheck {
    if (exp === undefined || sig === undefined || !/^\d{1,12}$/.test(exp)) return 'bad-signature';
    const expected = Buffer.from(this.signature(id, Number(exp)));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad-signature';
    return Number(exp) * 1000 <= now ? 'expired' : 'ok';
  }
}
