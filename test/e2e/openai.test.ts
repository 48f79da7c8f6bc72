/**
 * The OpenAI Images API end to end with the official `openai` npm package pointed at the server,
 * plus the reseller bodies of seeds 001 and 004 and multipart edge cases over plain HTTP.
 */
import assert from 'node:assert/strict';
import { createReadStream, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';
import { gradientImage } from '../helpers/images.js';
import { seedBodies } from '../helpers/seeds.js';
import { readFileSync } from 'node:fs';

let server: TestGateway;
let images: ImageServer;
let client: OpenAI;
let portrait: Buffer;
let landscape: Buffer;

before(async () => {
  images = await startImageServer();
  portrait = await gradientImage(600, 900);
  landscape = await gradientImage(900, 600, 'jpeg');
  images.put('/portrait.png', portrait);
  images.put('/landscape.jpg', landscape, 'image/jpeg');
  server = await startTestGateway({ config: { fetch: { allowHosts: [images.hostPort] } } });
  client = new OpenAI({ apiKey: server.key, baseURL: `${server.url}/v1`, maxRetries: 0 });
});

after(async () => {
  await server.close();
  await images.close();
});

async function sizeOf(url: string): Promise<[number, number]> {
  const meta = await sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).metadata();
  return [meta.width ?? 0, meta.height ?? 0];
}

describe('openai SDK', () => {
  it('images.generate answers URLs of the asked size, with output_format and x-request-id', async () => {
    const { data: result, response } = await client.images.generate({ model: 'qwen-image-2.0-pro', prompt: 'a green "Hi" sign', size: '1024x768', response_format: 'url' }).withResponse();
    assert.equal(typeof result.created, 'number');
    assert.equal(result.data?.length, 1);
    assert.equal(result.size, undefined, "1024x768 is not a size OpenAI's schema allows in an answer: left out");
    assert.equal(result.output_format, 'png');
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(await sizeOf(result.data![0]!.url!), [1024, 768]);
  });

  it('b64_json decodes to a PNG of the computed size', async () => {
    const result = await client.images.generate({ prompt: 'a red kite', size: '512x512', response_format: 'b64_json', n: 2 });
    assert.equal(result.data?.length, 2);
    for (const item of result.data ?? []) {
      const meta = await sharp(Buffer.from(item.b64_json!, 'base64')).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', 512, 512]);
    }
  });

  it('images.edit with two files, one of them a stream (chunked, octet-stream part)', async () => {
    const dir = server.dataDir;
    writeFileSync(join(dir, 'b.png'), portrait);
    const result = await client.images.edit({
      model: 'qwen-image-edit-plus',
      image: [await toFile(landscape, 'a.jpg', { type: 'image/jpeg' }), createReadStream(join(dir, 'b.png'))],
      prompt: 'make it black and white',
      n: 2,
    });
    assert.equal(result.data?.length, 2);
    // The default size follows the last image (the 2:3 portrait): about 1 MP in multiples of 16.
    assert.equal(result.size, undefined);
    assert.deepEqual(await sizeOf(result.data![0]!.url!), [832, 1248]);
  });

  it('streams image_generation.completed events the SDK reads', async () => {
    const stream = await client.images.generate({ prompt: 'a blue circle', size: '512x512', stream: true, model: 'qwen-image-2.0-pro' });
    const events: Array<{ type: string; b64_json?: string }> = [];
    for await (const event of stream) events.push(event as { type: string; b64_json?: string });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'image_generation.completed');
    const meta = await sharp(Buffer.from(events[0]!.b64_json!, 'base64')).metadata();
    assert.equal(meta.width, 512);
  });

  it('streams image_edit.completed for edits', async () => {
    const stream = await client.images.edit({ image: await toFile(portrait, 'p.png'), prompt: 'invert the colours', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual(types, ['image_edit.completed']);
  });

  it('names ignored OpenAI fields in x-qig-ignored-params and serves OpenAI model names with the default', async () => {
    const { data, response } = await client.images
      .generate({ model: 'dall-e-3', prompt: 'a lighthouse', size: '1024x1024', quality: 'hd', style: 'vivid', user: 'u1' })
      .withResponse();
    assert.equal(response.headers.get('x-qig-ignored-params'), 'quality, style');
    assert.equal(response.headers.get('x-qig-model'), 'qwen-image-2.0-pro');
    assert.equal(data.data?.length, 1);
  });

  it('says why an answer has fewer images than n, in x-qig-warnings (the answer has no field for it)', async () => {
    const { data, response } = await client.images
      .edit({ model: 'qwen-image-edit-plus', image: await toFile(landscape, 'a.jpg', { type: 'image/jpeg' }), prompt: 'invert the colours', n: 2, response_format: 'url' })
      .withResponse();
    assert.equal(data.data?.length, 1);
    assert.match(response.headers.get('x-qig-warnings') ?? '', /asked for 2 images; this edit has one result, so 1 was made/);
    const full = await client.images.edit({ model: 'qwen-image-edit-plus', image: await toFile(landscape, 'a.jpg', { type: 'image/jpeg' }), prompt: 'make it black and white', n: 2, response_format: 'url' }).withResponse();
    assert.equal(full.data.data?.length, 2);
    assert.doesNotMatch(full.response.headers.get('x-qig-warnings') ?? '', /asked for/);
  });

  it('takes the Qwen parameters top-level and inside parameters', async () => {
    const body = { prompt: 'a field', size: '512x512', negative_prompt: 'blur', parameters: { seed: 77, watermark: true } } as unknown as OpenAI.ImageGenerateParamsNonStreaming;
    const a = await client.images.generate({ ...body, response_format: 'b64_json' });
    const b = await client.images.generate({ ...body, response_format: 'b64_json' });
    assert.equal(a.data![0]!.b64_json, b.data![0]!.b64_json, 'same seed, same bytes');
  });

  it('sends revised_prompt only when prompt_extend rewrote the prompt', async () => {
    const placeholder = await client.images.generate({ model: 'qwen-image-2.0', prompt: 'a red kite', size: '512x512', response_format: 'url' });
    assert.equal(placeholder.data![0]!.revised_prompt, undefined, "the local engine's placeholder revises nothing");
    const edit = async (prompt_extend: boolean) =>
      client.images.edit({ model: 'qwen-image-edit-plus', image: await toFile(landscape, 'a.jpg', { type: 'image/jpeg' }), prompt: 'make it black and white', response_format: 'url', prompt_extend } as OpenAI.ImageEditParamsNonStreaming);
    assert.equal((await edit(false)).data![0]!.revised_prompt, undefined);
    assert.equal((await edit(true)).data![0]!.revised_prompt, 'black and white, keep the composition and subject unchanged, lighting and shadows remain consistent');
  });

  it('raises the SDK error class that matches each error', async () => {
    const bad = new OpenAI({ apiKey: 'sk-qig-nope', baseURL: `${server.url}/v1`, maxRetries: 0 });
    await assert.rejects(bad.images.generate({ prompt: 'x' }), (e: unknown) => e instanceof OpenAI.AuthenticationError && (e.code as string) === 'invalid_api_key');
    await assert.rejects(client.images.generate({ prompt: 'x', model: 'qwen-image-ultra' }), (e: unknown) => e instanceof OpenAI.NotFoundError);
    await assert.rejects(client.images.generate({ prompt: 'x', model: 'qwen-image-max', n: 2 }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.equal(e.param, 'n');
      assert.equal(e.type, 'invalid_request_error');
      assert.match(e.message, /n: must be 1 for model qwen-image-max/);
      return true;
    });
    await assert.rejects(client.images.generate({ prompt: 'x', size: '100x100' }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'size');
    await assert.rejects(client.images.generate({ prompt: 'x', response_format: 'gif' as 'url' }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'response_format');
    const limited = await server.gateway.keys.create({ name: 'limited', models: ['qwen-image-plus'] });
    const limitedClient = new OpenAI({ apiKey: limited.secret, baseURL: `${server.url}/v1`, maxRetries: 0 });
    await assert.rejects(limitedClient.images.generate({ prompt: 'x', model: 'qwen-image-max' }), (e: unknown) => e instanceof OpenAI.PermissionDeniedError);
  });

  it('refuses a mask, naming it', async () => {
    await assert.rejects(
      client.images.edit({ image: await toFile(portrait, 'p.png'), mask: await toFile(portrait, 'm.png'), prompt: 'x' }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'mask' && /no mask/.test(e.message),
    );
  });
});

/** A multipart body built by hand, optionally sent chunked with no Content-Length. */
function multipart(parts: Array<{ name: string; value?: string; file?: Buffer; filename?: string; type?: string }>) {
  const boundary = `qig${Date.now()}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.file ? `; filename="${part.filename ?? 'f.bin'}"` : ''}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.file ? `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n` : ''}\r\n`;
    chunks.push(Buffer.from(head), part.file ?? Buffer.from(part.value ?? ''), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function postChunked(path: string, body: Buffer, contentType: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${server.key}`, 'content-type': contentType, 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    Readable.from((function* () {
      for (let i = 0; i < body.length; i += 65536) yield body.subarray(i, i + 65536);
    })()).pipe(req);
  });
}

async function postEdit(parts: Parameters<typeof multipart>[0]) {
  const { body, contentType } = multipart(parts);
  return postChunked('/v1/images/edits', body, contentType);
}

describe('multipart edge cases', () => {
  it('keeps image[N] order, whatever the order of the parts', async () => {
    const { status, json } = await postEdit([
      { name: 'image[1]', file: landscape },
      { name: 'image[0]', file: portrait },
      { name: 'prompt', value: 'sepia' },
    ]);
    assert.equal(status, 200, JSON.stringify(json));
    // qwen-image-2.0-pro (the default model) keeps the last image's own resolution: image[1], 900×600.
    assert.deepEqual(await sizeOf(json.data[0].url), [896, 608], 'the last image (image[1], landscape) sets the size');
  });

  it('accepts repeated "image" parts, octet-stream types, and numbers and booleans as strings', async () => {
    const { status, json } = await postEdit([
      { name: 'image', file: portrait, type: 'application/octet-stream' },
      { name: 'image', file: landscape, type: 'application/octet-stream' },
      // Black and white through different colour filters: two results that differ on any colourful picture.
      { name: 'prompt', value: 'make it black and white' },
      { name: 'n', value: '2' },
      { name: 'watermark', value: 'true' },
      { name: 'seed', value: '12' },
      { name: 'response_format', value: 'b64_json' },
    ]);
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.data.length, 2);
    assert.ok(json.data[0].b64_json.length > 1000);
  });

  it('refuses a file over 10 MB, naming it', async () => {
    const big = Buffer.concat([portrait, Buffer.alloc(10 * 1024 * 1024)]);
    const { status, json } = await postEdit([{ name: 'image[]', file: portrait }, { name: 'image[]', file: big, filename: 'big.png' }, { name: 'prompt', value: 'x' }]);
    assert.equal(status, 400);
    assert.equal(json.error.param, 'image[1]');
    assert.match(json.error.message, /big\.png is larger than 10 MB/);
  });

  it('refuses a fourth image, naming it', async () => {
    const { status, json } = await postEdit([...[0, 1, 2, 3].map(() => ({ name: 'image[]', file: portrait })), { name: 'prompt', value: 'x' }]);
    assert.equal(status, 400);
    assert.equal(json.error.param, 'image[3]');
    assert.match(json.error.message, /at most 3 images/);
  });

  it('refuses a wrong value of a field we use, with param set', async () => {
    const { status, json } = await postEdit([{ name: 'image', file: portrait }, { name: 'prompt', value: 'x' }, { name: 'n', value: 'two' }]);
    assert.equal(status, 400);
    assert.equal(json.error.param, 'n');
  });

  it('takes a JSON edit with image URLs and data URIs', async () => {
    const response = await fetch(`${server.url}/v1/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-image-edit-plus', prompt: 'invert', images: [{ image_url: images.url('/landscape.jpg') }, `data:image/png;base64,${portrait.toString('base64')}`] }),
    });
    const json = (await response.json()) as any;
    assert.equal(response.status, 200, JSON.stringify(json));
    assert.deepEqual(await sizeOf(json.data[0].url), [832, 1248]);
  });
});

/** Seed request bodies with their image URLs pointed at our loopback server. */
function pointImagesAt(value: unknown): void {
  if (Array.isArray(value)) value.forEach(pointImagesAt);
  else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [key, inner] of Object.entries(record)) {
      if (key === 'image' && typeof inner === 'string') {
        record[key] = inner.endsWith('.webp') || inner.includes('input1') ? images.url('/portrait.png') : images.url('/landscape.jpg');
      }
      else pointImagesAt(inner);
    }
  }
}

async function postJson(path: string, body: unknown) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as any };
}

describe('seed 001: the DashScope body on /v1/images/generations', () => {
  it('answers OpenAI data[] plus the DashScope-native response as metadata', async () => {
    const bodies = seedBodies('001_64a870f5d0232faf.txt');
    assert.equal(bodies.length, 5);
    const anime = bodies[2] as Record<string, any>;
    pointImagesAt(anime);
    const { status, json } = await postJson('/v1/images/generations', anime);
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.data.length, 1);
    assert.equal(json.size, '1024x1024');
    assert.equal(json.metadata.output.choices[0].message.content[0].image, json.data[0].url);
    assert.deepEqual(json.metadata.usage, { width: 1024, height: 1024, image_count: 1, unit_price: '0.00', amount: '0.00', currency: 'CNY' });
    const style = bodies[3] as Record<string, any>;
    pointImagesAt(style);
    const second = await postJson('/v1/images/generations', style);
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.equal(second.json.data.length, 2);
  });

  it('answers the examples a classical engine cannot do with an OpenAI error that says why', async () => {
    for (const index of [0, 1, 4]) {
      const body = seedBodies('001_64a870f5d0232faf.txt')[index] as Record<string, any>;
      pointImagesAt(body);
      const { status, json } = await postJson('/v1/images/generations', body);
      assert.equal(status, 400, JSON.stringify(json));
      assert.equal(json.error.code, 'unsupported_instruction');
      assert.match(json.error.message, /generative model|upstream engine|not understood/i);
    }
  });
});

describe('seed 004: the ai-nebula body', () => {
  // Seed 004's request body as the page gives it, without its // comments (not JSON).
  const seed = () => {
    const body = JSON.parse(readFileSync(new URL('../fixtures/seed-004-body.json', import.meta.url), 'utf8')) as Record<string, any>;
    pointImagesAt(body);
    return body;
  };

  it('answers the envelope with the DashScope response as metadata', async () => {
    const body = seed();
    body.contents[0].parts.at(-1).text = 'make it black and white';
    const { status, json } = await postJson('/v1/images/generations', body);
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.code, 200);
    assert.equal(json.msg, 'Operation successful');
    assert.equal(json.data.data.length, 2);
    assert.deepEqual(Object.keys(json.data.data[0]).sort(), ['b64_json', 'revised_prompt', 'url']);
    assert.equal(typeof json.data.created, 'number');
    assert.equal(json.data.metadata.usage.image_count, 2);
    assert.equal(json.data.metadata.output.choices[0].message.content.length, 2);
    assert.match(json.data.metadata.request_id, /^[0-9a-f-]{36}$/);
  });

  it('sent verbatim, answers the error envelope: the local engine cannot read "Editing instruction"', async () => {
    const { status, json } = await postJson('/v1/images/generations', seed());
    assert.equal(status, 400);
    assert.equal(json.code, 400);
    assert.equal(json.data, null);
    assert.match(json.msg, /^Parameter Error: /);
  });

  it('renders every error as {code, msg, data: null}', async () => {
    const four = seed();
    four.contents[0].parts.unshift({ image: images.url('/portrait.png') });
    const tooMany = await postJson('/v1/images/generations', four);
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.json.msg, /^Parameter Error: .*at most 3 input images; 4 given/);
    const response = await fetch(`${server.url}/v1/images/generations`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: JSON.stringify(seed()) });
    assert.equal(response.status, 401);
    assert.deepEqual(Object.keys((await response.json()) as object).sort(), ['code', 'data', 'msg']);
  });
});
