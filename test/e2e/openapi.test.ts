/**
 * GET /openapi.json against the real server: a valid OpenAPI 3.1 document (@readme/openapi-parser),
 * describing every route the server registers and nothing else, whose examples match their schemas
 * and whose request examples the server accepts (their example image URLs served from 127.0.0.1;
 * a scripted engine stands in for a generative upstream, since the vendors' examples ask for edits
 * the local engine declines), each answer matching the document too.
 *
 * What counts as public: every route fastify registers, except HEAD (fastify's twin of each GET),
 * the web pages' aliases and hashed assets, and the docs page's own files (UNDOCUMENTED below).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validate } from '@readme/openapi-parser';
import type { RouteOptions } from 'fastify';
import FindMyWay from 'find-my-way';
import { parseFalPath, resolveFalEndpoint } from '../../src/dialects/fal/endpoints.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';
import { gradientImage } from '../helpers/images.js';
import { OpenApiReader, type OpenApiDocument } from '../helpers/openapi.js';

const ADMIN = 'admin-secret-for-openapi';

/** Registered but not API: why each is left out of the document. */
const UNDOCUMENTED: ReadonlyArray<{ url: string; why: string }> = [
  { url: '/index.html', why: 'alias of /' },
  { url: '/account/', why: 'alias of /account' },
  { url: '/admin/', why: 'alias of /admin' },
  { url: '/assets/*', why: "the web pages' hashed static files" },
  { url: '/docs/', why: 'alias of /docs' },
  { url: '/docs/static/*', why: "the docs page's static files" },
  { url: '/docs/static/index.html', why: "the docs page's redirect to itself" },
  { url: '/docs/static/swagger-initializer.js', why: "the docs page's script" },
  { url: '/docs/json', why: 'the document again, where the docs page reads it' },
  { url: '/docs/yaml', why: 'the document again, as YAML' },
];

let gw: TestGateway;
let images: ImageServer;
let reader: OpenApiReader;
const routes: Array<{ method: string; url: string }> = [];

describe('OpenAPI document', { timeout: 300_000 }, () => {
  before(async () => {
    images = await startImageServer();
    images.put('/images/input1.png', await gradientImage(640, 480));
    images.put('/images/input2.png', await gradientImage(512, 512));
    images.put('/images/input3.png', await gradientImage(480, 640));
    gw = await startTestGateway({
      env: { QIG_ADMIN_TOKEN: ADMIN },
      engines: new Map([['scripted', createScriptedEngine()]]),
      config: { engines: { scripted: { type: 'local' } }, routes: { '*': ['scripted'] }, fetch: { allowHosts: [images.hostPort] } },
      onRoute: (route: RouteOptions) => {
        for (const method of [route.method].flat()) routes.push({ method, url: route.url });
      },
    });
    const response = await fetch(`${gw.url}/openapi.json`);
    assert.equal(response.status, 200);
    reader = new OpenApiReader((await response.json()) as OpenApiDocument);
  });

  after(async () => {
    await gw?.close();
    await images?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal((reader.doc as unknown as { openapi: string }).openapi, '3.1.0');
    const result = await validate(structuredClone(reader.doc) as never);
    assert.deepEqual(result.valid ? [] : result.errors, []);
    assert.deepEqual(result.warnings, []);
  });

  it('describes every route the server registers, and no other', () => {
    const router = FindMyWay();
    const served = routes.filter((route) => route.method !== 'HEAD' && !UNDOCUMENTED.some((left) => left.url === route.url));
    for (const route of served) router.on(route.method as 'GET', route.url, () => undefined, { url: route.url });
    const covered = new Set<string>();
    for (const { method, path, operation } of reader.operations()) {
      const concrete = path.replace(/\{(\w+)\}/g, (_match, name: string) => `sample-${name}`);
      const found = router.find(method.toUpperCase() as 'GET', concrete);
      assert.ok(found, `${method.toUpperCase()} ${path} (${operation.operationId}) is documented but no route serves it`);
      covered.add(`${method.toUpperCase()} ${(found.store as { url: string }).url}`);
      // The fal routes are wildcards: a documented path must also be one they answer.
      const fal = /^\/fal(-run)?\/(.+)$/.exec(path);
      if (fal?.[2] && fal[2] !== 'proxy') {
        const operationOfPath = parseFalPath(fal[2].replace('{model}', 'qwen-image'));
        assert.ok(operationOfPath, `${path} is no fal path`);
        if (operationOfPath.kind === 'submit') assert.ok(resolveFalEndpoint(operationOfPath.endpoint), `${path}: no such fal endpoint`);
      }
    }
    const missing = served.map((route) => `${route.method} ${route.url}`).filter((route) => !covered.has(route));
    assert.deepEqual(missing, [], 'registered routes missing from the document');
    // Every route left out still exists: the list cannot go stale.
    for (const { url } of UNDOCUMENTED) assert.ok(routes.some((route) => route.url === url), `${url} is no longer registered`);
  });

  it('has examples that match their schemas', () => {
    let count = 0;
    for (const { method, path, operation } of reader.operations()) {
      for (const [type, content] of Object.entries(operation.requestBody?.content ?? {})) {
        for (const [name, example] of Object.entries(content.examples ?? {})) {
          reader.assertValid(`#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/requestBody/content/${type.replace(/\//g, '~1')}/schema`, example.value, `${operation.operationId} request example ${name}`);
          count += 1;
        }
      }
      for (const status of Object.keys(operation.responses)) {
        const found = reader.response(method, path, status);
        for (const [type, content] of Object.entries(found?.response.content ?? {})) {
          for (const [name, example] of Object.entries(content.examples ?? {})) {
            reader.assertValid(found?.pointer(type) as string, example.value, `${operation.operationId} ${status} example ${name}`);
            count += 1;
          }
        }
      }
    }
    assert.ok(count > 100, `only ${count} examples`);
  });

  it('has request examples the server accepts, answered as documented', async () => {
    const keyId = await createKey();
    const values: Record<string, string> = { endpoint: 'qwen_image_edit_plus', id: keyId, model: 'qwen-image' };
    let sent = 0;
    for (const { method, path, operation } of reader.operations()) {
      const content = operation.requestBody?.content['application/json'];
      for (const [name, example] of Object.entries(content?.examples ?? {})) {
        const url = path.replace(/\{(\w+)\}/g, (_match, param: string) => values[param] ?? param);
        const body = JSON.stringify(example.value).replaceAll('https://example.com/images/', images.url('/images/'));
        const response = await fetch(`${gw.url}${url}`, { method: method.toUpperCase(), headers: { 'content-type': 'application/json', authorization: authorizationFor(operation.security) }, body });
        const answer: unknown = await response.json();
        assert.ok(response.status >= 200 && response.status < 300, `${operation.operationId} example ${name}: ${response.status} ${JSON.stringify(answer).slice(0, 400)}`);
        reader.assertAnswer(method, path, response.status, answer);
        sent += 1;
      }
    }
    assert.ok(sent >= 12, `only ${sent} request examples`);
  });
});

function authorizationFor(security: Array<Record<string, string[]>>): string {
  const scheme = Object.keys(security[0] ?? {})[0];
  if (scheme === 'adminToken') return `Bearer ${ADMIN}`;
  return scheme === 'falKey' ? `Key ${gw.key}` : `Bearer ${gw.key}`;
}

async function createKey(): Promise<string> {
  const response = await fetch(`${gw.url}/admin/v1/keys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ name: 'openapi-test', balance: '1.00' }) });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}
