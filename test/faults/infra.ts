/**
 * Infrastructure the fault tests break on purpose, all on 127.0.0.1: a Redis of their own (so it
 * can be shut down and started again), a TCP proxy that can cut or refuse connections (in front of
 * Postgres or Redis), and an HTTP proxy that can hang or fail (in front of the S3 fake).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listening(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on port ${port}`);
    await sleep(50);
  }
}

export interface OwnRedis {
  url: string;
  /** `SHUTDOWN NOSAVE`: everything in it is lost. */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A redis-server on a free loopback port that keeps nothing on disk. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
    await listening(port);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
    child = null;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, start, close: kill };
}

export interface TcpProxy {
  port: number;
  /** Ends every connection through it, as a restarted or failed-over server does. */
  cut(): void;
  /** Resets every connection (a TCP RST to the client's side), as a dropped route or a crashed host does. */
  reset(): void;
  /** While on, every new connection is reset as soon as it is accepted (a proxy or balancer failing over). */
  resetNew(on: boolean): void;
  /** Cuts and refuses new connections until `open()`: the server is unreachable. */
  block(): Promise<void>;
  open(): Promise<void>;
  /** The local ports of its connections to the target (to find them on the server's side). */
  upstreamPorts(): number[];
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const port = await freePort();
  let server: Server | null = null;
  let resettingNew = false;
  const listen = async () => {
    server = createServer((client) => {
      if (resettingNew) {
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1');
      const pair = { client, upstream };
      pairs.add(pair);
      const end = () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => (server as Server).listen(port, '127.0.0.1', resolve));
  };
  const cut = () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const reset = () => {
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const stop = async () => {
    const running = server;
    server = null;
    cut();
    if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
  };
  await listen();
  return {
    port,
    cut,
    reset,
    resetNew: (on) => void (resettingNew = on),
    block: stop,
    open: listen,
    upstreamPorts: () => [...pairs].map((pair) => pair.upstream.localPort).filter((p): p is number => p !== undefined),
    close: stop,
  };
}

export type HttpFaultMode = 'pass' | 'hang' | 'fail';

export interface HttpFaultProxy {
  url: string;
  mode: HttpFaultMode;
  /** Requests answered 500 or left hanging so far. */
  faulted: number;
  close(): Promise<void>;
}

/** An HTTP proxy to `target` that passes requests on, leaves them hanging, or answers 500. */
export async function startHttpFaultProxy(target: string): Promise<HttpFaultProxy> {
  const to = new URL(target);
  const hanging = new Set<{ destroy(): void }>();
  const proxy: HttpFaultProxy = {
    url: '',
    mode: 'pass',
    faulted: 0,
    close: async () => {
      for (const socket of hanging) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: HttpServer = createHttpServer((incoming, outgoing) => {
    if (proxy.mode === 'hang') {
      proxy.faulted += 1;
      hanging.add(incoming.socket);
      incoming.socket.once('close', () => hanging.delete(incoming.socket));
      incoming.resume();
      return;
    }
    if (proxy.mode === 'fail') {
      proxy.faulted += 1;
      incoming.resume();
      incoming.on('end', () => outgoing.writeHead(500, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected</Message></Error>'));
      return;
    }
    const forward = httpRequest({ host: to.hostname, port: to.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
