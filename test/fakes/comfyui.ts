/**
 * A fake ComfyUI server (protocols.md §5): /upload/image, /prompt with graph validation, a
 * one-at-a-time queue that "samples" step by step (progress frames on /ws for the prompt's
 * client), /history, /view, /queue, /interrupt. It can hold the queue, fail executions, refuse
 * model files it does not have, drop websockets, or answer garbage.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import sharp from 'sharp';
import { WebSocketServer, type WebSocket } from 'ws';
import { misbehave, parseJson, Script, sendJson, solidPng, startFakeServer, type FakeServer } from './dashscope-kit.js';

export type ComfyRoute = 'upload' | 'prompt' | 'history' | 'queue' | 'view';

type Graph = Record<string, { class_type: string; inputs: Record<string, any> }>;

export interface FakePrompt {
  id: string;
  number: number;
  clientId: string | undefined;
  graph: Graph;
  step: number;
  steps: number;
  state: 'pending' | 'running' | 'done';
}

export interface FakeComfyOptions {
  /** Model files the server has; others fail validation. */
  files?: { unet?: string[]; clip?: string[]; vae?: string[]; lora?: string[] };
  /** Milliseconds per sampler step. */
  stepMs?: number;
  /** Makes executions fail with this exception. */
  executionError?: { exception_type: string; exception_message: string } | undefined;
}

export interface FakeComfy extends FakeServer {
  options: FakeComfyOptions;
  script: Script<ComfyRoute>;
  prompts: Map<string, FakePrompt>;
  uploads: Map<string, Buffer>;
  history: Map<string, any>;
  /** Progress frames sent, by prompt id. */
  progressSent: Map<string, number>;
  interrupts: string[];
  deleted: string[];
  /** Stops starting queued prompts (a busy GPU) until release(). */
  hold(): void;
  release(): void;
  /** Closes every websocket (clients are expected to reconnect). */
  dropSockets(): void;
  socketCount(): number;
}

const KNOWN = new Set([
  'UNETLoader', 'CLIPLoader', 'VAELoader', 'LoraLoaderModelOnly', 'ModelSamplingAuraFlow', 'CFGNorm', 'LoadImage', 'ImageScaleToTotalPixels',
  'VAEEncode', 'EmptySD3LatentImage', 'RepeatLatentBatch', 'TextEncodeQwenImageEditPlus', 'KSampler', 'VAEDecode', 'SaveImage',
]);

const DEFAULT_FILES = {
  unet: ['qwen_image_edit_2509_fp8_e4m3fn.safetensors'],
  clip: ['qwen_2.5_vl_7b_fp8_scaled.safetensors'],
  vae: ['qwen_image_vae.safetensors'],
  lora: ['Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors'],
};

export async function startFakeComfy(options: FakeComfyOptions = {}): Promise<FakeComfy> {
  const files = { ...DEFAULT_FILES, ...options.files };
  const script = new Script<ComfyRoute>();
  const prompts = new Map<string, FakePrompt>();
  const uploads = new Map<string, Buffer>();
  const outputs = new Map<string, Buffer>();
  const history = new Map<string, any>();
  const progressSent = new Map<string, number>();
  const sockets = new Map<string, WebSocket>();
  const interrupts: string[] = [];
  const deleted: string[] = [];
  let counter = 0;
  let held = false;
  let timer: NodeJS.Timeout | null = null;

  const send = (clientId: string | undefined, type: string, data: unknown) => {
    const socket = clientId ? sockets.get(clientId) : undefined;
    if (socket?.readyState === 1) socket.send(JSON.stringify({ type, data }));
  };

  function validate(graph: Graph): Record<string, unknown> {
    const errors: Record<string, unknown> = {};
    const fail = (id: string, message: string) => (errors[id] = { errors: [{ type: 'value_not_in_list', message, details: message }], class_type: graph[id]?.class_type });
    for (const [id, node] of Object.entries(graph)) {
      if (!KNOWN.has(node.class_type)) fail(id, `unknown node ${node.class_type}`);
      for (const value of Object.values(node.inputs)) {
        if (Array.isArray(value) && !graph[value[0]]) fail(id, `link to missing node ${value[0]}`);
      }
      const check = (list: string[], name: string) => !list.includes(name) && fail(id, `Value not in list: ${name}`);
      if (node.class_type === 'UNETLoader') check(files.unet, node.inputs.unet_name);
      if (node.class_type === 'CLIPLoader') check(files.clip, node.inputs.clip_name);
      if (node.class_type === 'VAELoader') check(files.vae, node.inputs.vae_name);
      if (node.class_type === 'LoraLoaderModelOnly') check(files.lora, node.inputs.lora_name);
      if (node.class_type === 'LoadImage' && !uploads.has(node.inputs.image)) fail(id, `Invalid image file: ${node.inputs.image}`);
    }
    return errors;
  }

  async function outputSize(graph: Graph): Promise<{ width: number; height: number; batch: number }> {
    const nodes = Object.values(graph);
    const empty = nodes.find((n) => n.class_type === 'EmptySD3LatentImage');
    if (empty) return { width: empty.inputs.width, height: empty.inputs.height, batch: empty.inputs.batch_size };
    const scale = nodes.find((n) => n.class_type === 'ImageScaleToTotalPixels') as Graph[string];
    const load = graph[scale.inputs.image[0]] as Graph[string];
    const meta = await sharp(uploads.get(load.inputs.image)).metadata();
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    const by = Math.sqrt((scale.inputs.megapixels * 1024 * 1024) / (w * h));
    const steps = scale.inputs.resolution_steps ?? 1;
    const round = (side: number) => Math.round((side * by) / steps) * steps;
    const repeat = nodes.find((n) => n.class_type === 'RepeatLatentBatch');
    // The VAE works on multiples of 8.
    return { width: Math.floor(round(w) / 8) * 8, height: Math.floor(round(h) / 8) * 8, batch: repeat?.inputs.amount ?? 1 };
  }

  /** Like ComfyUI, the prompt leaves queue_running only once its history is written. */
  async function finish(prompt: FakePrompt): Promise<void> {
    const messages: unknown[] = [['execution_start', { prompt_id: prompt.id }]];
    if (options.executionError) {
      messages.push(['execution_error', { prompt_id: prompt.id, node_id: '30', node_type: 'KSampler', ...options.executionError }]);
      history.set(prompt.id, { prompt: [], outputs: {}, status: { status_str: 'error', completed: false, messages } });
      prompt.state = 'done';
      send(prompt.clientId, 'execution_error', { prompt_id: prompt.id, ...options.executionError });
      return;
    }
    const [saveId] = Object.entries(prompt.graph).find(([, n]) => n.class_type === 'SaveImage') as [string, Graph[string]];
    const sampler = Object.values(prompt.graph).find((n) => n.class_type === 'KSampler') as Graph[string];
    const size = await outputSize(prompt.graph);
    const images = [];
    for (let i = 0; i < size.batch; i += 1) {
      const filename = `${String(prompt.graph[saveId]?.inputs.filename_prefix).replace(/\//g, '_')}_${(counter += 1)}_.png`;
      outputs.set(`output/qig/${filename}`, await solidPng(size.width, size.height, sampler.inputs.seed, i));
      images.push({ filename, subfolder: 'qig', type: 'output' });
    }
    messages.push(['execution_success', { prompt_id: prompt.id }]);
    history.set(prompt.id, { prompt: [], outputs: { [saveId]: { images } }, status: { status_str: 'success', completed: true, messages } });
    prompt.state = 'done';
    send(prompt.clientId, 'executed', { node: saveId, output: { images }, prompt_id: prompt.id });
    send(prompt.clientId, 'executing', { node: null, prompt_id: prompt.id });
    send(prompt.clientId, 'execution_success', { prompt_id: prompt.id });
  }

  /** Advances the running prompt one step, or starts the next queued one. */
  function tick(): void {
    timer = null;
    const running = [...prompts.values()].find((p) => p.state === 'running');
    if (running) {
      running.step += 1;
      progressSent.set(running.id, (progressSent.get(running.id) ?? 0) + 1);
      send(running.clientId, 'progress', { value: running.step, max: running.steps, prompt_id: running.id, node: '30' });
      if (running.step >= running.steps) {
        void finish(running).then(schedule);
        return;
      }
    } else if (!held) {
      const next = [...prompts.values()].find((p) => p.state === 'pending');
      if (next) {
        next.state = 'running';
        send(next.clientId, 'execution_start', { prompt_id: next.id });
      }
    }
    schedule();
  }

  function schedule(): void {
    if (timer) return;
    const busy = [...prompts.values()].some((p) => p.state === 'running' || (p.state === 'pending' && !held));
    if (busy) timer = setTimeout(tick, options.stepMs ?? 5);
  }

  function queueItem(prompt: FakePrompt) {
    return [prompt.number, prompt.id, prompt.graph, { client_id: prompt.clientId }, []];
  }

  async function upload(response: ServerResponse, request: IncomingMessage, raw: Buffer): Promise<void> {
    const form = await new Request('http://fake/upload', { method: 'POST', headers: { 'content-type': request.headers['content-type'] ?? '' }, body: raw }).formData();
    const image = form.get('image');
    if (!image || typeof image === 'string') return sendJson(response, 400, { error: 'no image' });
    uploads.set(image.name, Buffer.from(await image.arrayBuffer()));
    sendJson(response, 200, { name: image.name, subfolder: '', type: form.get('type') ?? 'input' });
  }

  function submit(response: ServerResponse, body: any): void {
    if (!body?.prompt) return sendJson(response, 400, { error: 'no prompt', node_errors: [] });
    const errors = validate(body.prompt);
    if (Object.keys(errors).length > 0) {
      return sendJson(response, 400, { error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} }, node_errors: errors });
    }
    const sampler = Object.values(body.prompt as Graph).find((n) => n.class_type === 'KSampler');
    const id = `prompt-${(counter += 1)}`;
    prompts.set(id, { id, number: counter, clientId: body.client_id, graph: body.prompt, step: 0, steps: sampler?.inputs.steps ?? 1, state: 'pending' });
    sendJson(response, 200, { prompt_id: id, number: counter, node_errors: {} });
    schedule();
  }

  function interrupt(body: any): void {
    const running = [...prompts.values()].find((p) => p.state === 'running');
    if (!running || (body?.prompt_id && body.prompt_id !== running.id)) return;
    interrupts.push(running.id);
    running.state = 'done';
    history.set(running.id, { prompt: [], outputs: {}, status: { status_str: 'error', completed: false, messages: [['execution_interrupted', { prompt_id: running.id, node_id: '30', node_type: 'KSampler', executed: [] }]] } });
    send(running.clientId, 'execution_interrupted', { prompt_id: running.id });
    schedule();
  }

  const fake = await startFakeServer(async (request, response, raw) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/api(?=\/)/, '');
    const body = parseJson(raw);
    if (request.method === 'POST' && path === '/upload/image') return misbehave(response, script.next('upload')) ? undefined : upload(response, request, raw);
    if (request.method === 'POST' && path === '/prompt') return misbehave(response, script.next('prompt')) ? undefined : submit(response, body);
    if (request.method === 'GET' && path.startsWith('/history/')) {
      if (misbehave(response, script.next('history'))) return;
      const id = decodeURIComponent(path.slice('/history/'.length));
      return sendJson(response, 200, history.has(id) ? { [id]: history.get(id) } : {});
    }
    if (request.method === 'GET' && path === '/queue') {
      if (misbehave(response, script.next('queue'))) return;
      const all = [...prompts.values()];
      return sendJson(response, 200, { queue_running: all.filter((p) => p.state === 'running').map(queueItem), queue_pending: all.filter((p) => p.state === 'pending').map(queueItem) });
    }
    if (request.method === 'POST' && path === '/queue') {
      for (const id of body?.delete ?? []) {
        if (prompts.get(id)?.state === 'pending') {
          prompts.delete(id);
          deleted.push(id);
        }
      }
      return sendJson(response, 200, {});
    }
    if (request.method === 'POST' && path === '/interrupt') {
      interrupt(body);
      return sendJson(response, 200, {});
    }
    if (request.method === 'GET' && path === '/view') {
      if (misbehave(response, script.next('view'))) return;
      const key = `${url.searchParams.get('type')}/${url.searchParams.get('subfolder')}/${url.searchParams.get('filename')}`;
      const file = outputs.get(key);
      if (!file) return sendJson(response, 404, { error: 'not found' });
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': file.length }).end(file);
      return;
    }
    sendJson(response, 404, { error: `no route ${request.method} ${path}` });
  });

  const wss = new WebSocketServer({ noServer: true });
  fake.server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (url.pathname !== '/ws') return socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => {
      const clientId = url.searchParams.get('clientId') ?? `anon-${(counter += 1)}`;
      sockets.set(clientId, ws);
      ws.on('close', () => sockets.get(clientId) === ws && sockets.delete(clientId));
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: clientId } }));
    });
  });

  return {
    ...fake,
    options,
    script,
    prompts,
    uploads,
    history,
    progressSent,
    interrupts,
    deleted,
    hold: () => void (held = true),
    release() {
      held = false;
      schedule();
    },
    dropSockets() {
      for (const ws of sockets.values()) ws.terminate();
      sockets.clear();
    },
    socketCount: () => sockets.size,
    async close() {
      if (timer) clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await fake.close();
    },
  };
}
