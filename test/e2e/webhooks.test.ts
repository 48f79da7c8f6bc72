/**
 * Webhooks end to end: fal's `?fal_webhook=` and SeaArt's `webhook` field, delivered to a
 * loopback receiver (allow-listed) that checks the signature; retries with backoff after a 500;
 * giving up after `maxAttempts`; a refused URL at submit; a pending delivery that survives a
 * restart; and a webhook whose task ended while nobody listened (found by the sweep).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createFalClient } from '@fal-ai/client';
import { AppError } from '../../src/domain/errors.js';
import { verifyWebhookSignature } from '../../src/services/webhook-signature.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/stores.js';

interface Received {
  path: string;
  body: string;
  json: any;
  verified: boolean;
  attempt: string | undefined;
  at: number;
}

interface Receiver {
  hostPort: string;
  url(path: string): string;
  received: Received[];
  /** HTTP status to answer per path and attempt (1-based); default 200. */
  answer: (path: string, attempt: number) => number;
  secret: string;
  waitFor(path: string, count: number): Promise<Received[]>;
  close(): Promise<void>;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const received: Received[] = [];
  const watchers: Array<() => void> = [];
  const receiver: Receiver = {
    hostPort: '',
    url: () => '',
    received,
    answer: () => 200,
    secret,
    async waitFor(path, count) {
      for (;;) {
        const hits = received.filter((r) => r.path === path);
        if (hits.length >= count) return hits;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${count} deliveries to ${path} (got ${hits.length})`)), 10_000);
          watchers.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const path = request.url ?? '/';
      const timestamp = request.headers['x-qig-webhook-timestamp'] as string | undefined;
      const signature = request.headers['x-qig-webhook-signature'] as string | undefined;
      received.push({ path, body, json: JSON.parse(body), verified: verifyWebhookSignature(receiver.secret, body, timestamp, signature), attempt: request.headers['x-qig-webhook-attempt'] as string | undefined, at: Date.now() });
      const attempt = received.filter((r) => r.path === path).length;
      response.writeHead(receiver.answer(path, attempt)).end();
      for (const wake of watchers.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.hostPort = `127.0.0.1:${port}`;
  receiver.url = (path) => `http://127.0.0.1:${port}${path}`;
  return receiver;
}

const SECRET = 'webhook-secret-for-tests-0123456789';

/** The delivery row of a task once it reaches `state` (the receiver answers before the row is updated). */
async function deliveryIn(server: TestGateway, taskId: string, state: string) {
  for (let i = 0; ; i += 1) {
    const row = await server.gateway.store.db.selectFrom('webhook_deliveries').selectAll().where('task_id', '=', taskId).executeTakeFirstOrThrow();
    if (row.state === state || i >= 200) return row;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function post(server: TestGateway, path: string, body: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Key ${server.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as any };
}

describe('webhooks', () => {
  let receiver: Receiver;
  let server: TestGateway;
  const engine = createScriptedEngine({
    script: (_index, call) => (call.prompt.includes('fail') ? new AppError('engine_rejected', 'The engine cannot do that.') : 'done'),
  });

  before(async () => {
    receiver = await startReceiver(SECRET);
    server = await startTestGateway({
      engines: new Map([['scripted', engine]]),
      config: {
        engines: { scripted: { type: 'local' } },
        routes: { '*': ['scripted'] },
        fetch: { allowHosts: [receiver.hostPort] },
        webhooks: { secret: SECRET, firstRetrySeconds: 0.05, maxAttempts: 4 },
      },
    });
  });

  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('delivers fal webhooks signed, and retries with backoff after a 500', async () => {
    receiver.answer = (path, attempt) => (path === '/fal' && attempt === 1 ? 500 : 200);
    const fal = createFalClient({ credentials: server.key, proxyUrl: { url: `${server.url}/fal/proxy`, when: 'always' } });
    const { request_id } = await fal.queue.submit('fal-ai/qwen-image-2/text-to-image', { input: { prompt: 'a kite', image_size: 'square' }, webhookUrl: receiver.url('/fal') });
    const [first, second] = await receiver.waitFor('/fal', 2);
    assert.ok(first!.verified && second!.verified, 'both attempts carry a valid signature');
    assert.equal(first!.body, second!.body, 'every attempt sends the same body');
    assert.deepEqual([first!.attempt, second!.attempt], ['1', '2']);
    assert.ok(second!.at - first!.at >= 40, 'the retry waited for its backoff');
    const envelope = second!.json;
    assert.deepEqual(Object.keys(envelope).sort(), ['gateway_request_id', 'payload', 'request_id', 'status']);
    assert.deepEqual([envelope.request_id, envelope.status], [request_id, 'OK']);
    assert.deepEqual([envelope.payload.images[0].width, envelope.payload.images[0].height], [1024, 1024]);
    const row = await deliveryIn(server, request_id, 'delivered');
    assert.deepEqual([row.state, Number(row.attempts), Number(row.last_status)], ['delivered', 2, 200]);
  });

  it('delivers SeaArt webhooks with the SeaArt result, and failures as ERROR', async () => {
    const ok = await post(server, '/v1/queue/qwen_image_2_0_pro', { prompt: 'a harbour', size: '768*768', webhook: receiver.url('/seaart') });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const [delivered] = await receiver.waitFor('/seaart', 1);
    assert.equal(delivered!.json.status, 'OK');
    assert.deepEqual(Object.keys(delivered!.json.payload), ['request_id', 'outputs', 'metadata']);
    assert.equal(delivered!.json.payload.outputs[0].width, 768);

    await post(server, '/v1/queue/qwen_image_2_0_pro', { prompt: 'please fail', webhook: receiver.url('/seaart-failed') });
    const [failed] = await receiver.waitFor('/seaart-failed', 1);
    assert.deepEqual([failed!.json.status, failed!.json.error, failed!.json.payload.error_type], ['ERROR', 'The engine cannot do that.', 'REQUEST_INVALID']);
  });

  it('gives up after webhooks.maxAttempts', async () => {
    receiver.answer = (path) => (path === '/down' ? 503 : 200);
    const { json } = await post(server, '/fal/qwen/qwen-image-2.0?fal_webhook=' + encodeURIComponent(receiver.url('/down')), { prompt: 'nobody home' });
    await receiver.waitFor('/down', 4);
    const row = await deliveryIn(server, json.request_id, 'failed');
    assert.deepEqual([row.state, Number(row.attempts), Number(row.last_status)], ['failed', 4, 503]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.filter((r) => r.path === '/down').length, 4, 'no fifth attempt');
  });

  it('refuses a webhook URL the URL guard would block, naming the field (400)', async () => {
    const blocked = await post(server, `/fal/qwen/qwen-image-2.0?fal_webhook=${encodeURIComponent('http://127.0.0.1:1/hook')}`, { prompt: 'x' });
    assert.equal(blocked.status, 400);
    assert.equal(blocked.json.error_type, 'bad_request');
    assert.match(blocked.json.detail, /^fal_webhook: .*loopback/);
    const scheme = await post(server, `/fal/qwen/qwen-image-2.0?fal_webhook=${encodeURIComponent('file:///etc/passwd')}`, { prompt: 'x' });
    assert.equal(scheme.status, 400);
    assert.match(scheme.json.detail, /^fal_webhook: .*http or https/);
  });

  it('finds a webhook whose task ended while nobody listened', async () => {
    const { json } = await post(server, '/fal/qwen/qwen-image-2.0', { prompt: 'no webhook yet' });
    const db = server.gateway.store.db;
    for (let i = 0; i < 100; i += 1) {
      const task = await db.selectFrom('tasks').select('status').where('id', '=', json.request_id).executeTakeFirstOrThrow();
      if (task.status === 'succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // As if the node that ended the task had died before scheduling the webhook.
    await db.updateTable('queue_requests').set({ webhook_url: receiver.url('/late'), webhook_state: 'waiting' }).where('task_id', '=', json.request_id).execute();
    const [late] = await receiver.waitFor('/late', 1);
    assert.deepEqual([late!.json.request_id, late!.json.status, late!.verified], [json.request_id, 'OK', true]);
  });
});

describe('webhooks across a restart', () => {
  it('a pending delivery is sent by the next start on the same data dir, signed with the stored secret', async () => {
    const receiver = await startReceiver('');
    const dir = tempDir();
    const config = {
      engines: { scripted: { type: 'local' } },
      routes: { '*': ['scripted'] },
      fetch: { allowHosts: [receiver.hostPort] },
      webhooks: { firstRetrySeconds: 1 },
    };
    receiver.answer = (_path, attempt) => (attempt === 1 ? 500 : 200);
    try {
      const first = await startTestGateway({ dataDir: dir.path, config, engines: new Map([['scripted', createScriptedEngine()]]) });
      const { json } = await post(first, `/fal/qwen/qwen-image-2.0?fal_webhook=${encodeURIComponent(receiver.url('/restart'))}`, { prompt: 'survive a restart' });
      await receiver.waitFor('/restart', 1);
      const secret = await first.gateway.store.db.selectFrom('settings').select('value').where('name', '=', 'webhook_signing_secret').executeTakeFirstOrThrow();
      receiver.secret = secret.value;
      await first.gateway.close();

      const second = await startTestGateway({ dataDir: dir.path, config, engines: new Map([['scripted', createScriptedEngine()]]) });
      try {
        const [failed, delivered] = await receiver.waitFor('/restart', 2);
        assert.equal(failed!.body, delivered!.body);
        assert.ok(delivered!.verified, 'signed with the secret kept in the settings table');
        assert.equal(delivered!.json.request_id, json.request_id);
        const row = await deliveryIn(second, json.request_id, 'delivered');
        assert.deepEqual([row.state, Number(row.attempts)], ['delivered', 2]);
      } finally {
        await second.gateway.close();
      }
    } finally {
      dir.remove();
      await receiver.close();
    }
  });
});
