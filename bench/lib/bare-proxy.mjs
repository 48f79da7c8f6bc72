// The floor of any Node.js gateway on bench (l)'s path: node:http in, one request to the upstream
// on a kept-alive connection, its answer back — no routing, validation, keys, storage or logging.
// Usage: node bare-proxy.mjs UPSTREAM_URL; prints "listening PORT".
import { Agent, createServer, request as send } from 'node:http';

const upstream = new URL(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const server = createServer((incoming, outgoing) => {
  const chunks = [];
  incoming.on('data', (chunk) => chunks.push(chunk));
  incoming.on('end', () => {
    const body = Buffer.concat(chunks);
    const forward = send(
      { agent, host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.writeHead(502).end());
    forward.end(body);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
