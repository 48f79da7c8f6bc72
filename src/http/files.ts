/** GET /files/{id}?exp=…&sig=… — images at signed, expiring URLs. 403 on a bad signature, 410 once expired. */
import type { FastifyInstance } from 'fastify';
import type { BlobStore } from '../blobs/blob-store.js';
import { parseBlobId } from '../blobs/blob-store.js';
import type { UrlSigner } from '../blobs/signing.js';
import type { Clock } from '../lib/clock.js';

export async function fileRoutes(app: FastifyInstance, deps: { blobs: BlobStore; signer: UrlSigner; clock: Clock }): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { exp?: string; sig?: string } }>('/files/:id', async (request, reply) => {
    const { id } = request.params;
    // The plain shape of paths outside the dialects: {error: {code, message, field}, request_id}.
    const fail = (status: number, code: string, message: string) => reply.code(status).send({ error: { code, message, field: null }, request_id: request.id });
    if (!parseBlobId(id)) return fail(404, 'NotFound', 'No such file.');
    const check = deps.signer.check(id, request.query.exp, request.query.sig, deps.clock.now());
    if (check === 'bad-signature') return fail(403, 'Forbidden', 'The signature of this file URL is missing or wrong.');
    if (check === 'expired') {
      const at = new Date(Number(request.query.exp) * 1000).toISOString();
      return fail(410, 'Expired', `This file URL expired at ${at}. Reading the task again gives a fresh URL while its images are kept (files.retentionDays after the task ended); after that they are deleted.`);
    }
    const file = await deps.blobs.open(id);
    if (!file) return fail(410, 'Gone', 'This image is no longer kept: images are deleted files.retentionDays after their task ended.');
    const remaining = Math.max(0, Number(request.query.exp) - Math.floor(deps.clock.now() / 1000));
    return reply
      .header('content-type', file.contentType)
      .header('content-length', String(file.bytes))
      .header('cache-control', `private, max-age=${remaining}, immutable`)
      .header('etag', `"${id.slice(0, 64)}"`)
      .header('x-content-type-options', 'nosniff')
      .send(file.stream);
  });
}
