// Every connection in this file goes to 127.0.0.1. Blocked cases must be refused before any
// connection, which the loopback servers verify by counting the connections they accept.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refusedConnects } from '../../helpers/loopback-only.js';
import { createSafeFetch } from '../../../src/lib/safe-fetch.js';
import { SafeFetchError, type ResolvedAddress, type Resolver, type SafeFetchErrorReason } from '../../../src/lib/url-guard.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Loopback {
  port: number;
  origin: string;
  /** Allow-list entry for this server. */
  entry: string;
  connections: () => number;
  seen: Seen[];
}

const servers: Array<ReturnType<typeof createServer>> = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function loopback(handler: RequestListener = (_req, res) => res.end('ok')): Promise<Loopback> {
  const seen: Seen[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, origin: `http://127.0.0.1:${port}`, entry: `127.0.0.1:${port}`, connections: () => connections, seen };
}

function resolverFor(map: Record<string, string[]>): Resolver {
  return async (hostname) => {
    const addresses = map[hostname];
    if (addresses === undefined) throw new Error(`test resolver: unexpected lookup of ${hostname}`);
    return addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

const noResolver: Resolver = async (hostname) => {
  throw new Error(`resolver must not be called (asked for ${hostname})`);
};

async function rejectsWith(promise: Promise<unknown>, reason: SafeFetchErrorReason, message?: RegExp): Promise<SafeFetchError> {
  const error = await promise.then(
    () => assert.fail(`expected a ${reason} error`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SafeFetchError, `expected SafeFetchError, got ${String(error)}`);
  assert.equal(error.reason, reason, error.message);
  if (message) assert.match(error.message, message);
  return error;
}

describe('safeFetch address policy', () => {
  const deniedAnswers = [
    '127.0.0.1', '10.0.0.5', '172.16.0.1', '192.168.1.1', '100.64.0.1', '100.100.100.200', '169.254.169.254',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.2.1', '::1', '::', 'fd00::', 'fc00::1', 'fe80::1',
    '::ffff:127.0.0.1', '::ffff:8.8.8.8', '64:ff9b::7f00:1', '2002:7f00:1::', '2001::1', 'ff02::1',
  ];
  for (const address of deniedAnswers) {
    it(`refuses a name resolving to ${address} before connecting`, async () => {
      const server = await loopback();
      const safeFetch = createSafeFetch({ resolver: resolverFor({ 'target.example': [address] }) });
      const error = await rejectsWith(safeFetch(`http://target.example:${server.port}/a.png`), 'blocked_address');
      assert.ok(error.message.includes(`resolves to ${address}`), error.message);
      assert.equal(server.connections(), 0);
    });
  }

  it('refuses IP-literal hosts in every spelling without resolving them', async () => {
    const server = await loopback();
    const safeFetch = createSafeFetch({ resolver: noResolver });
    const p = server.port;
    const urls = [
      `http://127.0.0.1:${p}/`, `http://2130706433:${p}/`, `http://0x7f.1:${p}/`, `http://127.1:${p}/`,
      `http://017700000001:${p}/`, `http://127.0.0.1.:${p}/`, `http://0:${p}/`, `http://[::1]:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`, `http://[0:0:0:0:0:ffff:7f00:1]:${p}/`, `http://[64:ff9b::7f00:1]:${p}/`,
      'http://169.254.169.254/latest/meta-data/', 'http://100.100.100.200/latest/meta-data/', 'https://[fd00::1]/',
      // IPv4-compatible IPv6 (::/96): not loopback to the kernel, so routed off the machine here.
      `http://[::127.0.0.1]:${p}/`, `http://[::7f00:1]:${p}/`, 'http://[::a9fe:a9fe]/latest/meta-data/', 'http://[::10.0.0.5]/',
    ];
    for (const url of urls) await rejectsWith(safeFetch(url), 'blocked_address', /points at/);
    assert.equal(server.connections(), 0);
    assert.deepEqual(refusedConnects, [], 'no connection was even attempted');
  });

  it('refuses localhost and names answering with both loopback families', async () => {
    const server = await loopback();
    const safeFetch = createSafeFetch({ resolver: resolverFor({ localhost: ['::1', '127.0.0.1'] }) });
    await rejectsWith(safeFetch(`http://LOCALHOST:${server.port}/`), 'blocked_address', /::1, a loopback address/);
    assert.equal(server.connections(), 0);
  });

  it('refuses a mixed answer even when the first address is allowed', async () => {
    const server = await loopback();
    const safeFetch = createSafeFetch({
      allowHosts: [server.entry],
      resolver: resolverFor({ 'mixed.example': ['127.0.0.1', '10.0.0.5'] }),
    });
    await rejectsWith(safeFetch(`http://mixed.example:${server.port}/`), 'blocked_address', /10\.0\.0\.5, a private address/);
    assert.equal(server.connections(), 0);
  });

  it('keeps credentials and the query string out of messages', async () => {
    const safeFetch = createSafeFetch({ resolver: noResolver });
    const error = await rejectsWith(safeFetch('http://user:s3cret@10.0.0.5/a.png?Signature=abc'), 'blocked_address');
    assert.equal(
      error.message,
      'http://10.0.0.5/a.png?… points at 10.0.0.5, a private address; fetching it is not allowed ' +
        '(add "10.0.0.5:80" to fetch.allowHosts to permit it)',
    );
  });

  it('refuses non-http schemes and unparseable URLs', async () => {
    const server = await loopback();
    const safeFetch = createSafeFetch({ resolver: noResolver });
    const urls = ['file:///etc/passwd', `ftp://127.0.0.1:${server.port}/`, `gopher://127.0.0.1:${server.port}/_x`, 'data:text/plain,hi', `ws://127.0.0.1:${server.port}/`];
    for (const url of urls) await rejectsWith(safeFetch(url), 'bad_scheme', /only http and https/);
    await rejectsWith(safeFetch('not a url'), 'bad_url');
    await rejectsWith(safeFetch('http://'), 'bad_url');
    assert.equal(server.connections(), 0);
  });
});

describe('safeFetch allow-list', () => {
  it('lets a private address through by address:port and pins the connection to it', async () => {
    const server = await loopback((_req, res) => {
      res.setHeader('content-type', 'Image/PNG; charset=binary');
      res.end('png-bytes');
    });
    const safeFetch = createSafeFetch({ allowHosts: [server.entry], resolver: resolverFor({ 'cdn.example': ['127.0.0.1'] }) });
    const result = await safeFetch(`http://cdn.example:${server.port}/a.png?x=1`);
    assert.equal(result.status, 200);
    assert.equal(result.body.toString(), 'png-bytes');
    assert.equal(result.contentType, 'image/png');
    assert.equal(result.finalUrl, `http://cdn.example:${server.port}/a.png?x=1`);
    assert.equal(server.seen[0]?.headers.host, `cdn.example:${server.port}`);
    assert.equal(server.seen[0]?.headers['accept-encoding'], 'identity');
  });

  it('lets a private address through by host name:port', async () => {
    const server = await loopback();
    const safeFetch = createSafeFetch({
      allowHosts: [`MinIO.internal:${server.port}`],
      resolver: resolverFor({ 'minio.internal': ['127.0.0.1'] }),
    });
    assert.equal((await safeFetch(`http://minio.internal:${server.port}/b`)).body.toString(), 'ok');
    await rejectsWith(safeFetch(`http://minio.internal:${server.port + 1}/b`), 'blocked_address');
    assert.equal(server.connections(), 1);
  });

  it('lets an allow-listed IP literal through', async () => {
    const server = await loopback();
    const result = await createSafeFetch({ allowHosts: [server.entry], resolver: noResolver })(`${server.origin}/`);
    assert.equal(result.status, 200);
  });

  it('rejects a malformed allow-list when created', () => {
    assert.throws(() => createSafeFetch({ allowHosts: ['::1:8080'] }), TypeError);
  });
});

describe('safeFetch redirects', () => {
  it('re-checks every hop and never connects to a blocked target', async () => {
    const blocked = await loopback();
    const first = await loopback((req, res) => {
      const to = req.url === '/to-name' ? `http://internal.example:${blocked.port}/` : `${blocked.origin}/secret`;
      res.writeHead(302, { location: to }).end();
    });
    const safeFetch = createSafeFetch({
      allowHosts: [first.entry],
      resolver: resolverFor({ 'internal.example': ['10.0.0.5'] }),
    });
    await rejectsWith(safeFetch(`${first.origin}/to-literal`), 'blocked_address', /redirected from/);
    await rejectsWith(safeFetch(`${first.origin}/to-name`), 'blocked_address', /resolves to 10\.0\.0\.5/);
    assert.equal(first.seen.length, 2);
    assert.equal(blocked.connections(), 0);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const server = await loopback((_req, res) => res.writeHead(301, { location: 'file:///etc/passwd' }).end());
    const safeFetch = createSafeFetch({ allowHosts: [server.entry] });
    await rejectsWith(safeFetch(`${server.origin}/`), 'bad_scheme', /a file: URL \(redirected from/);
  });

  it('follows up to maxRedirects and refuses the next one', async () => {
    const server = await loopback((req, res) => {
      const n = Number(req.url?.slice(1));
      if (n >= 3) res.end(`done ${n}`);
      else res.writeHead(307, { location: `/${n + 1}` }).end();
    });
    const safeFetch = createSafeFetch({ allowHosts: [server.entry] });
    const result = await safeFetch(`${server.origin}/0`);
    assert.equal(result.body.toString(), 'done 3');
    assert.equal(result.finalUrl, `${server.origin}/3`);

    const before = server.seen.length;
    const strict = createSafeFetch({ allowHosts: [server.entry], maxRedirects: 2 });
    await rejectsWith(strict(`${server.origin}/0`), 'too_many_redirects', /more than 2 redirects/);
    assert.equal(server.seen.length - before, 3, 'the third redirect is not followed');
  });

  it('drops Authorization and Cookie on a cross-origin redirect, keeps them on the same origin', async () => {
    const other = await loopback();
    const server = await loopback((req, res) => {
      if (req.url === '/same') res.writeHead(302, { location: '/here' }).end();
      else if (req.url === '/cross') res.writeHead(302, { location: `${other.origin}/there` }).end();
      else res.end('ok');
    });
    const safeFetch = createSafeFetch({ allowHosts: [server.entry, other.entry] });
    const headers = { Authorization: 'Bearer t0ken', Cookie: 'a=b', 'X-Keep': 'yes' };

    await safeFetch(`${server.origin}/same`, { headers });
    assert.equal(server.seen[1]?.headers.authorization, 'Bearer t0ken');

    await safeFetch(`${server.origin}/cross`, { headers });
    const there = other.seen[0]?.headers;
    assert.equal(there?.authorization, undefined);
    assert.equal(there?.cookie, undefined);
    assert.equal(there?.['x-keep'], 'yes');
  });

  it('turns POST into a body-less GET on 303 and keeps it on 307', async () => {
    const server = await loopback((req, res) => {
      if (req.url === '/see-other') res.writeHead(303, { location: '/result' }).end();
      else if (req.url === '/temporary') res.writeHead(307, { location: '/result' }).end();
      else res.end('ok');
    });
    const safeFetch = createSafeFetch({ allowHosts: [server.entry] });
    const init = { method: 'POST' as const, body: '{"a":1}', headers: { 'content-type': 'application/json' } };

    await safeFetch(`${server.origin}/see-other`, init);
    assert.deepEqual([server.seen[1]?.method, server.seen[1]?.body], ['GET', '']);
    assert.equal(server.seen[1]?.headers['content-type'], undefined);

    await safeFetch(`${server.origin}/temporary`, init);
    assert.deepEqual([server.seen[3]?.method, server.seen[3]?.body], ['POST', '{"a":1}']);
  });
});

describe('safeFetch requests and responses', () => {
  it('sends POST bodies with a content-length', async () => {
    const server = await loopback((req, res) => res.writeHead(202).end(`got ${req.method}`));
    const safeFetch = createSafeFetch({ allowHosts: [server.entry] });
    const result = await safeFetch(`${server.origin}/hook`, { method: 'POST', body: Buffer.from('héllo') });
    assert.equal(result.status, 202);
    assert.equal(result.body.toString(), 'got POST');
    assert.equal(server.seen[0]?.body, 'héllo');
    assert.equal(server.seen[0]?.headers['content-length'], '6');
  });

  it('sends URL credentials as basic auth', async () => {
    const server = await loopback();
    await createSafeFetch({ allowHosts: [server.entry] })(`http://u%40x:p@127.0.0.1:${server.port}/`);
    assert.equal(server.seen[0]?.headers.authorization, `Basic ${Buffer.from('u@x:p').toString('base64')}`);
  });

  it('returns non-2xx responses, or throws bad_status with requireOk', async () => {
    const server = await loopback((_req, res) => res.writeHead(404).end('nope'));
    const safeFetch = createSafeFetch({ allowHosts: [server.entry] });
    const result = await safeFetch(`${server.origin}/missing`);
    assert.deepEqual([result.status, result.body.toString()], [404, 'nope']);
    const error = await rejectsWith(safeFetch(`${server.origin}/missing`, { requireOk: true }), 'bad_status', /HTTP 404/);
    assert.equal(error.status, 404);
  });

  it('does not decompress', async () => {
    const server = await loopback((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end('not really gzip'));
    const result = await createSafeFetch({ allowHosts: [server.entry] })(`${server.origin}/`);
    assert.equal(result.body.toString(), 'not really gzip');
  });

  it('refuses a declared Content-Length over the cap', async () => {
    const server = await loopback((_req, res) => res.writeHead(200, { 'content-length': 2000 }).end(Buffer.alloc(2000)));
    const safeFetch = createSafeFetch({ allowHosts: [server.entry], maxBytes: 1000 });
    await rejectsWith(safeFetch(`${server.origin}/big`), 'too_large', /Content-Length 2000/);
    assert.equal((await safeFetch(`${server.origin}/big`, { maxBytes: 2000 })).body.length, 2000);
  });

  it('aborts a chunked body as soon as it passes the cap', async () => {
    let serverGaveUp: Promise<boolean> = Promise.resolve(false);
    const server = await loopback((_req, res) => {
      let sent = 0;
      const timer = setInterval(() => {
        res.write(Buffer.alloc(1024));
        if ((sent += 1024) >= 1024 * 1024) res.end();
      }, 2);
      serverGaveUp = new Promise((resolve) => res.on('close', () => {
        clearInterval(timer);
        resolve(!res.writableFinished);
      }));
    });
    const safeFetch = createSafeFetch({ allowHosts: [server.entry], maxBytes: 10_000 });
    await rejectsWith(safeFetch(`${server.origin}/stream`), 'too_large', /exceeds the 10000-byte limit/);
    assert.equal(await serverGaveUp, true, 'the connection is closed before the server finished');
  });

  it('times out a server that never answers', async () => {
    const server = await loopback(() => undefined);
    const started = Date.now();
    await rejectsWith(
      createSafeFetch({ allowHosts: [server.entry], timeoutMs: 150 })(`${server.origin}/hang`),
      'timeout',
      /within 150 ms/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  it('counts the body download against the timeout', async () => {
    const server = await loopback((_req, res) => res.writeHead(200).write('partial'));
    const safeFetch = createSafeFetch({ allowHosts: [server.entry] });
    await rejectsWith(safeFetch(`${server.origin}/slow-body`, { timeoutMs: 150 }), 'timeout');
  });

  it('honours an external abort signal', async () => {
    const server = await loopback(() => undefined);
    const safeFetch = createSafeFetch({ allowHosts: [server.entry] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await rejectsWith(safeFetch(`${server.origin}/hang`, { signal: controller.signal }), 'aborted');

    const before = server.connections();
    await rejectsWith(safeFetch(`${server.origin}/`, { signal: AbortSignal.abort() }), 'aborted');
    assert.equal(server.connections(), before);
  });

  it('reports resolver and connection failures as network errors', async () => {
    const closed = await loopback();
    servers.pop()?.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const safeFetch = createSafeFetch({ allowHosts: [closed.entry], resolver: resolverFor({}) });
    await rejectsWith(safeFetch(`${closed.origin}/`), 'network');
    await rejectsWith(safeFetch('http://nowhere.example/'), 'network', /could not resolve nowhere\.example/);
    const empty = createSafeFetch({ resolver: async () => [] });
    await rejectsWith(empty('http://empty.example/'), 'network', /no addresses/);
  });
});

describe('safeFetch keep-alive', () => {
  it('pools connections only to the host:ports it is told to', async () => {
    const pooled = await loopback();
    const single = await loopback();
    const safeFetch = createSafeFetch({ allowHosts: [pooled.entry, single.entry], keepAlive: (hostPort) => hostPort === pooled.entry });
    for (let i = 0; i < 3; i++) {
      assert.equal((await safeFetch(`${pooled.origin}/a`)).body.toString(), 'ok');
      assert.equal((await safeFetch(`${single.origin}/a`)).body.toString(), 'ok');
    }
    assert.equal(pooled.connections(), 1);
    assert.equal(single.connections(), 3);
  });

  it('reuses a pooled socket only for the address its hop was checked to', async () => {
    const server = await loopback();
    const answers = ['127.0.0.1', '::ffff:127.0.0.1', '127.0.0.1'];
    const safeFetch = createSafeFetch({
      allowHosts: [`pinned.example:${server.port}`],
      resolver: async () => {
        const address = answers.shift() as string;
        return [{ address, family: address.includes(':') ? 6 : 4 }];
      },
      keepAlive: true,
    });
    const connectionsAfter: number[] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal((await safeFetch(`http://pinned.example:${server.port}/`)).body.toString(), 'ok');
      connectionsAfter.push(server.connections());
    }
    // The second hop was checked to another address: a socket of its own; the third reuses the first's.
    assert.deepEqual(connectionsAfter, [1, 2, 2]);
  });

  it('sends a body-less request again on a fresh connection when its pooled socket was closed, never a POST', async () => {
    const served = new WeakSet<object>();
    // Drops a kept-alive connection at its second request, as a server closing an idle socket would.
    const server = await loopback((req, res) => {
      if (served.has(req.socket)) return void req.socket.destroy();
      served.add(req.socket);
      res.end('ok');
    });
    const safeFetch = createSafeFetch({ allowHosts: [server.entry], keepAlive: true });
    assert.equal((await safeFetch(`${server.origin}/1`)).body.toString(), 'ok');
    assert.equal((await safeFetch(`${server.origin}/2`)).body.toString(), 'ok');
    assert.equal(server.connections(), 2);
    // The retry's connection is not pooled: this one is, and the POST after it finds it dropped.
    assert.equal((await safeFetch(`${server.origin}/3`)).body.toString(), 'ok');
    await rejectsWith(safeFetch(`${server.origin}/4`, { method: 'POST', body: 'x' }), 'network');
    assert.equal(server.seen.filter((seen) => seen.url === '/4').length, 1);
    assert.equal(server.connections(), 3);
  });
});
