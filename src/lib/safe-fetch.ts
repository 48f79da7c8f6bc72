/**
 * Every outbound fetch (input images, upstream results, webhooks, engine calls) goes through
 * here. Each hop is checked by the URL guard (`url-guard.ts`) and the connection pinned to the
 * address it checked through a custom `lookup`; redirects are checked the same way, bodies
 * capped while streaming, and the whole fetch has one deadline.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, ClientRequestArgs, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { LookupFunction } from 'node:net';
import { createUrlGuard, describeUrl, SafeFetchError, type CheckedTarget, type Resolver } from './url-guard.js';

export interface SafeFetchOptions {
  /** `host:port` entries let through although private, matched by URL host or resolved address. */
  allowHosts?: readonly string[] | undefined;
  /** Replaces DNS (tests). Defaults to `dns.promises.lookup(host, { all: true })`. */
  resolver?: Resolver | undefined;
  /** Redirects followed per fetch; default 3. */
  maxRedirects?: number | undefined;
  /** Default body cap in bytes; default 10 MiB. */
  maxBytes?: number | undefined;
  /** Default total time for all hops including the body; default 15 000 ms. */
  timeoutMs?: number | undefined;
  /**
   * Keep connections open for reuse: `true` for every host (only for a guard of its own, such as
   * an engine's towards its configured upstream), or the `host:port` keys (as `hostPortKey` spells
   * them) that may be pooled, asked per hop. Every pooled socket was opened through the checked
   * lookup, and is reused only for a hop whose check chose the same host, port and address.
   */
  keepAlive?: boolean | ((hostPort: string) => boolean) | undefined;
}

export interface SafeFetchRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  body?: Buffer | string | undefined;
  signal?: AbortSignal | undefined;
  maxBytes?: number | undefined;
  timeoutMs?: number | undefined;
  /** Throw `bad_status` (without downloading the body) unless the final status is 2xx. */
  requireOk?: boolean | undefined;
}

export interface SafeFetchResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  finalUrl: string;
  /** Media type from Content-Type, lower-cased and without parameters (`image/png`). */
  contentType: string | undefined;
}

export type SafeFetch = (url: string | URL, request?: SafeFetchRequest) => Promise<SafeFetchResponse>;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding'];
/** Errors of a pooled socket the server closed while it sat idle: the request never reached it. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Request options with the address the hop's check chose, which the pool keys sockets by. */
type PinnedOptions = ClientRequestArgs & { pinnedAddress?: string };

/**
 * A keep-alive agent whose pool is keyed by the checked address as well as host and port: a
 * socket opened to one address is never handed to a hop whose check chose another.
 */
class PinnedHttpAgent extends HttpAgent {
  override getName(options?: PinnedOptions): string {
    return `${super.getName(options)}:${options?.pinnedAddress ?? ''}`;
  }
}

class PinnedHttpsAgent extends HttpsAgent {
  override getName(options?: HttpsRequestOptions & PinnedOptions): string {
    return `${super.getName(options)}:${options?.pinnedAddress ?? ''}`;
  }
}

export function createSafeFetch(options: SafeFetchOptions = {}): SafeFetch {
  const guard = createUrlGuard({ allowHosts: options.allowHosts, resolver: options.resolver });
  const maxRedirects = options.maxRedirects ?? 3;
  const defaultMaxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const defaultTimeoutMs = options.timeoutMs ?? 15_000;
  const keepAlive = options.keepAlive ?? false;
  const pools = keepAlive === false ? null : (keepAlive === true ? () => true : keepAlive);
  const agents = pools === null ? null : { http: new PinnedHttpAgent({ keepAlive: true }), https: new PinnedHttpsAgent({ keepAlive: true }) };
  /** The pool for this hop, or false (a socket of its own, closed after the response). */
  const agentFor = (url: URL, target: CheckedTarget): HttpAgent | false => {
    // `url.hostname` is already canonical (WHATWG), as `hostPortKey` spells hosts.
    if (agents === null || pools === null || !pools(`${url.hostname}:${target.port}`)) return false;
    return url.protocol === 'https:' ? agents.https : agents.http;
  };

  function send(
    url: URL,
    target: CheckedTarget,
    method: string,
    headers: OutgoingHttpHeaders,
    body: Buffer | string | undefined,
    where: string,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      // Pinned to the checked address; answers both the single and the `all: true` call shapes.
      const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
        if (lookupOptions.all) callback(null, [{ address: target.address, family: target.family }]);
        else callback(null, target.address, target.family);
      };
      const auth =
        url.username === '' && url.password === ''
          ? undefined
          : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      let req: ClientRequest;
      let answered = false;
      const open = (agent: HttpAgent | false): void => {
        const requestOptions: PinnedOptions = {
          protocol: url.protocol,
          host: target.host,
          port: target.port,
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          lookup,
          // Never Node's global pool: a pooled socket skips `lookup`, so only this guard's own is used.
          agent,
          auth,
          pinnedAddress: target.address,
        };
        const current = (url.protocol === 'https:' ? httpsRequest : httpRequest)(requestOptions);
        req = current;
        current.on('response', (res) => {
          answered = true;
          signal.removeEventListener('abort', onAbort);
          resolve(res);
        });
        // `on`, not `once`: a late socket error after the response must not go unhandled.
        current.on('error', (error: NodeJS.ErrnoException) => {
          if (current !== req) return;
          // A pooled socket the server had just closed: a GET (safe to repeat: the server may
          // have read it before it hung up) goes again on a fresh connection; nothing else does.
          if (!answered && current.reusedSocket && method === 'GET' && !signal.aborted && STALE_SOCKET_CODES.has(error.code ?? '')) return open(false);
          signal.removeEventListener('abort', onAbort);
          reject(
            error instanceof SafeFetchError
              ? error
              : new SafeFetchError('network', `${where}: ${error.message}`, { cause: error }),
          );
        });
        current.end(body);
      };
      const onAbort = (): void => {
        req.destroy(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      open(agentFor(url, target));
    });
  }

  function readBody(res: IncomingMessage, maxBytes: number, where: string, signal: AbortSignal): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let settled = false;
      const finish = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) {
          resolve(Buffer.concat(chunks, total));
        } else {
          res.destroy();
          reject(error);
        }
      };
      const onAbort = (): void => finish(signal.reason as Error);
      if (signal.aborted) return finish(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) {
          finish(new SafeFetchError('too_large', `${where}: the response body exceeds the ${maxBytes}-byte limit`));
        } else {
          chunks.push(chunk);
        }
      });
      res.on('end', () => finish(undefined));
      res.on('error', (error) => finish(new SafeFetchError('network', `${where}: ${error.message}`, { cause: error })));
      res.on('close', () => {
        // 'close' follows every 'end' too; only build the error when it means something.
        if (!settled) finish(new SafeFetchError('network', `${where}: the connection closed before the body was complete`));
      });
    });
  }

  return async function safeFetch(input, request = {}) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new SafeFetchError('bad_url', 'the URL could not be parsed');
    }
    const maxBytes = request.maxBytes ?? defaultMaxBytes;
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    const external = request.signal;
    if (external?.aborted) throw new SafeFetchError('aborted', `fetching ${describeUrl(url)} was aborted`);
    const requested = describeUrl(url);
    let where = requested;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new SafeFetchError('timeout', `${where}: no complete response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExternalAbort = (): void =>
      controller.abort(new SafeFetchError('aborted', `fetching ${where} was aborted`, { cause: external?.reason }));
    external?.addEventListener('abort', onExternalAbort, { once: true });

    let method: string = request.method ?? 'GET';
    let body = request.body;
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    headers['accept-encoding'] = 'identity';
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);

    try {
      for (let redirects = 0; ; redirects++) {
        const target = await guard.check(url, where, controller.signal);
        const res = await send(url, target, method, headers, body, where, controller.signal);
        const status = res.statusCode ?? 0;
        const location = res.headers.location;

        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          res.destroy();
          if (redirects >= maxRedirects) {
            throw new SafeFetchError('too_many_redirects', `${where}: more than ${maxRedirects} redirects`);
          }
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            throw new SafeFetchError('bad_url', `${where}: redirect to an unparseable Location`);
          }
          if (status === 303 || ((status === 301 || status === 302) && method !== 'GET' && method !== 'HEAD')) {
            method = 'GET';
            body = undefined;
            for (const name of BODY_HEADERS) delete headers[name];
          }
          if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
          where = `${describeUrl(next)} (redirected from ${requested})`;
          url = next;
          continue;
        }

        if (request.requireOk && (status < 200 || status > 299)) {
          res.destroy();
          throw new SafeFetchError('bad_status', `${where} answered HTTP ${status}, expected 2xx`, { status });
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          res.destroy();
          throw new SafeFetchError('too_large', `${where}: Content-Length ${declared} exceeds the ${maxBytes}-byte limit`);
        }
        const responseBody = await readBody(res, maxBytes, where, controller.signal);
        const contentType = res.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
        return { status, headers: res.headers, body: responseBody, finalUrl: url.href, contentType };
      }
    } finally {
      clearTimeout(timer);
      external?.removeEventListener('abort', onExternalAbort);
    }
  };
}
