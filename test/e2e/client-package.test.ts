/**
 * The published client works on its own: packages/client built into a temporary folder, packed
 * with npm, installed offline into a temporary project (the registry pointed at a closed loopback
 * port, so any attempt at the network fails), then a plain .mjs script run by node — no tsx —
 * edits against the test gateway, and a strict tsc of a .ts consumer proves the types ship.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/stores.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const SAMPLE = join(ROOT, 'examples/sample.png');
const NAME = '@qwen-image-gateway/client';

const work = tempDir('qig-client-package-');
const pkg = join(work.path, 'pkg');
const app = join(work.path, 'app');
let server: TestGateway;

/** npm with no way to the network: offline, a closed loopback registry, its own cache, no scripts. */
function npm(args: string[], cwd: string) {
  return run('npm', [...args, '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--registry=http://127.0.0.1:9/', `--cache=${join(work.path, 'npm-cache')}`], { cwd, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

before(async () => {
  await run(process.execPath, [TSC, '-p', join(ROOT, 'packages/client/tsconfig.json'), '--outDir', join(pkg, 'dist')], { cwd: ROOT });
  copyFileSync(join(ROOT, 'packages/client/package.json'), join(pkg, 'package.json'));
  const packed = await npm(['pack', '--json', `--pack-destination=${work.path}`], pkg);
  const tarball = join(work.path, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]?.filename as string);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await npm(['install', '--no-package-lock', tarball], app);
  server = await startTestGateway();
});

after(async () => {
  await server?.close();
  work.remove();
});

describe('the client package', () => {
  it('installs offline with its compiled JavaScript and declarations only', () => {
    const installed = join(app, 'node_modules', NAME);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { name: string; dependencies?: unknown };
    assert.equal(manifest.name, NAME);
    assert.equal(manifest.dependencies, undefined, 'no dependencies');
    const dist = readdirSync(join(installed, 'dist')).sort();
    assert.ok(dist.includes('index.js') && dist.includes('index.d.ts'), dist.join(' '));
    assert.ok(dist.every((file) => file.endsWith('.js') || file.endsWith('.d.ts')), dist.join(' '));
    assert.deepEqual(readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.')), ['@qwen-image-gateway'], 'nothing else installed');
  });

  it('runs from a plain .mjs script under node: an edit, a download and a typed error', async () => {
    const script = join(app, 'edit.mjs');
    writeFileSync(
      script,
      `import { BadRequestError, createClient } from '${NAME}';
const client = createClient({ baseUrl: process.env.QIG_URL, apiKey: process.env.QIG_KEY });
const result = await client.edit({ images: process.env.SAMPLE, prompt: 'make it black and white', n: 1 });
const files = await result.download(process.env.OUT);
let refused = null;
try {
  await client.edit({ images: process.env.SAMPLE, prompt: 'blur', n: 9 });
} catch (error) {
  refused = error instanceof BadRequestError ? error.code : String(error);
}
console.log(JSON.stringify({ images: result.images.length, width: result.width, files, refused }));
`,
    );
    const out = join(work.path, 'out');
    const { stdout } = await run(process.execPath, [script], { cwd: app, env: { ...process.env, QIG_URL: server.url, QIG_KEY: server.key, SAMPLE, OUT: out, NODE_OPTIONS: '' } });
    const answer = JSON.parse(stdout) as { images: number; width: number; files: string[]; refused: string };
    assert.deepEqual([answer.images, answer.width, answer.refused], [1, 1248, 'InvalidParameter']);
    assert.equal(answer.files.length, 1);
    assert.ok(existsSync(answer.files[0] as string));
    assert.equal(readFileSync(answer.files[0] as string).subarray(1, 4).toString('latin1'), 'PNG');
  });

  it('ships its types: a strict TypeScript consumer compiles, and a wrong call does not', async () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { createClient, QigError, RateLimitError, type ImageResult, type TaskHandle, type TaskInfo, type Wire } from '${NAME}';

const client = createClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'sk-qig-x', maxRetries: 1 });

export async function use(): Promise<string[]> {
  const result: ImageResult = await client.edit({ images: ['a.png', new Uint8Array([1])], prompt: 'make it blue', size: { width: 1024, height: 1024 } });
  const handle: TaskHandle = await client.generate({ prompt: 'a lake', seed: 1 }, { async: true, idempotencyKey: 'k' });
  const status: TaskInfo['status'] = (await handle.get()).status;
  const models: Wire.ModelList = await client.models();
  const balance: string | null = (await client.balance()).balance;
  const page = await client.tasks.list({ status: 'SUCCEEDED', page: 1 });
  try {
    await handle.wait({ onProgress: (task) => task.queuePosition });
  } catch (error) {
    if (error instanceof RateLimitError) return [String(error.retryAfterMs)];
    if (error instanceof QigError) return [error.code, String(error.status)];
  }
  // @ts-expect-error an edit needs a prompt
  await client.edit({ images: 'a.png' });
  // @ts-expect-error the handle of an async call is no ImageResult
  const wrong: ImageResult = await client.edit({ images: 'a.png', prompt: 'x' }, { async: true });
  return [...result.urls, status, String(models.data.length), String(balance), String(page.total), String(wrong)];
}
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], types: [], exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true }, files: ['consumer.ts'] }),
    );
    const compiled = await run(process.execPath, [TSC, '-p', join(app, 'tsconfig.json')], { cwd: app }).catch((error: { stdout: string }) => error);
    assert.equal(compiled.stdout, '', compiled.stdout);
  });
});
