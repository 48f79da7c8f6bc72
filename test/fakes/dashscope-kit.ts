/** Pieces every upstream fake uses: a loopback server, bodies, deterministic result images. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { Engine, EngineCall, EngineDone, EngineResult } from '../../src/engines/engine.js';

export interface FakeServer {
  server: Server;
  url: string;
  /** `host:port`, for fetch.allowHosts. */
  hostPort: string;
  close(): Promise<void>;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void | Promise<void>;

/** A server on 127.0.0.1 port 0; a handler that throws answers 500. */
export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      Promise.resolve(handler(request, response, Buffer.concat(chunks))).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

export function parseJson(body: Buffer): any {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The colour of image `index` of a call with `seed`: same seed, same pixels. */
export function colourFor(seed: number, index: number): { r: number; g: number; b: number } {
  const value = (seed + index) >>> 0;
  return { r: (value * 37 + 11) % 256, g: (value * 73 + 101) % 256, b: (value * 151 + 7) % 256 };
}

export async function solidPng(width: number, height: number, seed: number, index: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colourFor(seed, index) } }).png({ compressionLevel: 1 }).toBuffer();
}

/** Sides at about `pixels` total with the image's aspect, in multiples of 16 (Qwen's default size). */
export function areaSize(width: number, height: number, pixels = 1024 * 1024): { width: number; height: number } {
  const scale = Math.sqrt(pixels / (width * height));
  return { width: Math.max(16, Math.round((width * scale) / 16) * 16), height: Math.max(16, Math.round((height * scale) / 16) * 16) };
}

/** Width and height of an image given as a data URI or an http URL (fetched from loopback). */
export async function imageDimensions(reference: string): Promise<{ width: number; height: number }> {
  const bytes = reference.startsWith('data:')
    ? Buffer.from(reference.slice(reference.indexOf(',') + 1), 'base64')
    : Buffer.from(await (await fetch(reference)).arrayBuffer());
  const meta = await sharp(bytes).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0 };
}

/** `W*H` or `WxH`. */
export function parseSize(value: unknown): { width: number; height: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)[*x](\d+)$/.exec(value);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}

/** A scripted misbehaviour: an error answer, a 200 with garbage, or no answer at all. */
export type Misbehaviour =
  | { kind: 'error'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'garbage'; status?: number }
  | { kind: 'hang' };

/** Plays a misbehaviour; returns false when there is none. */
export function misbehave(response: ServerResponse, step: Misbehaviour | undefined): boolean {
  if (!step) return false;
  if (step.kind === 'hang') return true;
  if (step.kind === 'garbage') {
    response.writeHead(step.status ?? 200, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
    return true;
  }
  sendJson(response, step.status, step.body, step.headers);
  return true;
}

/** Misbehaviours queued per route, each played `times` times. */
export class Script<Route extends string> {
  private readonly steps: Array<{ route: Route | 'any'; step: Misbehaviour; times: number }> = [];
  private chaos: { rate: number; choices: Misbehaviour[]; routes: readonly Route[]; random: () => number } | null = null;
  /** How many calls chaos spoiled. */
  spoiled = 0;

  push(route: Route | 'any', step: Misbehaviour, times = 1): void {
    this.steps.push({ route, step, times });
  }

  /** After the scripted steps: a seeded `rate` of calls on `routes` misbehave, picked from `choices`. */
  setChaos(rate: number, choices: Misbehaviour[], routes: readonly Route[], seed = 1): void {
    let state = seed;
    const random = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x80000000;
    };
    this.chaos = { rate, choices, routes, random };
  }

  next(route: Route): Misbehaviour | undefined {
    const entry = this.steps.find((s) => s.route === route || s.route === 'any');
    if (!entry) return this.chaotic(route);
    entry.times -= 1;
    if (entry.times <= 0) this.steps.splice(this.steps.indexOf(entry), 1);
    return entry.step;
  }

  private chaotic(route: Route): Misbehaviour | undefined {
    const chaos = this.chaos;
    if (!chaos || !chaos.routes.includes(route) || chaos.random() >= chaos.rate) return undefined;
    this.spoiled += 1;
    return chaos.choices[Math.floor(chaos.random() * chaos.choices.length)];
  }

  clear(): void {
    this.steps.length = 0;
    this.chaos = null;
  }
}

/** An engine call as the runner makes one, with in-memory inputs. */
export function engineCall(overrides: Partial<EngineCall> = {}, images: Buffer[] = []): EngineCall {
  return {
    taskId: 'task-1',
    requestId: 'req-1',
    model: 'qwen-image-edit-plus',
    family: 'qwen-image-edit-plus',
    kind: images.length > 0 ? 'edit' : 'generate',
    prompt: 'make it blue',
    negativePrompt: null,
    n: 1,
    size: { width: 640, height: 480 },
    sizeSource: 'request',
    seed: 42,
    promptExtend: false,
    watermark: false,
    inputs: images.map((data, index) => ({
      index,
      contentType: 'image/png',
      width: 640,
      height: 480,
      bytes: data.length,
      read: async () => data,
      signedUrl: () => `http://127.0.0.1:1/files/input-${index + 1}?sig=x`,
    })),
    signal: new AbortController().signal,
    log: () => {},
    ...overrides,
  };
}

/** Runs a call to its end as the runner would (start, then poll while pending), counting polls. */
export async function runToEnd(engine: Engine, call: EngineCall, maxPolls = 200): Promise<{ result: EngineDone; polls: number; pollAfter: number[] }> {
  let result = await engine.start(call);
  const pollAfter: number[] = [];
  let polls = 0;
  while (result.status === 'pending') {
    if (polls >= maxPolls) throw new Error(`still pending after ${maxPolls} polls`);
    pollAfter.push(result.pollAfterMs ?? 0);
    result = await engine.poll(JSON.parse(JSON.stringify(result.operation)), call);
    polls += 1;
  }
  return { result, polls, pollAfter };
}

/** The operation handle of a pending result (the test says what it holds). */
export function operationOf<T = any>(result: EngineResult): T {
  if (result.status !== 'pending') throw new Error(`expected a pending result, got ${result.status}`);
  return result.operation as unknown as T;
}
