/**
 * The URL guard's check, the one place that decides whether the server may connect to a URL:
 * input images, upstream results, webhooks and engine base URLs all pass here (through
 * `safe-fetch`, or directly for a webhook URL checked at submit). http(s) only; the name is
 * resolved and every answer must be a globally routable unicast address unless the `host:port`
 * is allow-listed. The address checked is returned, so the caller connects to exactly it.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress, describeRange, hostPortKey, matchesAllowList, parseAllowList, type AllowList } from './ip-policy.js';

/** `bad_status` only occurs with `requireOk`: the final response was not 2xx. */
export type SafeFetchErrorReason =
  | 'bad_url' | 'bad_scheme' | 'blocked_address' | 'too_large' | 'timeout'
  | 'too_many_redirects' | 'network' | 'aborted' | 'bad_status';

export class SafeFetchError extends Error {
  readonly reason: SafeFetchErrorReason;
  /** HTTP status, set for `bad_status`. */
  readonly status: number | undefined;

  constructor(reason: SafeFetchErrorReason, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SafeFetchError';
    this.reason = reason;
    this.status = options.status;
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const defaultResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** How long a name's answer is reused; each use is still checked, and the connection pinned to it. */
const DNS_TTL_MS = 5_000;
const DNS_CACHE_NAMES = 1_000;

/**
 * A resolver that reuses a name's answer for `ttlMs` (and shares one lookup among those asking at
 * once): each hop to an upstream by name otherwise waits for a getaddrinfo on libuv's threadpool.
 * Failures are not kept.
 */
export function cachingResolver(resolve: Resolver, ttlMs = DNS_TTL_MS, maxNames = DNS_CACHE_NAMES, now: () => number = Date.now): Resolver {
  const cache = new Map<string, { until: number; answers: Promise<ResolvedAddress[]> }>();
  return (hostname) => {
    const at = now();
    const known = cache.get(hostname);
    if (known && at < known.until) return known.answers;
    const answers = resolve(hostname);
    cache.delete(hostname);
    if (cache.size >= maxNames) cache.delete(cache.keys().next().value as string);
    const entry = { until: at + ttlMs, answers };
    cache.set(hostname, entry);
    answers.catch(() => {
      if (cache.get(hostname) === entry) cache.delete(hostname);
    });
    return answers;
  };
}

/** DNS as every guard without a resolver of its own asks it. */
const sharedResolver = cachingResolver(defaultResolver);

/** Where a checked URL connects: `host` for the request (the name, for SNI and Host), `address` pinned. */
export interface CheckedTarget {
  host: string;
  port: number;
  address: string;
  family: 4 | 6;
}

export interface UrlGuard {
  /** The target to connect to, or a SafeFetchError (`bad_scheme`, `blocked_address`, `network`). */
  check(url: URL, where: string, signal?: AbortSignal): Promise<CheckedTarget>;
}

export interface UrlGuardOptions {
  /** `host:port` entries let through although private, matched by URL host or resolved address. */
  allowHosts?: readonly string[] | undefined;
  /** Replaces DNS (tests). */
  resolver?: Resolver | undefined;
}

/** The port a URL connects to, its scheme's default when none is written. */
export function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** The URL's host without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** The URL for messages: no credentials, no query (signed URLs carry secrets there). */
export function describeUrl(url: URL): string {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `a ${url.protocol} URL`;
  return `${url.protocol}//${url.host}${url.pathname}${url.search === '' ? '' : '?…'}`;
}

/** Rejects with the signal's reason as soon as it aborts; the losing promise is left to settle. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function createUrlGuard(options: UrlGuardOptions = {}): UrlGuard {
  const allowList: AllowList = parseAllowList(options.allowHosts ?? []);
  const resolver = options.resolver ?? sharedResolver;
  return {
    async check(url, where, signal) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new SafeFetchError('bad_scheme', `${where} cannot be fetched; only http and https URLs are allowed`);
      }
      const port = portOf(url);
      const host = bareHost(url);
      const literal = isIP(host) !== 0;
      let answers: ResolvedAddress[];
      if (literal) {
        answers = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
      } else {
        try {
          answers = await raceAbort(resolver(host), signal);
        } catch (error) {
          if (error instanceof SafeFetchError) throw error;
          throw new SafeFetchError('network', `${where}: could not resolve ${host}`, { cause: error });
        }
      }
      const first = answers[0];
      if (first === undefined) throw new SafeFetchError('network', `${where}: ${host} resolved to no addresses`);
      if (!matchesAllowList(allowList, url.hostname, port)) {
        // One denied address refuses the lot: picking the allowed one would invite rebinding games.
        for (const { address } of answers) {
          const verdict = classifyAddress(address);
          if (verdict.allowed || matchesAllowList(allowList, address, port)) continue;
          const verb = literal ? 'points at' : 'resolves to';
          throw new SafeFetchError(
            'blocked_address',
            `${where} ${verb} ${address}, ${describeRange(verdict.range)}; fetching it is not allowed ` +
              `(add "${hostPortKey(url.hostname, port)}" to fetch.allowHosts to permit it)`,
          );
        }
      }
      return { host: literal ? host : url.hostname, port, address: first.address, family: isIP(first.address) === 6 ? 6 : 4 };
    },
  };
}
