/**
 * `qig edit|generate|tasks|models|balance` against the real server: in a pseudo-terminal (the
 * spinner with queue position and status, the saved files), with `--json`, the task commands,
 * Ctrl-C, the development key file, and the documented exit codes. A gate engine holds tasks
 * where a test wants them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createGateEngine, type GateEngine } from '../fakes/gate-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/stores.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'examples', 'sample.png');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The CLI as a child process; `pty` runs it in a pseudo-terminal (util-linux `script`) 100 columns wide. */
function qig(
  args: readonly string[],
  env: Record<string, string>,
  options: { pty?: boolean; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Run> {
  // CI runners set `CI`, and ora draws no spinner under it (nor with TERM=dumb): the terminal run
  // must look like a person's terminal.
  const { DATABASE_URL: _db, REDIS_URL: _redis, QIG_URL: _url, QIG_API_KEY: _key, CI: _ci, ...base } = process.env;
  if (options.pty) base.TERM = 'xterm-256color';
  const command = [process.execPath, '--import', 'tsx', 'src/cli.ts', ...args];
  const [file, argv] = options.pty
    ? ['script', ['-qfec', `stty cols 100 rows 30; exec ${command.map(shellQuote).join(' ')}`, '/dev/null']]
    : [command[0] as string, command.slice(1)];
  const child = spawn(file, argv, { cwd: ROOT, env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    options.onStderr?.(stderr, child);
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

let gw: TestGateway;
let env: Record<string, string>;

/** A gateway whose one worker slot is taken by a task the gate holds until `gate.open()`. */
async function withHeldGateway(work: (held: TestGateway, gate: GateEngine, env: Record<string, string>) => Promise<void>): Promise<void> {
  const gate = createGateEngine();
  const held = await startTestGateway({
    engines: new Map([['gate', gate]]),
    config: { engines: { gate: { type: 'local' } }, routes: { '*': ['gate'] }, limits: { workerConcurrency: 1 } },
  });
  try {
    await fetch(`${held.url}/api/v1/services/aigc/multimodal-generation/generation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${held.key}`, 'content-type': 'application/json', 'x-dashscope-async': 'enable' },
      body: JSON.stringify({ model: 'qwen-image-plus', input: { messages: [{ role: 'user', content: [{ text: 'hold' }] }] } }),
    });
    await gate.waitForStarts(1);
    await work(held, gate, { QIG_URL: held.url, QIG_API_KEY: held.key });
  } finally {
    gate.open();
    await held.close();
  }
}

async function pending(server: TestGateway): Promise<number> {
  const answer = await fetch(`${server.url}/api/v1/tasks?status=PENDING`, { headers: { authorization: `Bearer ${server.key}` } });
  return ((await answer.json()) as { total: number }).total;
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met');
}

/** `qig edit -n 2` in a terminal, queued behind the held task until the spinner has drawn it. */
async function withHeldGatewayRun(outDir: string): Promise<Run> {
  let result: Run | null = null;
  await withHeldGateway(async (held, gate, heldEnv) => {
    let drawn = false;
    const run = qig(['edit', SAMPLE, '-p', '把背景换成白色', '-n', '2', '-o', outDir], heldEnv, {
      pty: true,
      onStdout: (text) => {
        drawn ||= /Queued · next · task [0-9a-f-]{36} · \d+\.\ds/.test(text);
      },
    });
    await eventually(async () => (await pending(held)) === 1);
    // Opened only once the spinner has drawn the queued task (the client polls after 1 s; on a
    // loaded machine later), so the assertion below does not race the poll.
    await eventually(async () => drawn);
    gate.open();
    result = await run;
  });
  return result as unknown as Run;
}

describe('qig API commands', { timeout: 300_000 }, () => {
  before(async () => {
    gw = await startTestGateway();
    env = { QIG_URL: gw.url, QIG_API_KEY: gw.key };
  });
  after(() => gw.close());

  it('edits in a terminal: a spinner with the queue position and status, then the saved files', async () => {
    const out = tempDir();
    try {
      const { code, stdout } = await withHeldGatewayRun(out.path);
      assert.equal(code, 0, stdout);
      assert.match(stdout, /Queued · next · task [0-9a-f-]{36} · \d+\.\ds/);
      assert.ok(stdout.includes('\u001b['), 'drawn with terminal control sequences');
      // The tick is coloured: an escape sequence may sit between it and the text.
      assert.match(stdout.replaceAll(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), ''), /✔ 2 images from task [0-9a-f-]{36} in \d+\.\ds/);
      const paths = stdout.split(/\r?\n/).filter((line) => line.startsWith(out.path));
      assert.equal(paths.length, 2);
      for (const path of paths) assert.deepEqual(readFileSync(path).subarray(0, 4), PNG);
    } finally {
      out.remove();
    }
  });

  it('prints JSON for scripts with --json, and nothing on stderr', async () => {
    const out = tempDir();
    try {
      const { code, stdout, stderr } = await qig(['generate', '-p', 'a red fox', '--size', '1328x1328', '--seed', '7', '--json', '-o', out.path], env);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, '');
      const result = JSON.parse(stdout) as { taskId: string; images: Array<{ url: string; path: string }>; warnings: string[] };
      assert.match(result.taskId, /^[0-9a-f-]{36}$/);
      assert.equal(result.images.length, 1);
      assert.ok(existsSync(result.images[0]?.path as string));
      assert.ok(result.warnings.some((warning) => /built-in CPU engine/.test(warning)));
    } finally {
      out.remove();
    }
  });

  it('submits with --no-wait, then gets, lists, cancels and watches tasks', async () => {
    const out = tempDir();
    try {
      const queued = JSON.parse((await qig(['edit', SAMPLE, '-p', 'sepia', '--no-wait', '--json'], env)).stdout) as { taskId: string; status: string };
      assert.equal(queued.status, 'PENDING');
      const held = queued.taskId;
      const got = JSON.parse((await qig(['tasks', 'get', held, '--json'], env)).stdout) as { id: string; status: string };
      assert.equal(got.id, held);
      const watched = await qig(['tasks', 'watch', held, '-o', out.path, '--json'], env);
      assert.equal(watched.code, 0, watched.stderr);
      const images = (JSON.parse(watched.stdout) as { images: Array<{ path: string }> }).images;
      assert.ok(images.every((image) => existsSync(image.path)));
      const list = await qig(['tasks', 'list', '--page-size', '5'], env);
      assert.match(list.stdout, /^id\s+status\s+model\s+submitted\s+ended\s+images$/m);
      assert.match(list.stdout, new RegExp(`${held}\\s+SUCCEEDED\\s+qwen-image-edit-plus`));
      const again = await qig(['tasks', 'cancel', held], env);
      assert.equal(again.code, 2, 'a finished task cannot be canceled');
      assert.match(again.stderr, /UnsupportedOperation: Only tasks in PENDING status can be canceled/);
    } finally {
      out.remove();
    }
  });

  it('lists models and the balance', async () => {
    const models = await qig(['models'], env);
    assert.match(models.stdout, /^id\s+kind\s+images\s+n\s+price\s+engine$/m);
    assert.match(models.stdout, /qwen-image-edit-plus\s+edit\s+≤3\s+≤6/);
    const balance = await qig(['balance'], env);
    assert.match(balance.stdout, /^development \(key_[\w-]+\): unlimited/);
  });

  it('stops waiting on Ctrl-C (exit 130) and says how to pick the task up again', async () => {
    await withHeldGateway(async (_held, _gate, heldEnv) => {
      const run = await qig(['edit', SAMPLE, '-p', 'blur'], heldEnv, {
        onStderr: (text, child) => {
          if (/Queued/.test(text) && !child.killed) child.kill('SIGINT');
        },
      });
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stderr, /Interrupted; task ([0-9a-f-]{36}) carries on: qig tasks watch \1/);
    });
  });

  it('stops on Ctrl-C typed in a terminal, and still says where the task is', async () => {
    await withHeldGateway(async (_held, _gate, heldEnv) => {
      let typed = false;
      const run = await qig(['edit', SAMPLE, '-p', 'blur', '-o', tempDir().path], heldEnv, {
        pty: true,
        onStdout: (text, child) => {
          // The terminal turns ^C into SIGINT for the command, as when a user presses it.
          if (!typed && /Queued/.test(text)) {
            typed = true;
            child.stdin?.write('\u0003');
          }
        },
      });
      assert.equal(run.code, 130, run.stdout);
      assert.match(run.stdout, /Interrupted; task ([0-9a-f-]{36}) carries on: qig tasks watch \1/);
    });
  });

  it('checks -o before submitting, and prints failures as JSON with --json', async () => {
    const file = join(tempDir().path, 'a-file');
    writeFileSync(file, 'x');
    const before = JSON.parse((await qig(['tasks', 'list', '--json'], env)).stdout) as { total: number };
    const refused = await qig(['edit', SAMPLE, '-p', 'sepia', '-o', file], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^qig: -o .*a-file: cannot save images there \((EEXIST|ENOTDIR)\)\.$/m);
    const after = JSON.parse((await qig(['tasks', 'list', '--json'], env)).stdout) as { total: number };
    assert.equal(after.total, before.total, 'nothing was submitted');

    const badKey = await qig(['balance', '--key', 'sk-qig-wrong', '--json'], env);
    assert.equal(badKey.code, 3);
    assert.equal(badKey.stderr, '');
    const error = (JSON.parse(badKey.stdout) as { error: { name: string; code: string; status: number } }).error;
    assert.deepEqual([error.name, error.code, error.status], ['AuthenticationError', 'invalid_api_key', 401]);

    const unknown = await qig(['tasks', 'get', 'no-such-task', '--json'], env);
    assert.equal(unknown.code, 2);
    assert.equal((JSON.parse(unknown.stdout) as { status: string }).status, 'UNKNOWN');
  });

  it('uses a local server\'s development key file, and never for another host', async () => {
    const local = await qig(['balance', '--json'], { QIG_URL: gw.url, QIG_DATA_DIR: gw.dataDir });
    assert.equal(local.code, 0, local.stderr);
    assert.equal((JSON.parse(local.stdout) as { name: string }).name, 'development');
    // The key file is not read for a non-loopback URL: the command stops before any connection.
    const remote = await qig(['balance'], { QIG_URL: 'http://gateway.example:8080', QIG_DATA_DIR: gw.dataDir });
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /^qig: No API key for http:\/\/gateway\.example:8080: set QIG_API_KEY or pass --key\.$/m);
  });

  it('exits with the documented codes and clean messages', async () => {
    const version = await qig(['--version'], env);
    assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);

    const badKey = await qig(['balance', '--key', 'sk-qig-wrong'], env);
    assert.equal(badKey.code, 3);
    assert.match(badKey.stderr, /^qig: invalid_api_key: /m);

    const closed = await qig(['balance', '--url', 'http://127.0.0.1:9'], env);
    assert.equal(closed.code, 4);
    assert.match(closed.stderr, /^qig: Could not reach http:\/\/127\.0\.0\.1:9\/v1\/balance/m);

    const refused = await qig(['edit', SAMPLE, '-p', 'x', '-n', '9'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /InvalidParameter: parameters\.n: must be an integer from 1 to 6 for model qwen-image-edit-plus \(got 9\)\. \(request [\w-]+\)/);

    const missing = await qig(['edit', 'no-such-photo.png', '-p', 'x'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /images\[0\]: cannot read the file "no-such-photo\.png" \(ENOENT\)\./);

    const flag = await qig(['edit', SAMPLE, '-p', 'x', '-n', 'two'], env);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /option '-n, --n <count>' argument 'two' is invalid\. must be a whole number from 1 to 16\.\n\(qig edit --help lists its options\)/);
    assert.doesNotMatch(flag.stderr, /at .*\.js:\d+/, 'no stack trace');

    const unknown = await qig(['paint'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'paint'/);
  });
});
