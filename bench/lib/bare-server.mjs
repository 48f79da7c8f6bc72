// A bare node:http server answering every request with the same bytes (the baseline of bench a).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const body = readFileSync(process.argv[2]);
const contentType = process.argv[3] ?? 'application/json; charset=utf-8';
const server = createServer((request, response) => {
  response.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
