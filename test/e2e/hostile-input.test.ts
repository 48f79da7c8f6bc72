/**
 * Hostile input, item by item: each test is a request that once stalled, bloated or broke the
 * server, or answered outside its dialect's shape. The server runs in this process; every
 * connection goes to 127.0.0.1 (the loopback-only hook refuses any other, and records it).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { refusedConnects } from '../helpers/loopback-only.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';
const ADMIN = 'admin-token-hostile';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/**
 * A request written by `write` (chunked unless a content-length header is given), answered as soon
 * as the server answers — even while the body is still being sent.
 */
function raw(server: TestGateway, method: string, path: string, headers: Record<string, string>, write: (req: ClientRequest) => Promise<void>): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: text.startsWith('{') ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    write(req).catch(() => {});
  });
}

async function call(server: TestGateway, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: Object.fromEntries(response.headers), text, json: text.startsWith('{') ? JSON.parse(text) : null };
}

function dashscopeBody(parameters: unknown): Record<string, unknown> {
  return { model: 'qwen-image-2.0', input: { messages: [{ role: 'user', content: [{ text: 'a red apple' }] }] }, parameters };
}

async function taskCount(server: TestGateway): Promise<number> {
  return (await call(server, 'GET', '/api/v1/tasks?page_size=1')).json.total as number;
}

/** The blob files on disk, by path. */
function blobFiles(server: TestGateway): string[] {
  const root = join(server.dataDir, 'blobs');
  try {
    return (readdirSync(root, { recursive: true }) as string[]).filter((path) => /\.(png|jpg|webp|gif|tiff|bmp)$/.test(path)).sort();
  } catch {
    return [];
  }
}

async function inflightBodyBytes(server: TestGateway): Promise<number> {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^qig_inflight_body_bytes (\d+)/m.exec(metrics)?.[1]);
}

describe('hostile input', () => {
  let server: TestGateway;

  before(async () => {
    server = await startTestGateway({
      env: { QIG_ADMIN_TOKEN: ADMIN },
      config: { limits: { maxInflightBodyBytes: 4_000_000, bodyIdleSeconds: 0.5, bodyTotalSeconds: 2 } },
    });
  });
  after(() => server.close());

  it('refuses a string where an object belongs (a 2 MB `parameters` once became two million warnings)', async () => {
    const before = await taskCount(server);
    for (const parameters of ['x'.repeat(2_000_000), ['n', 1], null, 7]) {
      const answer = await call(server, 'POST', '/v1/images/generations', dashscopeBody(parameters));
      assert.equal(answer.status, 400, answer.text.slice(0, 200));
      assert.equal(answer.json.error.param, 'parameters');
      assert.match(answer.json.error.message, /^parameters: must be an object/);
      assert.ok(answer.text.length < 2_000, 'the error does not echo the value');
    }
    for (const path of [SYNC, '/aliyun' + SYNC]) {
      const answer = await call(server, 'POST', path, dashscopeBody('abc'));
      assert.deepEqual([answer.status, answer.json.code], [400, 'InvalidParameter']);
    }
    assert.equal(await taskCount(server), before, 'no task was created');
  });

  it('answers 400, not 500, to `input: null` and to bodies that are not objects', async () => {
    for (const body of [{ model: 'qwen-image-edit-plus', input: null }, { model: 'qwen-image-edit-plus', input: 'x' }, '"text"', 'null', '[1,2]', '42']) {
      const answer = await call(server, 'POST', '/v1/images/generations', body);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.json.error.type, 'invalid_request_error');
    }
    const dashscope = await call(server, 'POST', SYNC, 'null');
    assert.deepEqual([dashscope.status, dashscope.json.code, dashscope.json.message], [400, 'InvalidParameter', 'body: must be a JSON object.']);
  });

  it('caps unknown fields per request in every dialect, and refuses bodies of many tiny values before parsing them', async () => {
    const many = (prefix: string, count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));
    const dashscope = await call(server, 'POST', SYNC, dashscopeBody({ n: 1, ...many('p', 40) }));
    assert.equal(dashscope.status, 400);
    assert.match(dashscope.json.message, /^parameters: more than 32 unknown fields \(parameters\.p0, parameters\.p1, parameters\.p2, …\)/);
    const openai = await call(server, 'POST', '/v1/images/generations', { prompt: 'a cat', ...many('x', 33) });
    assert.equal(openai.status, 400);
    assert.equal(openai.json.error.param, 'body');
    assert.equal(openai.headers['x-qig-ignored-params'], undefined);
    const fal = await call(server, 'POST', '/fal/fal-ai/qwen-image', { prompt: 'a cat', ...many('x', 40) });
    assert.equal(fal.status, 422);
    assert.deepEqual(fal.json.detail[0].loc, ['body']);
    const seaart = await call(server, 'POST', '/v1/queue/qwen_image_plus', { prompt: 'a cat', ...many('x', 40) });
    assert.equal(seaart.status, 422);
    // 100,000 keys in a 1.3 MB body: refused by the pre-parse scan, one answer, no warnings.
    const flood = await call(server, 'POST', SYNC, dashscopeBody(many('k', 100_000)));
    assert.equal(flood.status, 400);
    assert.match(flood.json.message, /^body: the JSON holds more than 10000 values/);
    const deep = await call(server, 'POST', SYNC, `${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    assert.match(deep.json.message, /nests deeper than 32 levels/);
  });

  it('keeps a few unknown fields as bounded, printable warnings, and a header any client can read', async () => {
    const weird = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`bad\nname\u0000${i}${'é'.repeat(500)}`, true]));
    const answer = await call(server, 'POST', '/v1/images/generations', { prompt: 'a cat', size: '512x512', ...weird });
    assert.equal(answer.status, 200, answer.text.slice(0, 300));
    const header = answer.headers['x-qig-ignored-params'] as string;
    assert.ok(header.length <= 1_027 && /^[\x20-\x7e]+$/.test(header), header);
    const async = await call(server, 'POST', SYNC, dashscopeBody({ size: '512*512', ...Object.fromEntries(Object.entries(weird).slice(0, 30)) }), { 'x-dashscope-async': 'enable' });
    const task = await call(server, 'GET', `/api/v1/tasks/${async.json.output.task_id}`);
    const warnings = task.json.output.warnings as string[];
    assert.ok(warnings.length <= 21);
    for (const warning of warnings) assert.ok(warning.length <= 301 && !/[\n\r]/.test(warning) && !warning.includes(String.fromCharCode(0)), warning);
  });

  it('answers malformed multipart with 400 in the OpenAI shape', async () => {
    const cases: Array<[string, string]> = [
      ['multipart/form-data', 'x'],
      ['multipart/form-data; boundary=', 'x'],
      ['multipart/form-data; boundary=abc', 'x'],
      ['multipart/form-data; boundary=abc', '--abc\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhi'],
      ['multipart/form-data; boundary="unterminated', '--unterminated--'],
      ['multipart/form-data; boundary=abc', '--abc\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nhi\r\n--abc--'],
    ];
    for (const [contentType, body] of cases) {
      const answer = await call(server, 'POST', '/v1/images/edits', body, { 'content-type': contentType });
      assert.equal(answer.status, 400, `${contentType} ${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.json.error.type, 'invalid_request_error');
    }
  });

  it('answers fastify\'s own errors in the dialect of the path: bad encoding, an over-long id, a wrong method (405 with Allow)', async () => {
    const badEncoding = await call(server, 'GET', '/api/v1/tasks/%zz');
    assert.deepEqual([badEncoding.status, badEncoding.json.code], [400, 'InvalidParameter']);
    assert.equal(typeof badEncoding.json.request_id, 'string');
    const long = await call(server, 'GET', `/aliyun/api/v1/tasks/${'a'.repeat(600)}`);
    assert.deepEqual([long.status, long.json.code], [400, 'InvalidParameter']);
    assert.ok(long.text.length < 1_000);
    const wrongMethod = await call(server, 'DELETE', '/api/v1/tasks/abc');
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.allow, wrongMethod.json.code], [405, 'GET, HEAD', 'MethodNotAllowed']);
    const openai = await call(server, 'GET', '/v1/images/generations');
    assert.deepEqual([openai.status, openai.headers.allow, openai.json.error.code], [405, 'POST', 'method_not_allowed']);
    const fal = await call(server, 'DELETE', '/fal/fal-ai/qwen-image/requests/x');
    assert.equal(fal.status, 405);
    assert.equal(typeof fal.json.detail, 'string');
    const falBad = await call(server, 'GET', '/fal/fal-ai/qwen-image/requests/%zz/status');
    assert.deepEqual(falBad.json.detail[0].loc, ['path']);
    const seaart = await call(server, 'PATCH', '/v1/queue/qwen_image_plus/requests/x/status');
    assert.deepEqual([seaart.status, seaart.headers.allow], [405, 'GET, HEAD']);
    const admin = await call(server, 'GET', '/admin/v1/keys/%zz/credit', undefined, { authorization: `Bearer ${ADMIN}` });
    assert.deepEqual([admin.status, admin.json.error.code], [400, 'invalid_parameter']);
    const unknown = await call(server, 'GET', '/api/v1/nothing-here');
    assert.deepEqual([unknown.status, unknown.json.code], [404, 'NotFound']);
  });

  it('counts chunked bodies against the in-flight budget as their bytes arrive', async () => {
    const chunk = Buffer.alloc(500_000, 0x61);
    const upload = () =>
      raw(server, 'POST', SYNC, { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' }, async (req) => {
        req.write('{"model":"qwen-image-2.0","input":{"messages":[{"role":"user","content":[{"text":"');
        for (let i = 0; i < 6; i += 1) {
          if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
          await sleep(50);
        }
        req.end('"}]}]}}');
      });
    // Four uploads of 3 MB at once against a 4 MB budget: no more than one fits.
    const answers = await Promise.all(Array.from({ length: 4 }, upload));
    const refused = answers.filter((a) => a.status === 503);
    assert.ok(refused.length >= 3, answers.map((a) => a.status).join(', '));
    for (const answer of refused) {
      assert.equal(answer.json.code, 'ServiceUnavailable');
      assert.equal(answer.headers['retry-after'], '2');
    }
    assert.equal(await inflightBodyBytes(server), 0, 'every reservation was released');
  });

  it('refuses a bad key before reading a large body, so keyless uploads hold no budget', async () => {
    const headers = { authorization: 'Bearer not-a-key', 'content-type': 'application/json', 'content-length': String(3_900_000) };
    // Each declares almost the whole budget and sends one byte, then waits: all answered 401 at once.
    const paths = [SYNC, '/v1/images/generations', '/v1/images/edits', '/fal/fal-ai/qwen-image', '/v1/queue/qwen_image_plus'];
    const answers = await Promise.all(paths.map((path) => raw(server, 'POST', path, headers, async (req) => void req.write('{'))));
    assert.deepEqual(answers.map((a) => a.status), [401, 401, 401, 401, 401]);
    assert.equal(answers[0]!.json.code, 'InvalidApiKey');
    assert.equal(answers[1]!.json.error.code, 'invalid_api_key');
    await sleep(50);
    assert.equal(await inflightBodyBytes(server), 0);
    // A small nebula body with a bad key still reads its body, to answer in nebula's envelope.
    const nebula = await call(server, 'POST', '/v1/images/generations', { model: 'qwen-image-edit-plus', contents: [{ parts: [{ text: 'x' }] }] }, { authorization: 'Bearer nope' });
    assert.deepEqual([nebula.status, nebula.json.code], [401, 401]);
  });

  it('ends a stalled or trickling upload with 408 in its dialect and frees its budget', async () => {
    const auth = { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' };
    const stalled = await raw(server, 'POST', SYNC, { ...auth, 'content-length': '1000' }, async (req) => void req.write('{"model"'));
    assert.deepEqual([stalled.status, stalled.json.code, stalled.headers.connection], [408, 'RequestTimeOut', 'close']);
    assert.match(stalled.json.message, /^body: no bytes of the request body arrived for 0\.5 s/);
    const trickle = await raw(server, 'POST', '/v1/images/edits', { ...auth, 'content-type': 'multipart/form-data; boundary=abc', 'content-length': '100000' }, async (req) => {
      for (let i = 0; i < 40 && !req.destroyed; i += 1) {
        req.write('x');
        await sleep(200);
      }
    });
    assert.equal(trickle.status, 408);
    assert.match(trickle.json.error.message, /^body: the request body was not received within 2 s/);
    await sleep(50);
    assert.equal(await inflightBodyBytes(server), 0);
    // The server still takes uploads.
    const ok = await call(server, 'POST', SYNC, dashscopeBody({ size: '512*512' }));
    assert.equal(ok.status, 200, ok.text.slice(0, 200));
  });

  it('refuses IPv4-compatible IPv6 addresses (::/96) for images and webhooks without connecting', async () => {
    for (const host of ['[::127.0.0.1]', '[::7f00:1]', '[::a9fe:a9fe]', '[::10.0.0.5]']) {
      const body = { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: `http://${host}/a.png` }, { text: 'make it grey' }] }] } };
      const answer = await call(server, 'POST', SYNC, body);
      assert.deepEqual([answer.status, answer.json.code], [400, 'InvalidURL'], answer.text);
      assert.match(answer.json.message, /IPv4-compatible IPv6 address/);
      const webhook = await call(server, 'POST', `/fal/fal-ai/qwen-image?fal_webhook=${encodeURIComponent(`http://${host}/hook`)}`, { prompt: 'a cat' });
      assert.equal(webhook.status, 400, webhook.text);
      assert.match(webhook.json.detail, /IPv4-compatible IPv6 address/);
    }
    assert.deepEqual(refusedConnects, []);
  });

  it('refuses an amount the ledger cannot hold exactly instead of rounding it', async () => {
    const admin = { authorization: `Bearer ${ADMIN}` };
    const created = await call(server, 'POST', '/admin/v1/keys', { name: 'big', balance: '0.00' }, admin);
    const credit = (amount: string) => call(server, 'POST', `/admin/v1/keys/${created.json.id}/credit`, { amount }, admin);
    const tooBig = await credit('9007199254.740993');
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.json.error.message, /^amount: .*at most 9007199254\.740991/);
    const exact = await credit('9007199254.740991');
    assert.equal(exact.status, 200, exact.text);
    assert.equal(exact.json.balance, '9007199254.740991');
    const overflow = await credit('0.000001');
    assert.equal(overflow.status, 400);
    assert.match(overflow.json.error.message, /the balance would exceed 9007199254\.740991/);
    const keys = await call(server, 'GET', '/admin/v1/keys', undefined, admin);
    assert.equal(keys.json.data.find((k: any) => k.id === created.json.id).balance, '9007199254.740991');
  });
});

describe('hostile input: work before money, bodies nobody reads, edges of HTTP', () => {
  let server: TestGateway;
  let images: ImageServer;
  let poorKey: string;
  const admin = { authorization: `Bearer ${ADMIN}` };

  before(async () => {
    images = await startImageServer();
    images.put('/a.png', await gradientImage(64, 64));
    server = await startTestGateway({
      env: { QIG_ADMIN_TOKEN: ADMIN },
      config: { fetch: { allowHosts: [images.hostPort] }, prices: { currency: 'CNY', perEngine: { local: { '*': '0.10' } } }, limits: { maxInflightBodyBytes: 4_000_000, bodyIdleSeconds: 0.5, bodyTotalSeconds: 2 } },
    });
    poorKey = (await call(server, 'POST', '/admin/v1/keys', { name: 'poor', balance: '0.00' }, admin)).json.key as string;
  });
  after(async () => {
    await server.close();
    await images.close();
  });

  it('checks base64 in time linear in its length (a run of line breaks once took seconds per request)', async () => {
    for (const image of [`data:image/png;base64,A${'\n'.repeat(300_000)}!`, `${'A'.repeat(16)}${'\n'.repeat(300_000)}!`]) {
      const body = { prompt: 'x', images: [image] };
      const answer = await call(server, 'POST', '/v1/queue/qwen_image_edit_plus', body);
      assert.equal(answer.status, 422, answer.text.slice(0, 200));
      assert.match(answer.json.detail[0].msg, /not valid base64/);
    }
  });

  it('answers a path no route takes without reading or counting its body', async () => {
    const headers = { 'content-type': 'application/json', 'content-length': '3900000' };
    const answers = await Promise.all(['/nope', '/api/v1/services/aigc/multimodal-generation/generation'].map((path, i) =>
      raw(server, i === 0 ? 'POST' : 'PUT', path, headers, async (req) => void req.write('{')),
    ));
    assert.deepEqual(answers.map((a) => a.status), [404, 405]);
    assert.equal(answers[1]!.json.code, 'MethodNotAllowed');
    assert.equal(await inflightBodyBytes(server), 0);
  });

  it('refuses a key that cannot pay before fetching, decoding or storing any image', async () => {
    const before = images.requests.length;
    const body = { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: images.url('/a.png') }, { text: 'grey' }] }] } };
    const answer = await call(server, 'POST', SYNC, body, { authorization: `Bearer ${poorKey}` });
    assert.deepEqual([answer.status, answer.json.code], [400, 'Arrearage']);
    assert.equal(images.requests.length, before, 'the image was not even downloaded');
  });

  it('leaves no images behind when a submit is refused after taking them in', async () => {
    const before = blobFiles(server);
    // The first image is taken in and stored, the second refused: the first is deleted again.
    const body = { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: images.url('/a.png') }, { image: images.url('/missing.png') }, { text: 'grey' }] }] } };
    const answer = await call(server, 'POST', SYNC, body);
    assert.deepEqual([answer.status, answer.json.code], [400, 'InvalidURL']);
    assert.deepEqual(blobFiles(server), before);
  });

  it('never credits an unlimited key, and creates no key when its opening balance is refused', async () => {
    const unlimited = await call(server, 'POST', '/admin/v1/keys', { name: 'unlimited' }, admin);
    const credit = await call(server, 'POST', `/admin/v1/keys/${unlimited.json.id}/credit`, { amount: '1.00' }, admin);
    assert.deepEqual([credit.status, credit.json.error.code], [400, 'unsupported_operation']);
    const keysBefore = (await call(server, 'GET', '/admin/v1/keys', undefined, admin)).json.data.length;
    for (const balance of ['abc', '-1', '1e3', '9007199254.740992']) {
      const refused = await call(server, 'POST', '/admin/v1/keys', { name: `bad ${balance}`, balance }, admin);
      assert.deepEqual([refused.status, refused.json.error.field], [400, 'balance'], refused.text);
    }
    assert.equal((await call(server, 'GET', '/admin/v1/keys', undefined, admin)).json.data.length, keysBefore);
  });

  it('answers a stalled SeaArt body 408, like every other dialect', async () => {
    const answer = await raw(server, 'POST', '/v1/queue/qwen_image_edit_plus', { authorization: `Bearer ${server.key}`, 'content-type': 'application/json', 'content-length': '1000' }, async (req) => void req.write('{'));
    assert.equal(answer.status, 408);
    assert.match(answer.json.detail, /^body: no bytes/);
  });

  it('answers what Node refuses before routing in the plain JSON shape, and closes', async () => {
    const url = new URL(server.url);
    const exchange = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes));
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const invalid = await exchange('GET /healthz HTTP/3.0\r\n\r\n');
    assert.match(invalid, /^HTTP\/1\.1 400 /);
    assert.equal(JSON.parse(invalid.slice(invalid.indexOf('\r\n\r\n') + 4)).error.code, 'invalid_parameter');
    const huge = await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.match(huge, /"code":"payload_too_large"/);
  });

  it('refuses a multipart field cut at its size limit instead of using it truncated', async () => {
    const form = new FormData();
    form.append('image', new Blob([await gradientImage(64, 64)], { type: 'image/png' }), 'a.png');
    form.append('prompt', 'x'.repeat(300_000));
    const response = await fetch(`${server.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${server.key}` }, body: form });
    const json = (await response.json()) as any;
    assert.equal(response.status, 413);
    assert.equal(json.error.param, 'prompt');
  });

  it('renders /files and /assets errors in the plain shape with the request id', async () => {
    const bad = await call(server, 'GET', `/files/${'a'.repeat(64)}.png?exp=1&sig=x`);
    assert.deepEqual([bad.status, bad.json.error.code, typeof bad.json.request_id], [403, 'Forbidden', 'string']);
    const asset = await call(server, 'GET', '/assets/nothing.js');
    assert.deepEqual([asset.status, asset.json.error.code], [404, 'not_found']);
  });
});

describe('output URLs: signed when read, kept for the retention', () => {
  const clock = { at: Date.parse('2026-12-01T00:00:00Z'), now() { return this.at; } };
  let server: TestGateway;

  before(async () => {
    server = await startTestGateway({ clock, config: { files: { urlTtlSeconds: 3600, retentionDays: 2 } } });
  });
  after(() => server.close());

  const imageBody = async () => ({
    model: 'qwen-image-edit-plus',
    input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${(await gradientImage(256, 256)).toString('base64')}` }, { text: 'make it black and white' }] }] },
    parameters: { n: 1, watermark: false },
  });

  it('hands out a fresh URL when the task is read after the old one expired, until the retention ends', async () => {
    const done = await call(server, 'POST', SYNC, await imageBody());
    assert.equal(done.status, 200, done.text.slice(0, 300));
    const first = done.json.output.choices[0].message.content[0].image as string;
    const taskId = (await call(server, 'GET', '/api/v1/tasks?page_size=1')).json.data[0].task_id as string;
    const read = async () => (await call(server, 'GET', `/api/v1/tasks/${taskId}`)).json.output.results[0].url as string;
    assert.equal(await read(), first, 'reads within one step get the same URL');
    assert.equal((await fetch(first)).status, 200);

    clock.at += 2 * 3_600_000;
    const expired = await fetch(first);
    assert.equal(expired.status, 410);
    assert.match(((await expired.json()) as any).error.message, /Reading the task again gives a fresh URL/);
    const fresh = await read();
    assert.notEqual(fresh, first);
    assert.equal((await fetch(fresh)).status, 200);
    const exp = Number(new URL(fresh).searchParams.get('exp')) * 1000;
    assert.ok(exp - clock.at >= 3_600_000, 'valid for the TTL from the read');

    // Past the retention the images are deleted and no URL is valid any more.
    clock.at += 2 * 24 * 3_600_000;
    assert.equal(await server.gateway.retention.purgeOnce(), 1);
    const late = await read();
    assert.ok(Number(new URL(late).searchParams.get('exp')) * 1000 <= clock.at);
    assert.equal((await fetch(late)).status, 410);
    assert.equal(await server.gateway.retention.purgeOnce(), 0, 'each task is purged once');
  });

  it('keeps the blobs of tasks from before blobs were owned (they may be shared)', async () => {
    const done = await call(server, 'POST', SYNC, await imageBody());
    const url = done.json.output.choices[0].message.content[0].image as string;
    await server.gateway.store.db.updateTable('tasks').set({ blob_scope: null }).execute();
    clock.at += 3 * 24 * 3_600_000;
    assert.equal(await server.gateway.retention.purgeOnce(), 0);
    const blobId = new URL(url).pathname.split('/').pop() as string;
    assert.ok(await server.gateway.store.db.selectFrom('tasks').select('id').where('outputs', 'like', `%${blobId}%`).executeTakeFirst());
  });
});
