/**
 * A fake Qwen reseller speaking the three body styles (protocols.md §1.6, §2; seeds 000, 001,
 * 004): a DashScope body on 302.ai's `/aliyun/…` path (DashScope answer) or on
 * `/v1/images/generations` (aigc.it: OpenAI `data[]` + `metadata`), ai-nebula's `contents` body
 * (`{code, msg, data}` envelope), and the OpenAI Images API (JSON generations, multipart edits).
 */
import type { ServerResponse } from 'node:http';
import { areaSize, imageDimensions, misbehave, parseJson, parseSize, Script, sendJson, solidPng, startFakeServer, type FakeServer } from './dashscope-kit.js';

export type ResellerRoute = 'aliyun' | 'generations' | 'edits' | 'result';
export type DetectedStyle = 'dashscope-native' | 'dashscope-on-openai-path' | 'nebula' | 'openai' | 'openai-edit';

export interface FakeReseller extends FakeServer {
  apiKey: string;
  script: Script<ResellerRoute>;
  requests: Array<{ path: string; style: DetectedStyle; body: any; images: string[]; contentType: string | undefined }>;
  results: Map<string, Buffer>;
}

interface Work {
  n: number;
  seed: number;
  size: { width: number; height: number } | undefined;
  images: string[];
  prompt: string;
}

export async function startFakeReseller(options: { apiKey?: string } = {}): Promise<FakeReseller> {
  const apiKey = options.apiKey ?? 'sk-fake-reseller';
  const script = new Script<ResellerRoute>();
  const requests: FakeReseller['requests'] = [];
  const results = new Map<string, Buffer>();
  let counter = 0;
  let base = '';

  async function make(work: Work): Promise<{ urls: string[]; pngs: Buffer[]; width: number; height: number }> {
    const last = work.images.at(-1);
    const dims = !work.size && last ? await imageDimensions(last) : undefined;
    const size = work.size ?? (dims ? areaSize(dims.width, dims.height) : { width: 1024, height: 1024 });
    const urls: string[] = [];
    const pngs: Buffer[] = [];
    for (let i = 0; i < work.n; i += 1) {
      const png = await solidPng(size.width, size.height, work.seed, i);
      const path = `/files/${(counter += 1)}.png`;
      results.set(path, png);
      urls.push(`${base}${path}`);
      pngs.push(png);
    }
    return { urls, pngs, ...size };
  }

  function dashscopeWork(body: any): Work {
    const content: any[] = body.input.messages[0].content;
    const parameters = body.parameters ?? {};
    return {
      n: parameters.n ?? 1,
      seed: parameters.seed ?? 0,
      size: parseSize(parameters.size),
      images: content.filter((c) => typeof c.image === 'string').map((c) => c.image),
      prompt: content.find((c) => typeof c.text === 'string')?.text ?? '',
    };
  }

  function nativeAnswer(made: Awaited<ReturnType<typeof make>>) {
    return {
      output: { choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: made.urls.map((image) => ({ image })) } }] },
      usage: { width: made.width, height: made.height, image_count: made.urls.length },
      request_id: `req-${counter}`,
    };
  }

  async function generations(response: ServerResponse, body: any, path: string): Promise<void> {
    if (body?.input?.messages) {
      const work = dashscopeWork(body);
      requests.push({ path, style: 'dashscope-on-openai-path', body, images: work.images, contentType: 'application/json' });
      const made = await make(work);
      return sendJson(response, 200, { created: 1762415000, data: made.urls.map((url) => ({ url, revised_prompt: '' })), metadata: nativeAnswer(made) });
    }
    if (Array.isArray(body?.contents)) {
      const parts: any[] = body.contents[0]?.parts ?? [];
      const parameters = body.parameters ?? {};
      const work: Work = {
        n: parameters.n ?? 1,
        seed: parameters.seed ?? 0,
        size: parseSize(parameters.size),
        images: parts.filter((p) => typeof p.image === 'string').map((p) => p.image),
        prompt: body.prompt,
      };
      requests.push({ path, style: 'nebula', body, images: work.images, contentType: 'application/json' });
      if (work.images.length > 3) return sendJson(response, 200, { code: 400, msg: 'Parameter Error: Image quantity exceeds limit', data: null });
      const made = await make(work);
      return sendJson(response, 200, {
        code: 200,
        msg: 'Operation successful',
        data: { data: made.urls.map((url) => ({ url, b64_json: '', revised_prompt: '' })), created: 1762415000, metadata: nativeAnswer(made) },
      });
    }
    if (typeof body?.prompt !== 'string') {
      return sendJson(response, 400, { error: { message: "Missing required parameter: 'prompt'.", type: 'invalid_request_error', param: 'prompt', code: 'missing_required_parameter' } });
    }
    requests.push({ path, style: 'openai', body, images: [], contentType: 'application/json' });
    const made = await make({ n: body.n ?? 1, seed: body.seed ?? 0, size: parseSize(body.size), images: [], prompt: body.prompt });
    return sendJson(response, 200, openAiAnswer(made, body.response_format, body.prompt_extend ? `${body.prompt} (extended)` : undefined));
  }

  function openAiAnswer(made: Awaited<ReturnType<typeof make>>, format: unknown, revised: string | undefined) {
    return {
      created: 1762415000,
      data: made.urls.map((url, i) => (format === 'b64_json' ? { b64_json: (made.pngs[i] as Buffer).toString('base64'), revised_prompt: revised } : { url, revised_prompt: revised })),
    };
  }

  async function edits(response: ServerResponse, raw: Buffer, contentType: string | undefined, path: string): Promise<void> {
    const form = await new Request('http://fake/edits', { method: 'POST', headers: { 'content-type': contentType ?? '' }, body: raw }).formData();
    const files = form.getAll('image[]').filter((v): v is Exclude<typeof v, string> => typeof v !== 'string');
    const images = await Promise.all(files.map(async (file) => `data:${file.type};base64,${Buffer.from(await file.arrayBuffer()).toString('base64')}`));
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : undefined;
    };
    const body = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string'));
    requests.push({ path, style: 'openai-edit', body, images, contentType });
    if (images.length === 0) return sendJson(response, 400, { error: { message: 'image is required', type: 'invalid_request_error', param: 'image', code: null } });
    const made = await make({ n: Number(field('n') ?? 1), seed: Number(field('seed') ?? 0), size: parseSize(field('size')), images, prompt: field('prompt') ?? '' });
    return sendJson(response, 200, openAiAnswer(made, field('response_format'), undefined));
  }

  const fake = await startFakeServer(async (request, response, raw) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    if (request.method === 'GET' && results.has(path)) {
      if (misbehave(response, script.next('result'))) return;
      const png = results.get(path) as Buffer;
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
      return;
    }
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return sendJson(response, 401, { error: { message: 'Incorrect API key provided: sk-…', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    }
    const body = parseJson(raw);
    if (request.method === 'POST' && path === '/aliyun/api/v1/services/aigc/multimodal-generation/generation') {
      if (misbehave(response, script.next('aliyun'))) return;
      const work = dashscopeWork(body);
      requests.push({ path, style: 'dashscope-native', body, images: work.images, contentType: request.headers['content-type'] });
      return sendJson(response, 200, nativeAnswer(await make(work)));
    }
    if (request.method === 'GET' && path === '/v1/models') {
      return sendJson(response, 200, { object: 'list', data: [{ id: 'qwen-image-edit-plus', object: 'model', owned_by: 'fake' }] });
    }
    if (request.method === 'POST' && path === '/v1/images/generations') {
      if (misbehave(response, script.next('generations'))) return;
      return generations(response, body, path);
    }
    if (request.method === 'POST' && path === '/v1/images/edits') {
      if (misbehave(response, script.next('edits'))) return;
      return edits(response, raw, request.headers['content-type'], path);
    }
    sendJson(response, 404, { error: { message: `Unknown route ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
  });
  base = fake.url;
  return { ...fake, apiKey, script, requests, results };
}
