/**
 * The client's retries against a loopback fake that answers as told: 429 with Retry-After and
 * 503 then success, the same Idempotency-Key on every attempt of a submission, giving up after
 * maxRetries with the typed error, no retry of a 400 or of a POST without a key, and a closed port.
 */
import '../helpers/loopback-only.js';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BadRequestError, ConnectionError, RateLimitError, ServerError, createClient, type ClientOptions } from '../../src/client/index.js';

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const unavailable: Answer = { status: 503, body: { code: 'ServiceUnavailable', message: 'Service is temporarily unavailable.', request_id: 'r-503' } };
const throttled: Answer = { status: 429, body: { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded.', request_id: 'r-429' }, headers: { 'retry-after': '1' } };
const task: Answer = { status: 200, body: { request_id: 'r-ok', output: { task_id: 't-1', task_status: 'RUNNING' } } };
const synced: Answer = {
  status: 200,
  body: { request_id: 'r-sync', output: { choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: [{ image: 'http://127.0.0.1:1/a.png' }] } }] }, usage: { width: 512, height: 512, image_count: 1 } },
};

/** What the fake answers next, per path (the last answer repeats), and what it received. */
let script = new Map<string, Answer[]>();
let received: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }> = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const path = (request.url ?? '/').split('?')[0] as string;
      received.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
      const answers = script.get(path) ?? [{ status: 404, body: { code: 'NotFound', message: path, request_id: 'r-404' } }];
      const answer = (answers.length > 1 ? answers.shift() : answers[0]) as Answer;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  script = new Map();
  received = [];
});

const clientOf = (options: Partial<ClientOptions> = {}) => createClient({ baseUrl: url, apiKey: 'sk-test', ...options });
const edit = { images: 'https://example.com/a.png', prompt: 'make it blue' };

describe('client retries', () => {
  it('retries a 429 after its Retry-After, then succeeds', async () => {
    script.set('/api/v1/tasks/t-1', [throttled, task]);
    const info = await clientOf().tasks.get('t-1');
    assert.equal(info.status, 'RUNNING');
    assert.equal(received.length, 2);
  });

  it('retries a submission answered 503 twice with the same Idempotency-Key, then succeeds', async () => {
    script.set(SYNC, [unavailable, unavailable, synced]);
    const result = await clientOf().edit(edit);
    assert.deepEqual(result.urls, ['http://127.0.0.1:1/a.png']);
    assert.equal(received.length, 3);
    const keys = received.map((r) => r.headers['idempotency-key']);
    assert.match(String(keys[0]), UUID);
    assert.deepEqual(keys, [keys[0], keys[0], keys[0]]);
    assert.equal(new Set(received.map((r) => r.body)).size, 1, 'the same body each time');
    assert.ok(received.every((r) => r.headers.authorization === 'Bearer sk-test'));
  });

  it('sends the caller\'s Idempotency-Key, and a new one for each submission', async () => {
    script.set(SYNC, [synced]);
    await clientOf().edit(edit, { idempotencyKey: 'order-42' });
    await clientOf().edit(edit);
    await clientOf().edit(edit);
    const [given, first, second] = received.map((r) => r.headers['idempotency-key']);
    assert.equal(given, 'order-42');
    assert.notEqual(first, second);
  });

  it('gives up after maxRetries with the typed error', async () => {
    script.set(SYNC, [unavailable]);
    await assert.rejects(clientOf({ maxRetries: 1 }).edit(edit), (error) => {
      assert.ok(error instanceof ServerError);
      assert.deepEqual([error.status, error.code, error.retryable, error.requestId], [503, 'ServiceUnavailable', true, 'r-503']);
      return true;
    });
    assert.equal(received.length, 2);
    script.set('/api/v1/tasks/t-1', [throttled]);
    received = [];
    await assert.rejects(clientOf({ maxRetries: 0 }).tasks.get('t-1'), (error) => error instanceof RateLimitError && error.retryAfterMs === 1000);
    assert.equal(received.length, 1);
  });

  it('does not retry a 400, nor a POST without an idempotency key (cancel)', async () => {
    script.set(SYNC, [{ status: 400, body: { code: 'InvalidParameter', message: 'parameters.n: too large', request_id: 'r-400' } }, synced]);
    await assert.rejects(clientOf().edit(edit), (error) => error instanceof BadRequestError && error.message === 'InvalidParameter: parameters.n: too large');
    assert.equal(received.length, 1);
    script.set('/api/v1/tasks/t-1/cancel', [unavailable, { status: 200, body: { request_id: 'r-c' } }]);
    received = [];
    await assert.rejects(clientOf().tasks.cancel('t-1'), ServerError);
    assert.equal(received.length, 1);
  });

  it('reads an HTML 502 as a ServerError, and retries it', async () => {
    script.set('/api/v1/tasks/t-1', [{ status: 502, body: '<html>502 Bad Gateway</html>' }]);
    await assert.rejects(clientOf({ maxRetries: 1 }).tasks.get('t-1'), (error) => error instanceof ServerError && error.status === 502 && error.retryable);
    assert.equal(received.length, 2);
  });

  it('ConnectionError after its retries when the port is closed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    let attempts = 0;
    const counting: typeof fetch = (input, init) => {
      attempts += 1;
      return fetch(input, init);
    };
    const client = createClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'sk-test', fetch: counting, maxRetries: 1 });
    await assert.rejects(client.tasks.get('t-1'), (error) => {
      assert.ok(error instanceof ConnectionError, String(error));
      assert.deepEqual([error.status, error.code, error.retryable], [null, 'ConnectionError', true]);
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
    assert.equal(attempts, 2);
  });
});
