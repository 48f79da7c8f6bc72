/**
 * The logs an operator follows: one info line per request (id, method, route template, status,
 * time, dialect, key id, model, task) and one per task transition (started, ended with engine,
 * attempt, duration, outcome and error code); and, at every level, no API key, admin token,
 * upstream key or URL signature in any line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loggerOptions } from '../../src/lib/logger.js';
import { call, editBody, SYNC_PATH, ASYNC_PATH, waitForTask } from '../fakes/dashscope-client.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { solidImage } from '../helpers/images.js';
import { tempDir } from '../helpers/stores.js';

const ADMIN = 'admin-token-for-the-log-test';
type Line = Record<string, unknown>;

describe('request and task logs', () => {
  const lines: Line[] = [];
  let raw = '';
  let fake: FakeDashScope;
  let server: TestGateway;

  before(async () => {
    fake = await startFakeDashScope({ apiKey: 'sk-upstream-secret-for-the-log-test', pendingQueries: 0, runningQueries: 1 });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw += chunk.toString();
        for (const text of chunk.toString().split('\n')) if (text.trim()) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    server = await startTestGateway({
      // Trace: every line the gateway can write is checked for secrets.
      logger: pino(loggerOptions('trace'), sink),
      env: { QIG_ADMIN_TOKEN: ADMIN },
      config: {
        engines: { cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey }, cpu: { type: 'local' } },
        routes: { 'qwen-image-plus': ['cloud'], '*': ['cpu'] },
        fetch: { allowHosts: [fake.hostPort] },
      },
    });
  });
  after(async () => {
    await server?.close();
    await fake?.close();
  });

  const requestLines = (reqId: string) => lines.filter((line) => line.msg === 'request' && line.reqId === reqId);

  it('logs each request once at info, with its route, key id, dialect, model and task', async () => {
    const png = await solidImage(64, 64, [200, 40, 40]);
    const submitted = await fetch(`${server.url}${SYNC_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable', 'x-request-id': 'log-test-submit' },
      body: JSON.stringify(editBody('qwen-image-edit-plus', [png], 'make it black and white')),
    });
    assert.equal(submitted.status, 200);
    const taskId = ((await submitted.json()) as { output: { task_id: string } }).output.task_id;
    await waitForTask(server, taskId);
    // Refused by the model's rules (n above 6): the request names the model it asked for.
    const refused = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'make it black and white', { n: 9 }), { 'x-request-id': 'log-test-refused' });
    assert.equal(refused.status, 400);

    const [submit, ...more] = requestLines('log-test-submit');
    assert.equal(more.length, 0, 'one line per request');
    const keyId = (await server.gateway.keys.authenticate(`Bearer ${server.key}`)).keyId;
    assert.ok(keyId);
    assert.deepEqual(
      { level: submit?.level, method: submit?.method, route: submit?.route, status: submit?.status, dialect: submit?.dialect, keyId: submit?.keyId, model: submit?.model, taskId: submit?.taskId },
      { level: 30, method: 'POST', route: SYNC_PATH, status: 200, dialect: 'dashscope', keyId, model: 'qwen-image-edit-plus', taskId },
    );
    assert.equal(typeof submit?.ms, 'number');
    // A poll names the route template, not the URL, and the task it read — also when the
    // finished task's answer comes from the route's cache.
    const again = await fetch(`${server.url}/api/v1/tasks/${taskId}`, { headers: { authorization: `Bearer ${server.key}`, 'x-request-id': 'log-test-cached-poll' } });
    assert.equal(again.status, 200);
    const polls = lines.filter((line) => line.msg === 'request' && line.route === '/api/v1/tasks/:taskId');
    assert.ok(polls.length >= 2);
    for (const poll of polls) assert.deepEqual([poll.taskId, poll.model, poll.level], [taskId, 'qwen-image-edit-plus', 30], JSON.stringify(poll));
    // A refused request still says what it asked for.
    const [bad] = requestLines('log-test-refused');
    assert.deepEqual([bad?.status, bad?.model, bad?.taskId], [400, 'qwen-image-edit-plus', undefined]);
  });

  it('logs a task starting and ending, with its engine, attempt, duration and outcome', async () => {
    const submitted = await call(server, 'POST', ASYNC_PATH, { model: 'qwen-image-plus', input: { prompt: 'a lighthouse' }, parameters: { size: '1328*1328' } }, { 'x-dashscope-async': 'enable' });
    assert.equal(submitted.status, 200);
    const taskId = submitted.json.output.task_id as string;
    await waitForTask(server, taskId);
    const started = lines.find((line) => line.msg === 'task started' && line.taskId === taskId);
    assert.deepEqual([started?.level, started?.model, started?.attempt, typeof started?.queuedMs], [30, 'qwen-image-plus', 1, 'number']);
    const ended = lines.find((line) => line.msg === 'task ended' && line.taskId === taskId);
    assert.deepEqual(
      { level: ended?.level, engine: ended?.engine, attempt: ended?.attempt, outcome: ended?.outcome, images: ended?.images },
      { level: 30, engine: 'cloud', attempt: 1, outcome: 'succeeded', images: 1 },
    );
    assert.equal(typeof ended?.ms, 'number');
  });

  it('logs a failed task with its error code', async () => {
    // The local engine cannot do this edit: the task fails with a catalog error.
    const png = await solidImage(64, 64, [10, 120, 10]);
    const submitted = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'make the person dance on the moon'), { 'x-dashscope-async': 'enable' });
    const taskId = submitted.json.output.task_id as string;
    const done = await waitForTask(server, taskId);
    assert.equal(done.output.task_status, 'FAILED');
    const ended = lines.find((line) => line.msg === 'task ended' && line.taskId === taskId);
    assert.equal(ended?.outcome, 'failed');
    assert.equal(typeof ended?.errorCode, 'string');
  });

  it('never writes a secret: API keys, the admin token, the upstream key, URL signatures', async () => {
    const created = await fetch(`${server.url}/admin/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'logged', balance: '5.00' }) });
    const newKey = ((await created.json()) as { key: string }).key;
    const wrongAdmin = await fetch(`${server.url}/admin/v1/keys`, { headers: { authorization: 'Bearer not-the-admin-token-but-secret-too' } });
    assert.equal(wrongAdmin.status, 401);
    const wrongKey = await fetch(`${server.url}/api/v1/tasks/x`, { headers: { authorization: 'Bearer sk-a-wrong-key-that-is-secret' } });
    assert.equal(wrongKey.status, 401);
    // A multipart edit: its parser logs its options, request headers included, at trace.
    const form = new FormData();
    form.append('image', new Blob([await solidImage(32, 32, [1, 2, 3])], { type: 'image/png' }), 'in.png');
    form.append('prompt', 'make it black and white');
    form.append('model', 'qwen-image-edit-plus');
    const multipart = await fetch(`${server.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${newKey}` }, body: form });
    assert.equal(multipart.status, 200);
    const generated = await call(server, 'POST', ASYNC_PATH, { model: 'qwen-image-plus', input: { prompt: 'a boat' }, parameters: { size: '1328*1328' } }, { 'x-dashscope-async': 'enable' });
    const done = await waitForTask(server, generated.json.output.task_id as string);
    const url = new URL(done.output.results[0].url as string);
    assert.equal((await fetch(url)).status, 200);
    const signature = url.searchParams.get('sig');
    assert.ok(signature);
    // The upstream's own result URLs carry its signature too (the fake's is fixed).
    for (const secret of [server.key, newKey, ADMIN, fake.apiKey, signature, 'not-the-admin-token-but-secret-too', 'sk-a-wrong-key-that-is-secret']) {
      assert.equal(raw.includes(secret), false, `a log line contains ${secret.slice(0, 6)}…`);
    }
    assert.ok(lines.length > 10, 'the gateway did log');
  });
});

describe('log format', () => {
  it('QIG_LOG_FORMAT=pretty writes readable lines instead of JSON (what a terminal gets by default)', { timeout: 60_000 }, async () => {
    const dir = tempDir('qig-pretty-');
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...inherited, PORT: '0', HOST: '127.0.0.1', QIG_DATA_DIR: dir.path, QIG_LOG_FORMAT: 'pretty', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start line:\n${output}`)), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (/qwen-image-gateway listening/.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      const line = output.split('\n').find((text) => text.includes('qwen-image-gateway listening')) ?? '';
      assert.match(line, /INFO/);
      assert.doesNotMatch(line, /^\{/, 'not a JSON line');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      dir.remove();
    }
  });
});
