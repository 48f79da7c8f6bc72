/**
 * The scale-out test's workload: a slow link in front of the fake upstream (so tasks are mid-run
 * when a worker dies), a webhook receiver, and one request per dialect, each driven to its end
 * through the API nodes as a client of that dialect would.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from '../../src/services/webhook-signature.js';

export interface Loopback {
  url: string;
  hostPort: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<{ url: string; hostPort: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Forwards every request to `target` after `delayMs`. */
export async function startSlowLink(target: string, delayMs: number): Promise<Loopback> {
  const to = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      setTimeout(() => {
        const forward = httpRequest(
          { host: to.hostname, port: to.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: to.host } },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forward.on('error', () => outgoing.destroy());
        forward.end(Buffer.concat(chunks));
      }, delayMs);
    });
  });
  return listen(server);
}

export interface WebhookReceiver extends Loopback {
  /** Deliveries by path, with the status each reported. */
  deliveries: Map<string, string[]>;
  /** With a secret: the paths of deliveries whose signature did not verify. */
  badlySigned: string[];
}

/** Records every delivery; with `secret`, also checks each one's signature. */
export async function startWebhookReceiver(secret?: string): Promise<WebhookReceiver> {
  const deliveries = new Map<string, string[]>();
  const badlySigned: string[] = [];
  const server = createServer((incoming, outgoing) => {
    let body = '';
    incoming.on('data', (chunk: Buffer) => (body += chunk.toString()));
    incoming.on('end', () => {
      const path = (incoming.url ?? '/').split('?')[0] as string;
      let status = 'unreadable';
      try {
        status = String((JSON.parse(body) as { status?: unknown }).status);
      } catch {
        // Counted as unreadable.
      }
      deliveries.set(path, [...(deliveries.get(path) ?? []), status]);
      const header = (name: string) => [incoming.headers[name]].flat()[0];
      if (secret && !verifyWebhookSignature(secret, body, header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER))) badlySigned.push(path);
      outgoing.writeHead(200).end('ok');
    });
  });
  return { ...(await listen(server)), deliveries, badlySigned };
}

export const KINDS = ['dashscope-sync', 'dashscope-async', 'dashscope-text2image', 'openai-generate', 'openai-edit', 'nebula', 'seaart', 'fal'] as const;
export type Kind = (typeof KINDS)[number];

export interface Outcome {
  kind: Kind;
  taskId: string;
  /** Output URLs as the client received them. */
  urls: string[];
}

export interface Client {
  /** The API nodes; requests alternate between them. */
  apis: readonly string[];
  key: string;
  /**
   * The i-th request's input PNG. Each request sends its own: s3rver rewrites an object in place,
   * so concurrent writes of one key let a reader see it half written (S3 itself is atomic).
   */
  image(i: number): Promise<Buffer>;
  webhookUrl(path: string): string;
}

/** The 503s (retry shortly) the workload's clients met and retried, for the test to report. */
export const unavailableAnswers: string[] = [];

/**
 * Fetches as a well-behaved client does: a 503 with Retry-After (the gateway's database or storage
 * briefly unavailable, or its own limits) is retried after the time it names, at most three
 * times, and recorded in `unavailableAnswers`.
 */
async function fetchRetryingUnavailable(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(url, init);
    const retryAfter = Number(response.headers.get('retry-after'));
    if (response.status !== 503 || !(retryAfter > 0) || attempt > 3) return response;
    unavailableAnswers.push(`${init.method ?? 'GET'} ${new URL(url).pathname}: ${(await response.text()).slice(0, 200)}`);
    await sleep(retryAfter * 1000);
  }
}

/** One request; any final status of 300 or more fails. */
async function send(url: string, key: string, init: { method?: string; body?: unknown; form?: FormData; headers?: Record<string, string> } = {}): Promise<any> {
  const method = init.method ?? (init.body === undefined && init.form === undefined ? 'GET' : 'POST');
  const response = await fetchRetryingUnavailable(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.form ?? (init.body === undefined ? null : JSON.stringify(init.body)),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** Polls until `done` accepts the answer, asking each API node in turn. */
async function pollUntil(client: Client, path: (api: string) => string, done: (json: any) => boolean): Promise<any> {
  for (let i = 0; ; i += 1) {
    const api = client.apis[i % client.apis.length] as string;
    const json = await send(path(api), client.key);
    if (done(json)) return json;
    if (i > 2_000) throw new Error(`gave up polling ${path(api)}`);
    await sleep(100);
  }
}

/** Reads a status stream (SSE) to its end; the last status it sent. */
async function streamToEnd(url: string, key: string): Promise<any> {
  const response = await fetchRetryingUnavailable(url, { headers: { authorization: `Key ${key}` }, signal: AbortSignal.timeout(90_000) });
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
  const lines = (await response.text()).split('\n').filter((line) => line.startsWith('data: '));
  return JSON.parse((lines.at(-1) ?? 'data: {}').slice('data: '.length));
}

const DASHSCOPE_SYNC = '/api/v1/services/aigc/multimodal-generation/generation';

/** Sends the i-th request of its kind to an API node and follows it to its end. */
export async function run(client: Client, kind: Kind, i: number): Promise<Outcome> {
  const api = client.apis[i % client.apis.length] as string;
  const prompt = `scale-out ${kind} ${i}`;
  const bytes = await client.image(i);
  const dataUri = `data:image/png;base64,${bytes.toString('base64')}`;
  const editBody = { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: dataUri }, { text: prompt }] }] }, parameters: { n: 1 } };
  const dashscopeTask = async (taskId: string): Promise<Outcome> => {
    const done = await pollUntil(client, (a) => `${a}/api/v1/tasks/${taskId}`, (json) => ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(json.output.task_status));
    if (done.output.task_status !== 'SUCCEEDED') throw new Error(`${kind} ${taskId}: ${JSON.stringify(done.output)}`);
    const urls = done.output.results ? done.output.results.map((r: { url: string }) => r.url) : done.output.choices[0].message.content.map((c: { image: string }) => c.image);
    return { kind, taskId, urls };
  };
  const other = client.apis[(i + 1) % client.apis.length] as string;
  const queueTask = async (root: string, submitted: any): Promise<Outcome> => {
    if (kind === 'fal') {
      // fal's status stream, from the other API node: it ends when the worker's ending reaches it.
      const last = await streamToEnd(`${other}${root}/requests/${submitted.request_id}/status/stream`, client.key);
      if (last.status !== 'COMPLETED') throw new Error(`fal stream ended at ${JSON.stringify(last)}`);
    } else {
      await pollUntil(client, (a) => `${a}${root}/requests/${submitted.request_id}/status`, (json) => json.status === 'COMPLETED');
    }
    const path = kind === 'seaart' ? `${root}/requests/${submitted.request_id}/response` : `/fal/fal-ai/qwen-image-2/requests/${submitted.request_id}`;
    const result = await send(`${other}${path}`, client.key);
    const images = (kind === 'seaart' ? result.outputs : result.images) as Array<{ url: string }> | undefined;
    if (!images || images.length === 0) throw new Error(`${kind} ${submitted.request_id}: ${JSON.stringify(result).slice(0, 300)}`);
    return { kind, taskId: submitted.request_id, urls: images.map((image) => image.url) };
  };

  switch (kind) {
    case 'dashscope-sync': {
      const json = await send(`${api}${DASHSCOPE_SYNC}`, client.key, { body: editBody });
      return { kind, taskId: json.request_id, urls: json.output.choices[0].message.content.map((c: { image: string }) => c.image) };
    }
    case 'dashscope-async': {
      const json = await send(`${api}${DASHSCOPE_SYNC}`, client.key, { body: editBody, headers: { 'x-dashscope-async': 'enable' } });
      return dashscopeTask(json.output.task_id);
    }
    case 'dashscope-text2image': {
      const body = { model: 'qwen-image-plus', input: { prompt }, parameters: { size: '1328*1328', n: 1 } };
      const json = await send(`${api}/api/v1/services/aigc/text2image/image-synthesis`, client.key, { body, headers: { 'x-dashscope-async': 'enable' } });
      return dashscopeTask(json.output.task_id);
    }
    case 'openai-generate': {
      const json = await send(`${api}/v1/images/generations`, client.key, { body: { model: 'qwen-image-2.0', prompt, size: '512x512', n: 2 } });
      return { kind, taskId: '', urls: json.data.map((d: { url: string }) => d.url) };
    }
    case 'openai-edit': {
      const form = new FormData();
      form.append('image', new Blob([bytes], { type: 'image/png' }), 'in.png');
      form.append('prompt', prompt);
      form.append('model', 'qwen-image-edit-plus');
      const json = await send(`${api}/v1/images/edits`, client.key, { form });
      return { kind, taskId: '', urls: json.data.map((d: { url: string }) => d.url) };
    }
    case 'nebula': {
      const body = { model: 'qwen-image-edit-plus', parameters: { n: 1 }, contents: [{ role: 'user', parts: [{ image: dataUri }, { text: prompt }] }] };
      const json = await send(`${api}/v1/images/generations`, client.key, { body });
      if (json.code !== 200) throw new Error(`nebula: ${JSON.stringify(json).slice(0, 300)}`);
      return { kind, taskId: '', urls: json.data.data.map((d: { url: string }) => d.url) };
    }
    case 'seaart': {
      const submitted = await send(`${api}/v1/queue/qwen_image_edit_plus`, client.key, { body: { prompt, images: [dataUri] } });
      if (typeof submitted.queue_position !== 'number') throw new Error(`seaart: no queue position in ${JSON.stringify(submitted)}`);
      return queueTask('/v1/queue/qwen_image_edit_plus', submitted);
    }
    case 'fal': {
      const webhook = encodeURIComponent(client.webhookUrl(`/fal/${i}`));
      const submitted = await send(`${api}/fal/fal-ai/qwen-image-2/text-to-image?fal_webhook=${webhook}`, client.key, { body: { prompt, image_size: { width: 512, height: 512 } } });
      return queueTask('/fal/fal-ai/qwen-image-2', submitted);
    }
  }
}
