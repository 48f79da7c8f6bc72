/**
 * Serves the built web pages (web/dist, made by `npm run build:web`): the playground at `/`, the
 * admin console at `/admin`, the self-service account page at `/account`, hashed assets under
 * `/assets/` with a year-long cache. The files are read (and gzipped) once; while the build is
 * missing the pages answer 503 saying how to make it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clip } from '../domain/bounded-text.js';
import { AppError } from '../domain/errors.js';

/** web/dist beside src/ and dist/ alike: this module sits two levels below the project root. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.map']);

/** The web pages' Content-Security-Policy; the API reference at /docs is served under it too. */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Inputs may be URLs anywhere, and outputs live at the public URL (or an upstream's, in passthrough).
  "img-src 'self' data: blob: http: https:",
  "connect-src 'self' http: https:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

/** The built pages, each web/dist/<name>.html; a build missing any of them counts as no build. */
const PAGES = ['index', 'admin', 'account'] as const;
type PageName = (typeof PAGES)[number];

interface Site {
  pages: Map<PageName, StaticFile>;
  assets: Map<string, StaticFile>;
}

function readStatic(path: string): StaticFile {
  const body = readFileSync(path);
  const ext = extname(path);
  const gzip = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : null;
  return { body, gzip, type: TYPES[ext] ?? 'application/octet-stream' };
}

function loadSite(dir: string): Site | null {
  const paths = PAGES.map((name) => [name, join(dir, `${name}.html`)] as const);
  if (paths.some(([, path]) => !existsSync(path))) return null;
  const assets = new Map<string, StaticFile>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const path = join(assetDir, name);
      if (statSync(path).isFile()) assets.set(name, readStatic(path));
    }
  }
  return { pages: new Map(paths.map(([name, path]) => [name, readStatic(path)])), assets };
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile, cacheControl: string): FastifyReply {
  reply.header('content-type', file.type).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff');
  if (file.gzip) {
    reply.header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}

function notBuilt(dir: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Web console not built</title>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The web console is not built yet</h1>
<p>The gateway's API works; only the playground, admin and account pages are missing from <code>${dir}</code>.</p>
<p>Run <code>npm run build</code> (or <code>npm run build:web</code>) in the project directory and reload this page.</p>`;
}

export async function webRoutes(app: FastifyInstance, options: { dir?: string | undefined }): Promise<void> {
  const dir = options.dir ?? DEFAULT_WEB_DIR;
  let site = loadSite(dir);
  // A build made after the start is picked up by the next page request.
  const current = () => (site ??= loadSite(dir));

  const page = (name: PageName) => (request: FastifyRequest, reply: FastifyReply) => {
    const file = current()?.pages.get(name);
    if (!file) return reply.code(503).type('text/html; charset=utf-8').header('retry-after', '10').send(notBuilt(dir));
    reply.header('content-security-policy', WEB_CSP).header('referrer-policy', 'no-referrer');
    return send(request, reply, file, 'no-cache');
  };

  app.get('/', page('index'));
  app.get('/index.html', page('index'));
  app.get('/admin', page('admin'));
  app.get('/admin/', page('admin'));
  app.get('/account', page('account'));
  app.get('/account/', page('account'));

  app.get<{ Params: { '*': string } }>('/assets/*', (request, reply) => {
    const file = current()?.assets.get(request.params['*']);
    if (!file) throw new AppError('not_found', `No asset ${clip(request.params['*'], 120)}.`);
    return send(request, reply, file, 'public, max-age=31536000, immutable');
  });
}
