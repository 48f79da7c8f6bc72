/**
 * Pure address policy for outbound fetches: which IPs may be connected to, and the
 * `host:port` allow-list that lets operators reach specific private services (e.g. MinIO).
 */
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

export interface AddressVerdict {
  allowed: boolean;
  /** ipaddr.js range name (`unicast`, `private`, `loopback`, …) or `invalid`. */
  range: string;
}

/** IANA's global unicast space; the rest of IPv6 is reserved or special-purpose. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** The deprecated IPv4-compatible form (`::127.0.0.1`, `::7f00:1`), which ipaddr.js calls unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Only globally routable unicast is allowed. Everything else (loopback, RFC1918, CGNAT,
 * link-local, IPv4-mapped and IPv4-compatible, NAT64, 6to4, teredo, reserved, …) is denied, so
 * ranges that ipaddr.js adds later are denied by default too; IPv6 must also lie in 2000::/3.
 */
export function classifyAddress(ip: string): AddressVerdict {
  // Strict: only canonical IP text (as dns.lookup returns), not forms like `127.1`.
  if (isIP(ip) === 0) return { allowed: false, range: 'invalid' };
  const address = ipaddr.parse(ip);
  let range: string = address.range();
  if (address.kind() === 'ipv6' && range === 'unicast') {
    if (address.match(IPV4_COMPATIBLE)) range = 'ipv4Compatible';
    else if (!address.match(GLOBAL_UNICAST_V6)) range = 'reserved';
  }
  return { allowed: range === 'unicast', range };
}

/** A listen host reachable only from this machine: `localhost` or a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.toLowerCase() === 'localhost' || (isIP(bare) !== 0 && ipaddr.process(bare).range() === 'loopback');
}

const RANGE_LABELS: Readonly<Record<string, string>> = {
  invalid: 'not a valid IP address',
  loopback: 'a loopback address',
  private: 'a private address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10, home of cloud metadata hosts)',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local (private) IPv6 address',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  ipv4Compatible: 'an IPv4-compatible IPv6 address (::/96)',
  rfc6052: 'a NAT64 address',
  rfc6145: 'an IPv4-translated IPv6 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved address',
};

/** Human phrase for a range, for error messages: "a private address". */
export function describeRange(range: string): string {
  return RANGE_LABELS[range] ?? `an address in the special-purpose range "${range}"`;
}

/**
 * Canonical `host:port` key: lower-case name, IPv4 dotted quad, IPv6 compressed in brackets
 * (WHATWG URL serialisation), so `[0:0::1]:80`, `[::1]:80` and a resolved `::1` agree.
 * Throws on a host that is not a valid URL host.
 */
export function hostPortKey(host: string, port: number): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literal = isIP(bare) === 6 ? `[${bare}]` : bare;
  const parsed = new URL(`http://${literal}/`);
  if (
    parsed.username !== '' ||
    parsed.password !== '' ||
    parsed.port !== '' ||
    parsed.pathname !== '/' ||
    parsed.search !== '' ||
    parsed.hash !== ''
  ) {
    throw new TypeError(`"${host}" is not a plain host name or IP address`);
  }
  return `${parsed.hostname}:${port}`;
}

/** The allow-list as a set of canonical keys; `matchesAllowList` looks keys up in it. */
export type AllowList = ReadonlySet<string>;

/**
 * Parses `host:port` entries (`127.0.0.1:9000`, `minio.internal:9000`, `[::1]:8080`).
 * Throws a TypeError naming the bad entry; IPv6 must be bracketed and the port is required.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const keys = new Set<string>();
  for (const entry of entries) {
    const match = /^(.+):(\d{1,5})$/.exec(entry.trim());
    const host = match?.[1];
    const port = Number(match?.[2]);
    if (host === undefined || port < 1 || port > 65535 || (host.includes(':') && !host.startsWith('['))) {
      throw new TypeError(`allow-list entry "${entry}" must be "host:port", e.g. "127.0.0.1:9000" or "[::1]:8080"`);
    }
    try {
      keys.add(hostPortKey(host, port));
    } catch {
      throw new TypeError(`allow-list entry "${entry}" has an invalid host`);
    }
  }
  return keys;
}

/** True when `host:port` (a name, an IP, or a bracketed IPv6) is on the allow-list. */
export function matchesAllowList(list: AllowList, host: string, port: number): boolean {
  if (list.size === 0) return false;
  try {
    return list.has(hostPortKey(host, port));
  } catch {
    return false;
  }
}
