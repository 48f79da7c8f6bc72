/**
 * `GET /sdk/client.tgz`: the typed TypeScript client (packages/client) as the npm package this
 * server was built with, so `npm install <server>/sdk/client.tgz` gets a client that matches it.
 * Made by `npm run build` (packages/client/pack.mjs) into dist/sdk/; read once, when first asked.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** dist/sdk/client.tgz beside src/ and dist/ alike: this module sits two levels below the project root. */
export const DEFAULT_CLIENT_PACKAGE = fileURLToPath(new URL('../../dist/sdk/client.tgz', import.meta.url));

export async function sdkRoutes(app: FastifyInstance, options: { path?: string | undefined }): Promise<void> {
  const path = options.path ?? DEFAULT_CLIENT_PACKAGE;
  let tarball: { bytes: Buffer; etag: string } | null = null;
  app.get('/sdk/client.tgz', (request, reply) => {
    try {
      if (tarball === null) {
        const bytes = readFileSync(path);
        tarball = { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 32)}"` };
      }
    } catch {
      return reply
        .code(503)
        .header('retry-after', '10')
        .type('text/plain; charset=utf-8')
        .send('The client package is not built on this server: run `npm run build` in its directory.\n');
    }
    reply.header('etag', tarball.etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === tarball.etag) return reply.code(304).send();
    return reply.type('application/gzip').header('content-disposition', 'attachment; filename="qwen-image-gateway-client.tgz"').send(tarball.bytes);
  });
}
