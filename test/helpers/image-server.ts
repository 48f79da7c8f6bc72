/** A loopback file server for input images, with a switch for misbehaviour. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImageServer {
  /** `host:port`, for fetch.allowHosts. */
  hostPort: string;
  url(path: string): string;
  /** Serves `body` at `path`. */
  put(path: string, body: Buffer, contentType?: string): void;
  requests: string[];
  close(): Promise<void>;
}

export async function startImageServer(): Promise<ImageServer> {
  const files = new Map<string, { body: Buffer; contentType: string }>();
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    requests.push(path);
    if (path.startsWith('/redirect/')) {
      response.writeHead(302, { location: decodeURIComponent(path.slice('/redirect/'.length)) }).end();
      return;
    }
    const file = files.get(path);
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostPort: `127.0.0.1:${port}`,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    put: (path, body, contentType = 'image/png') => void files.set(path, { body, contentType }),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
