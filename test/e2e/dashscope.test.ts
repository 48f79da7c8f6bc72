/**
 * End to end: the real server on 127.0.0.1 port 0 with a temporary data dir, driven with the
 * seeds' bodies over plain HTTP. Input images come from a loopback server the config allow-lists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp, { type Metadata, type Stats } from 'sharp';
import { BUILT_IN_WARNING } from '../../src/domain/built-in-engine.js';
import { seedBody } from '../helpers/seeds.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';
import { gradientImage } from '../helpers/images.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;
const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';

let images: ImageServer;
let server: TestGateway;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** Seed 000's body with our own image URLs (and optionally another instruction). */
function seed000(text?: string): Record<string, any> {
  const body = seedBody('000_1147de8a07277233.txt') as Record<string, any>;
  const content = body.input.messages[0].content as Array<Record<string, string>>;
  ['/1.png', '/2.jpg', '/3.webp'].forEach((path, i) => {
    (content[i] as Record<string, string>).image = images.url(path);
  });
  if (text) (content[3] as Record<string, string>).text = text;
  return body;
}

async function fetchImage(url: string): Promise<{ status: number; meta: Metadata; stats: Stats }> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/png');
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, meta: await sharp(bytes).metadata(), stats: await sharp(bytes).stats() };
}

async function waitForTask(taskId: string, statuses = ['SUCCEEDED', 'FAILED', 'CANCELED']): Promise<Record<string, any>> {
  for (let i = 0; i < 200; i += 1) {
    const { json } = await call('GET', `/api/v1/tasks/${taskId}`);
    if (statuses.includes(json.output.task_status)) return json;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`task ${taskId} did not reach ${statuses.join('/')}`);
}

before(async () => {
  images = await startImageServer();
  images.put('/1.png', await gradientImage(800, 600, 'png'));
  images.put('/2.jpg', await gradientImage(640, 640, 'jpeg'), 'image/jpeg');
  images.put('/3.webp', await gradientImage(1500, 1000, 'webp'), 'image/webp');
  images.put('/tall.png', await gradientImage(600, 900, 'png'));
  images.put('/svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml');
  images.put('/broken.png', (await gradientImage(600, 600, 'png')).subarray(0, 2000));
  images.put('/huge.png', Buffer.concat([await gradientImage(400, 400, 'png'), Buffer.alloc(11 * 1024 * 1024)]));
  server = await startTestGateway({ config: { fetch: { allowHosts: [images.hostPort] }, files: { signingSecret: 'test-signing-secret-0123456789' } } });
});

after(async () => {
  await server.close();
  await images.close();
});

describe('DashScope sync generation', () => {
  it('answers seed 000 (own images, a classical instruction) with edited images at our signed URLs', async () => {
    const { status, headers, json } = await call('POST', SYNC, seed000('把图片变成黑白并顺时针旋转90度'));
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(Object.keys(json), ['output', 'usage', 'request_id']);
    assert.match(json.request_id, UUID);
    assert.equal(headers.get('x-request-id'), json.request_id);
    const choice = json.output.choices[0];
    assert.equal(json.output.choices.length, 1);
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.message.content.length, 2);
    assert.deepEqual(json.usage, { width: 1024, height: 2048, image_count: 2, unit_price: '0.00', amount: '0.00', currency: 'CNY' }, 'the built-in engine is free');
    const urls = choice.message.content.map((c: { image: string }) => c.image) as string[];
    assert.notEqual(urls[0], urls[1], 'two variants differ');
    for (const url of urls) {
      assert.match(url, new RegExp(`^${server.url}/files/[0-9a-f]{64}\\.png\\?exp=\\d+&sig=[\\w-]+$`));
      const { meta, stats } = await fetchImage(url);
      assert.equal(meta.width, 1024);
      assert.equal(meta.height, 2048);
      const [r, g, b] = stats.channels;
      assert.ok(Math.abs((r?.mean ?? 0) - (g?.mean ?? 0)) < 1 && Math.abs((g?.mean ?? 0) - (b?.mean ?? 0)) < 1, 'black and white');
    }
  });

  it('refuses seed 000\'s own instruction on the local engine, saying what it cannot and where its vocabulary is', async () => {
    const { status, json } = await call('POST', SYNC, seed000());
    assert.equal(status, 400);
    assert.deepEqual(Object.keys(json).sort(), ['code', 'message', 'request_id']);
    assert.equal(json.code, 'InvalidParameter');
    assert.match(json.message, /generative model/i);
    assert.match(json.message, /docs\/local-engine\.md#vocabulary/);
    assert.ok(json.message.length <= 300, json.message);
  });

  it('answers seed 003 (text-to-image on qwen-image-2.0-pro) at the asked size', async () => {
    const { status, json } = await call('POST', SYNC, seedBody('003_68f3b1401b88ee7b.txt'));
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(json.usage, { width: 2048, height: 2048, image_count: 1, unit_price: '0.00', amount: '0.00', currency: 'CNY' });
    const { meta } = await fetchImage(json.output.choices[0].message.content[0].image);
    assert.equal(meta.width, 2048);
  });

  it('defaults the size to the last image\'s aspect ratio at about 1 MP (3:2 → 1248×832)', async () => {
    const body = seed000('make it sepia');
    delete body.parameters.size;
    body.parameters.n = 1;
    const { status, json } = await call('POST', SYNC, body);
    assert.equal(status, 200, JSON.stringify(json));
    assert.deepEqual(json.usage, { width: 1248, height: 832, image_count: 1, unit_price: '0.00', amount: '0.00', currency: 'CNY' });
  });

  it('draws the watermark when asked', async () => {
    const body = seed000('invert the colours');
    body.parameters = { n: 1, size: '1024*1024', watermark: true, seed: 5 };
    const marked = await call('POST', SYNC, body);
    body.parameters.watermark = false;
    const plain = await call('POST', SYNC, body);
    const read = async (url: string) => sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).raw().toBuffer();
    const a = await read(marked.json.output.choices[0].message.content[0].image);
    const b = await read(plain.json.output.choices[0].message.content[0].image);
    const pixel = (x: number, y: number) => (y * 1024 + x) * 3;
    let changedBottomRight = 0;
    for (let y = 960; y < 1024; y += 1) for (let x = 700; x < 1024; x += 1) if (a[pixel(x, y)] !== b[pixel(x, y)]) changedBottomRight += 1;
    assert.ok(changedBottomRight > 200, `watermark pixels: ${changedBottomRight}`);
    assert.deepEqual(a.subarray(0, 3 * 1024 * 100), b.subarray(0, 3 * 1024 * 100), 'top untouched');
  });

  it('gives byte-identical images for the same request and seed', async () => {
    const body = seed000('cartoon style');
    body.parameters = { n: 1, size: '768*768', seed: 1234 };
    const first = await call('POST', SYNC, body);
    const second = await call('POST', SYNC, body);
    const bytes = async (r: typeof first) => Buffer.from(await (await fetch(r.json.output.choices[0].message.content[0].image)).arrayBuffer());
    assert.deepEqual(await bytes(first), await bytes(second));
  });

  it('names what it adjusted or did not understand in output.warnings', async () => {
    const body = seed000('make it black and white, and also frobnicate the widget');
    body.parameters = { n: 1, size: '1024*1024', negative_prompt: 'x'.repeat(600), style: 'vivid' };
    const { status, json } = await call('POST', SYNC, body);
    assert.equal(status, 200, JSON.stringify(json));
    const warnings = (json.output.warnings as string[]).join('\n');
    assert.match(warnings, /frobnicate/);
    assert.match(warnings, /parameters\.negative_prompt was longer than 500 characters/);
    assert.match(warnings, /parameters\.style is not a Qwen-Image parameter/);
    // The built-in engine's own line only (test/e2e/built-in-engine.test.ts: none on an upstream).
    const plain = await call('POST', SYNC, { ...seed000('make it black and white'), parameters: { n: 1 } });
    assert.deepEqual(plain.json.output.warnings, [BUILT_IN_WARNING]);
  });

  it('serves the same routes under /aliyun', async () => {
    const body = seed000('blur it');
    body.parameters = { n: 1 };
    const { status, json } = await call('POST', `/aliyun${SYNC}`, body);
    assert.equal(status, 200);
    assert.equal(json.output.choices[0].message.content.length, 1);
  });
});

describe('DashScope async tasks', () => {
  it('answers X-DashScope-Async with a PENDING task, then SUCCEEDED with results and times', async () => {
    const body = seed000('turn it into an anime style picture');
    body.parameters = { n: 2, size: '1024*768', seed: 99 };
    const submit = await call('POST', SYNC, body, { 'x-dashscope-async': 'enable' });
    assert.equal(submit.status, 200);
    assert.deepEqual(Object.keys(submit.json), ['output', 'request_id']);
    assert.equal(submit.json.output.task_status, 'PENDING');
    assert.match(submit.json.output.task_id, UUID);
    const done = await waitForTask(submit.json.output.task_id);
    const output = done.output;
    assert.equal(output.task_status, 'SUCCEEDED');
    assert.equal(output.task_id, submit.json.output.task_id);
    for (const key of ['submit_time', 'scheduled_time', 'end_time']) assert.match(output[key], TIME);
    assert.equal(output.results.length, 2);
    for (const result of output.results) {
      assert.equal(result.orig_prompt, 'turn it into an anime style picture');
      assert.equal(typeof result.actual_prompt, 'string');
      await fetchImage(result.url);
    }
    assert.deepEqual(output.task_metrics, { TOTAL: 2, SUCCEEDED: 2, FAILED: 0 });
    assert.deepEqual(done.usage, { image_count: 2, unit_price: '0.00', amount: '0.00', currency: 'CNY' });
  });

  it('runs text2image/image-synthesis with input.prompt (qwen-image-plus at its default 1664×928)', async () => {
    const submit = await call('POST', '/api/v1/services/aigc/text2image/image-synthesis', { model: 'qwen-image-plus', input: { prompt: 'a red "Hello" sign' } }, { 'x-dashscope-async': 'enable' });
    assert.equal(submit.json.output.task_status, 'PENDING');
    const done = await waitForTask(submit.json.output.task_id);
    assert.equal(done.output.task_status, 'SUCCEEDED');
    const { meta } = await fetchImage(done.output.results[0].url);
    assert.deepEqual([meta.width, meta.height], [1664, 928]);
  });

  it('reports a FAILED task as HTTP 200 with output.code and output.message', async () => {
    const body = seed000('xyzzy plugh');
    const submit = await call('POST', '/api/v1/services/aigc/image-generation/generation', body);
    const done = await waitForTask(submit.json.output.task_id);
    assert.equal(done.output.task_status, 'FAILED');
    assert.equal(done.output.code, 'InvalidParameter');
    assert.match(done.output.message, /xyzzy/);
    assert.deepEqual(done.usage, { image_count: 0, unit_price: '0.00', amount: '0.00', currency: 'CNY' });
  });

  it('reads an unknown or another key\'s task as UNKNOWN', async () => {
    const unknown = await call('GET', '/api/v1/tasks/00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 200);
    assert.equal(unknown.json.output.task_status, 'UNKNOWN');
    const created = await server.gateway.keys.create({ name: 'other' });
    const mine = await call('POST', SYNC, seed000('make it darker'), { 'x-dashscope-async': 'enable' });
    const theirs = await call('GET', `/api/v1/tasks/${mine.json.output.task_id}`, undefined, { authorization: `Bearer ${created.secret}` });
    assert.equal(theirs.json.output.task_status, 'UNKNOWN');
    const list = await call('GET', '/api/v1/tasks?page_size=100', undefined, { authorization: `Bearer ${created.secret}` });
    assert.equal(list.json.total, 0);
  });

  it('lists the key\'s tasks with paging and filters', async () => {
    const list = await call('GET', '/api/v1/tasks?page_no=1&page_size=2&status=SUCCEEDED');
    assert.equal(list.status, 200);
    assert.equal(list.json.page_size, 2);
    assert.equal(list.json.data.length, 2);
    assert.ok(list.json.total >= 2);
    assert.equal(list.json.total_page, Math.ceil(list.json.total / 2));
    for (const item of list.json.data) assert.equal(item.task_status, 'SUCCEEDED');
    const bad = await call('GET', '/api/v1/tasks?status=DONE');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'InvalidParameter');
  });

  it('cancels only PENDING tasks', async () => {
    const done = await call('POST', SYNC, seed000('flip it horizontally'));
    assert.equal(done.status, 200);
    const task = await call('POST', SYNC, seed000('flip it horizontally'), { 'x-dashscope-async': 'enable' });
    const finished = await waitForTask(task.json.output.task_id);
    const refused = await call('POST', `/api/v1/tasks/${finished.output.task_id}/cancel`);
    assert.equal(refused.status, 400);
    assert.equal(refused.json.code, 'UnsupportedOperation');
    assert.match(refused.json.message, /PENDING/);
    const unknown = await call('POST', '/api/v1/tasks/00000000-0000-4000-8000-000000000000/cancel');
    assert.equal(unknown.json.code, 'UnsupportedOperation');
  });
});

describe('DashScope errors', () => {
  const edit = (content: unknown[], parameters: Record<string, unknown> = {}) => ({
    model: 'qwen-image-edit-plus',
    input: { messages: [{ role: 'user', content }] },
    parameters,
  });
  const text = { text: 'make it black and white' };

  const cases: Array<[string, () => unknown, number, string, RegExp]> = [
    ['unknown model', () => ({ ...edit([{ image: images.url('/1.png') }, text]), model: 'qwen-image-edit-ultra' }), 400, 'InvalidParameter', /^Model not exist\.$/],
    ['four images', () => edit([...[1, 2, 3, 4].map(() => ({ image: images.url('/1.png') })), text]), 400, 'InvalidParameter', /at most 3 input images; 4 given/],
    ['n out of range', () => edit([{ image: images.url('/1.png') }, text], { n: 7 }), 400, 'InvalidParameter', /parameters\.n/],
    ['n as a string', () => edit([{ image: images.url('/1.png') }, text], { n: '2' }), 400, 'InvalidParameter', /parameters\.n: must be an integer/],
    ['size out of range', () => edit([{ image: images.url('/1.png') }, text], { size: '4000*4000' }), 400, 'InvalidParameter', /parameters\.size/],
    ['size on qwen-image-edit', () => ({ ...edit([{ image: images.url('/1.png') }, text], { size: '1024*1024' }), model: 'qwen-image-edit' }), 400, 'InvalidParameter', /parameters\.size.*does not accept a size/],
    ['no text', () => edit([{ image: images.url('/1.png') }]), 400, 'InvalidParameter', /exactly one \{"text"/],
    ['an SVG', () => edit([{ image: images.url('/svg') }, text]), 400, 'InvalidParameter', /content\[0\]\.image: .*SVG/],
    ['a broken file', () => edit([{ image: images.url('/1.png') }, { image: images.url('/broken.png') }, text]), 400, 'InvalidParameter', /content\[1\]\.image: .*broken or truncated/],
    ['over 10 MB', () => edit([{ image: images.url('/huge.png') }, text]), 400, 'InvalidParameter', /content\[0\]\.image: .*larger than 10 MB/],
    ['a missing image', () => edit([{ image: images.url('/nope.png') }, text]), 400, 'InvalidURL', /content\[0\]\.image: .*HTTP 404/],
    ['a loopback URL not allow-listed', () => edit([{ image: 'http://127.0.0.1:9/a.png' }, text]), 400, 'InvalidURL', /content\[0\]\.image: .*loopback/],
    ['a redirect to a blocked host', () => edit([{ image: images.url(`/redirect/${encodeURIComponent('http://127.0.0.1:9/x.png')}`) }, text]), 400, 'InvalidURL', /loopback/],
    ['a broken data URI', () => edit([{ image: 'data:image/png;base64,@@@@' }, text]), 400, 'InvalidParameter', /not valid base64/],
  ];
  for (const [name, body, status, code, message] of cases) {
    it(`refuses ${name} with ${status} ${code}`, async () => {
      const response = await call('POST', SYNC, body());
      assert.equal(response.status, status, JSON.stringify(response.json));
      assert.equal(response.json.code, code);
      assert.match(response.json.message, message);
      assert.match(response.json.request_id, UUID);
    });
  }

  it('refuses invalid JSON and a wrong content type', async () => {
    const broken = await call('POST', SYNC, '{"model": ');
    assert.equal(broken.status, 400);
    assert.equal(broken.json.code, 'InvalidParameter');
    const response = await fetch(`${server.url}${SYNC}`, { method: 'POST', headers: { authorization: `Bearer ${server.key}`, 'content-type': 'text/plain' }, body: 'hi' });
    assert.equal(response.status, 400);
  });

  it('refuses a missing or wrong key with 401 InvalidApiKey', async () => {
    const missing = await fetch(`${server.url}/api/v1/tasks/x`);
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as { code: string }).code, 'InvalidApiKey');
    const wrong = await call('POST', SYNC, seed000('blur'), { authorization: 'Bearer sk-qig-wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.code, 'InvalidApiKey');
  });
});

describe('files', () => {
  it('answers 403 for a bad signature and 410 once expired', async () => {
    const { json } = await call('POST', SYNC, { ...seed000('make it brighter'), parameters: { n: 1 } });
    const url = new URL(json.output.choices[0].message.content[0].image);
    url.searchParams.set('sig', 'AAAA');
    assert.equal((await fetch(url)).status, 403);
    const { UrlSigner } = await import('../../src/blobs/signing.js');
    const id = url.pathname.split('/').at(-1) as string;
    const expired = new UrlSigner('test-signing-secret-0123456789', server.url).fileUrl(id, Date.now() - 1000);
    assert.equal((await fetch(expired)).status, 410);
    const fresh = new UrlSigner('test-signing-secret-0123456789', server.url).fileUrl(id, Date.now() + 60_000);
    assert.equal((await fetch(fresh)).status, 200);
  });
});
