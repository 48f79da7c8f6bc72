/** GET /sdk/client.tgz: the client package the server was built with, cacheable by its ETag; 503 until built. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { DEFAULT_CLIENT_PACKAGE, sdkRoutes } from '../../src/http/sdk.js';

describe('GET /sdk/client.tgz', () => {
  it('serves the built package, and 304 for the ETag it gave', { skip: existsSync(DEFAULT_CLIENT_PACKAGE) ? false : 'not built (npm run build:client)' }, async () => {
    const app = Fastify();
    await app.register(sdkRoutes, {});
    try {
      const first = await app.inject({ method: 'GET', url: '/sdk/client.tgz' });
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers['content-type'], 'application/gzip');
      // A tar's first header holds the first file's name: npm packs under package/.
      const tar = gunzipSync(first.rawPayload);
      assert.match(tar.subarray(0, 100).toString('latin1'), /^package\//);
      assert.match(tar.toString('latin1'), /"name": "@qwen-image-gateway\/client"/);
      const again = await app.inject({ method: 'GET', url: '/sdk/client.tgz', headers: { 'if-none-match': String(first.headers.etag) } });
      assert.equal(again.statusCode, 304);
    } finally {
      await app.close();
    }
  });

  it('answers 503 saying how to build it when it is not built', async () => {
    const app = Fastify();
    await app.register(sdkRoutes, { path: '/nonexistent/client.tgz' });
    try {
      const answer = await app.inject({ method: 'GET', url: '/sdk/client.tgz' });
      assert.equal(answer.statusCode, 503);
      assert.match(answer.body, /npm run build/);
    } finally {
      await app.close();
    }
  });
});
