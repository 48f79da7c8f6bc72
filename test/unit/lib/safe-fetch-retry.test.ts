// A request on a pooled socket that the server reset after receiving it: only a GET goes again;
// a body-less POST, PUT or DELETE is sent once. Every connection goes to 127.0.0.1.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSafeFetch } from '../../../src/lib/safe-fetch.js';

const servers: Array<ReturnType<typeof createServer>> = [];
after(() => { for (const s of servers) { s.closeAllConnections(); s.close(); } });

async function resettingServer(): Promise<{ origin: string; entry: string; seen: Array<{ method: string; url: string }>; connections: () => number }> {
  const seen: Array<{ method: string; url: string }> = [];
  const served = new WeakSet<object>();
  let connections = 0;
  // First request on a connection is answered; the second is RECEIVED (and acted on), then the
  // connection is dropped before an answer, as a crashing upstream or proxy would.
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '' });
      if (served.has(req.socket)) return void req.socket.destroy();
      served.add(req.socket);
      res.end('ok');
    });
  });
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, entry: `127.0.0.1:${port}`, seen, connections: () => connections };
}

describe('safeFetch stale-socket retry', () => {
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    it(`does not send a body-less ${method} twice when the server received it and then dropped the pooled socket`, async () => {
      const server = await resettingServer();
      const safeFetch = createSafeFetch({ allowHosts: [server.entry], keepAlive: true });
      await safeFetch(`${server.origin}/warm`);
      // DashScope cancel is a body-less POST, fal cancel a body-less PUT (src/engines/*/index.ts).
      await safeFetch(`${server.origin}/side-effect`, { method }).catch(() => undefined);
      const times = server.seen.filter((s) => s.url === '/side-effect').length;
      assert.equal(times, 1, `the server received the body-less ${method} ${times} times`);
    });
  }

  it('retries a body-less GET at most once (no loop) even if every pooled hop is dropped', async () => {
    const server = await resettingServer();
    const safeFetch = createSafeFetch({ allowHosts: [server.entry], keepAlive: true });
    await safeFetch(`${server.origin}/warm`);
    const r = await safeFetch(`${server.origin}/g`);
    assert.equal(r.body.toString(), 'ok');
    assert.equal(server.seen.filter((s) => s.url === '/g').length, 2);
  });
});
