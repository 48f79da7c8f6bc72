// An OpenAI-style images upstream that answers at once: every generation is the same small PNG
// at a URL it serves itself (the baseline of bench e).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const png = readFileSync(process.argv[2]);
let base = '';
const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/img.png') {
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    return;
  }
  request.resume();
  request.on('end', () => {
    const body = JSON.stringify({ created: Math.floor(Date.now() / 1000), data: [{ url: `${base}/img.png` }] });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`listening ${server.address().port}\n`);
});
