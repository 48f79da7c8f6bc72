/**
 * Imported by a test file (or preloaded with `--import` into a server the test runs), this refuses
 * every TCP connection of the process to an address that is not loopback, and records the attempt. Tests that send URLs the URL guard must refuse
 * import it, so a guard that failed could still reach nothing (this host routes some special
 * IPv6 ranges off the machine) and the test sees the attempt in `refusedConnects`.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import net, { type LookupFunction } from 'node:net';

export const refusedConnects: string[] = [];

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address);
}

function refusal(address: string): Error {
  refusedConnects.push(address);
  // Also said on stderr, for tests that preload this into a server they run as a child process.
  process.stderr.write(`loopback-only test hook: refused a connection to ${address}\n`);
  return Object.assign(new Error(`loopback-only test hook: connecting to ${address} refused`), { code: 'ECONNREFUSED' });
}

/** A lookup that answers only loopback addresses; the test hook's stand-in for every resolver. */
function checkedLookup(inner: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    inner(hostname, options, (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
      if (error) return callback(error, address as string, family);
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const bad = addresses.find((a) => !isLoopback(a));
      if (bad !== undefined) return callback(refusal(bad), '', 4);
      callback(null, address as string, family);
    });
  };
}

type ConnectArgs = unknown[];
const original = net.Socket.prototype.connect as (this: net.Socket, ...args: ConnectArgs) => net.Socket;

/** `connect`'s arguments in their three spellings: (options, cb), (port, host, cb), or net's own normalized array. */
function readArgs(args: ConnectArgs): { options: Record<string, unknown>; callback: (() => void) | undefined } | null {
  const [first] = args;
  const callback = (Array.isArray(first) ? first[1] : args.find((arg) => typeof arg === 'function')) as (() => void) | undefined;
  if (Array.isArray(first)) return { options: { ...(first[0] as Record<string, unknown>) }, callback };
  if (typeof first === 'number') return { options: { port: first, host: typeof args[1] === 'string' ? args[1] : 'localhost' }, callback };
  if (typeof first === 'object' && first !== null) return { options: { ...(first as Record<string, unknown>) }, callback };
  return null;
}

net.Socket.prototype.connect = function (this: net.Socket, ...args: ConnectArgs): net.Socket {
  const read = readArgs(args);
  // A path (a Unix socket or pipe) is local by nature.
  if (!read || (typeof read.options.path === 'string' && read.options.path !== '')) return original.apply(this, args);
  const { options, callback } = read;
  const host = typeof options.host === 'string' ? options.host : 'localhost';
  if (net.isIP(host) !== 0) {
    if (!isLoopback(host)) {
      const error = refusal(host);
      process.nextTick(() => this.destroy(error));
      return this;
    }
  } else {
    options.lookup = checkedLookup((options.lookup as LookupFunction | undefined) ?? (dnsLookup as unknown as LookupFunction));
  }
  return callback ? original.call(this, options, callback) : original.call(this, options);
} as typeof net.Socket.prototype.connect;
