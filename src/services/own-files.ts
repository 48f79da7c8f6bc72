/**
 * An input URL that is one of this server's own signed file URLs (an earlier task's result) is
 * read from the blob store instead of fetched: the URL guard refuses this server's own loopback
 * address, and a round trip through HTTP would be waste. The signature and expiry are checked
 * exactly as `GET /files/{id}` checks them, so the URL grants nothing it would not grant there.
 */
import { parseBlobId, type BlobStore } from '../blobs/blob-store.js';
import type { UrlSigner } from '../blobs/signing.js';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';

/** The image behind one of this server's file URLs; null for any other URL. */
export type OwnFileReader = (url: string, field: string) => Promise<Buffer | null>;

export const NO_OWN_FILES: OwnFileReader = () => Promise.resolve(null);

export function ownFileReader(signer: UrlSigner, blobs: BlobStore, clock: Clock): OwnFileReader {
  return async (text, field) => {
    const prefix = `${signer.base}/files/`;
    if (signer.base === '' || !text.startsWith(prefix)) return null;
    const url = new URL(text);
    const id = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const refuse = (why: string) => new AppError('invalid_url', `${field}: ${why}`, { field });
    if (!parseBlobId(id)) throw refuse('no such file on this server.');
    const check = signer.check(id, url.searchParams.get('exp') ?? undefined, url.searchParams.get('sig') ?? undefined, clock.now());
    if (check === 'bad-signature') throw refuse('the signature of this file URL is missing or wrong.');
    if (check === 'expired') throw refuse('this file URL expired; reading its task again gives a fresh one.');
    const bytes = await blobs.get(id);
    if (!bytes) throw refuse('this image is no longer kept (images are deleted files.retentionDays after their task ended).');
    return bytes;
  };
}
