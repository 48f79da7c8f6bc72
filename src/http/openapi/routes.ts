/**
 * GET /openapi.json, built once from the route plugins' descriptions, and GET /docs: Swagger UI
 * (served from @fastify/swagger-ui's own copy, no CDN) on that document, under the web pages'
 * Content-Security-Policy. The UI also serves the document at /docs/json and /docs/yaml.
 */
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { WEB_CSP } from '../web.js';
import { buildOpenApiDocument } from './document.js';
import { TAGS, apiOperations } from './operations.js';

/** The server's version, from package.json (two levels above src/http/openapi and dist/http/openapi alike). */
function packageVersion(): string {
  const manifest: unknown = createRequire(import.meta.url)('../../../package.json');
  return typeof manifest === 'object' && manifest !== null && 'version' in manifest && typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

export function openApiDocument(): Record<string, unknown> {
  return buildOpenApiDocument(apiOperations(), { version: packageVersion(), tags: TAGS });
}

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  const document = openApiDocument();
  const body = JSON.stringify(document);
  app.get('/openapi.json', (_request, reply) => {
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').header('access-control-allow-origin', '*').send(body);
  });

  // @fastify/swagger in static mode only hands the document to the UI plugin (which requires it).
  // @ts-expect-error -- its types take OpenAPI 2 and 3.0 documents; it hands a 3.1 one to the UI as given.
  await app.register(swagger, { mode: 'static', specification: { document } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The web pages' policy: the UI's scripts and styles are files of its own. Its default layout's
    // top bar draws Swagger's logo, an SVG with an inline <style> the policy refuses; the base
    // layout has no top bar (nor its box for loading another document), so nothing is refused.
    staticCSP: WEB_CSP,
    uiConfig: { layout: 'BaseLayout', docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0, displayRequestDuration: true },
    theme: { title: 'qwen-image-gateway API' },
  });
}
