/** The CLI's pure rules: exit codes by error class, the waiting line's texts, where the key comes from. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  ContentBlockedError,
  DownloadError,
  InsufficientBalanceError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TaskCanceledError,
  TaskFailedError,
  TimeoutError,
} from '../../../src/client/index.js';
import { errorFromAnswer } from '../../../src/client/errors.js';
import { resolveConnection } from '../../../src/cli/connection.js';
import { AfterSubmit, EXIT, errorJson, exitCodeOf, messageOf } from '../../../src/cli/exit-codes.js';
import { elapsedText, statusText } from '../../../src/cli/progress.js';
import { ConfigError } from '../../../src/config/load.js';
import { AppError } from '../../../src/domain/errors.js';

describe('qig exit codes', () => {
  it('maps each error class to its documented code', () => {
    const cases: Array<[unknown, number]> = [
      [new BadRequestError('x', { status: 400 }), EXIT.usage],
      [new NotFoundError('x', { status: 200 }), EXIT.usage],
      [new AppError('invalid_parameter', 'x'), EXIT.usage],
      [new ConfigError('x'), EXIT.usage],
      [new AuthenticationError('x', { status: 401 }), EXIT.refused],
      [new PermissionDeniedError('x', { status: 403 }), EXIT.refused],
      [new InsufficientBalanceError('x', { status: 400 }), EXIT.refused],
      [new ConnectionError('x'), EXIT.unreachable],
      [new TimeoutError('x'), EXIT.unreachable],
      [new RateLimitError('x', { status: 429 }), EXIT.rateLimited],
      [new ServerError('x', { status: 500 }), EXIT.failed],
      [new ContentBlockedError('x', { status: 400 }), EXIT.failed],
      [new TaskFailedError('x', { status: 200 }), EXIT.failed],
      [new TaskCanceledError('x', { status: 200 }), EXIT.failed],
      [new Error('anything else'), EXIT.failed],
    ];
    for (const [error, code] of cases) assert.equal(exitCodeOf(error), code, (error as Error).name);
  });

  it('keeps server text from steering the terminal, and cuts it', () => {
    const hostile = errorFromAnswer(500, { code: 'InternalError', message: `\u001b]0;owned\u0007\u001b[2Jall good${'x'.repeat(5000)}` }, null);
    const text = messageOf(hostile);
    assert.doesNotMatch(text, new RegExp(String.fromCharCode(27)));
    assert.ok(text.length < 1100, `${text.length} characters`);
  });

  it('says after a submitted task failed to save how to pick it up, and keeps the cause\'s code', () => {
    const wrapped = new AfterSubmit(new DownloadError('x: HTTP 403', { status: 403 }), 't-1', 'The task t-1 may carry on: qig tasks watch t-1 -o out');
    assert.equal(exitCodeOf(wrapped), EXIT.failed, 'an expired URL is not a refused key');
    assert.match(messageOf(wrapped), /x: HTTP 403\nThe task t-1 may carry on: qig tasks watch t-1 -o out$/);
    assert.deepEqual(errorJson(wrapped).error, { name: 'DownloadError', code: 'Error', status: 403, message: 'x: HTTP 403', requestId: null, taskId: 't-1', hint: 'The task t-1 may carry on: qig tasks watch t-1 -o out' });
    assert.equal(exitCodeOf(Object.assign(new Error('EEXIST: file already exists'), { code: 'EEXIST' })), EXIT.usage);
  });

  it('names the request in the message when the server gave one', () => {
    assert.equal(messageOf(new ServerError('InternalError: boom', { requestId: 'r-1' })), 'InternalError: boom (request r-1)');
    assert.equal(messageOf(new Error('plain')), 'plain');
  });
});

describe('qig waiting line', () => {
  it('says where a task is', () => {
    assert.equal(statusText({ status: 'PENDING', queuePosition: 0 }), 'Queued · next');
    assert.equal(statusText({ status: 'PENDING', queuePosition: 3 }), 'Queued · 3 ahead');
    assert.equal(statusText({ status: 'PENDING', queuePosition: null }), 'Queued');
    assert.equal(statusText({ status: 'RUNNING', queuePosition: null }), 'Running');
    assert.equal(statusText({ status: 'SUCCEEDED', queuePosition: null }), 'Succeeded');
  });

  it('counts time in tenths, then minutes', () => {
    assert.equal(elapsedText(0), '0.0s');
    assert.equal(elapsedText(59_940), '59.9s');
    assert.equal(elapsedText(65_000), '1m05s');
  });
});

describe('qig connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qig-cli-'));
  writeFileSync(join(dir, 'dev-key.txt'), 'sk-qig-dev\n');
  const env = { QIG_DATA_DIR: dir };

  it('takes flags over the environment over the local default', () => {
    assert.deepEqual(resolveConnection({ url: 'http://127.0.0.1:9000/', key: 'k1' }, { ...env, QIG_URL: 'http://x:1', QIG_API_KEY: 'k2' }), { url: 'http://127.0.0.1:9000', apiKey: 'k1', keySource: '--key' });
    assert.deepEqual(resolveConnection({}, { QIG_URL: 'https://gw.example', QIG_API_KEY: 'k2' }), { url: 'https://gw.example', apiKey: 'k2', keySource: 'QIG_API_KEY' });
    assert.deepEqual(resolveConnection({}, { ...env, PORT: '8181' }), { url: 'http://127.0.0.1:8181', apiKey: 'sk-qig-dev', keySource: join(dir, 'dev-key.txt') });
    assert.equal(resolveConnection({ url: 'http://localhost:8080' }, env).apiKey, 'sk-qig-dev');
  });

  it('reads the development key only for a loopback URL', () => {
    assert.throws(() => resolveConnection({ url: 'http://gateway.example' }, env), /No API key for http:\/\/gateway\.example: set QIG_API_KEY or pass --key\.$/);
    assert.throws(() => resolveConnection({}, { QIG_DATA_DIR: join(dir, 'none') }), /or start the server first: it saves its development key in .*dev-key\.txt \(\$QIG_DATA_DIR\/dev-key\.txt\)/);
  });

  it('refuses a URL that is not http(s), naming where it came from', () => {
    assert.throws(() => resolveConnection({ url: 'ftp://x' }, env), /--url: must be an http\(s\) URL/);
    assert.throws(() => resolveConnection({}, { QIG_URL: 'not a url' }), /QIG_URL: must be an http\(s\) URL .*"not a url"/);
  });

  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
});
