/**
 * The CLI as the README tells users to run it after `npm ci`: `npm run qig -- …` and `npx qig …`,
 * both the built `dist/cli.js`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/stores.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run qig', () => {
  it('runs the package bin, and the README documents both ways', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin: { qig: string }; scripts: Record<string, string> };
    assert.equal(pkg.scripts.qig, `node ${pkg.bin.qig}`);
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    assert.match(readme, /npm run qig -- keys create /);
    assert.match(readme, /^\$ npx qig edit photo\.png -p "把背景换成白色" -n 2 -o out\/$/m);
  });

  it('npx qig runs the checkout\'s own command, offline', { skip: existsSync(`${ROOT}dist/cli.js`) ? false : 'dist/ is not built (npm ci builds it)' }, async () => {
    // A cache of its own, so the user's npx cache is left alone; --offline: nothing is fetched.
    const cache = tempDir();
    try {
      const { stdout } = await run('npx', ['--offline', 'qig', '--version'], { cwd: ROOT, env: { ...process.env, npm_config_cache: cache.path } });
      assert.equal(stdout.trim(), (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version);
    } finally {
      cache.remove();
    }
  });

  it('creates and lists keys on the configured store', { skip: existsSync(`${ROOT}dist/cli.js`) ? false : 'dist/ is not built (npm ci builds it)' }, async () => {
    const dir = tempDir();
    const { DATABASE_URL: _db, REDIS_URL: _redis, QIG_CONFIG: _config, ...env } = process.env;
    const qig = (...args: string[]) => run('npm', ['run', '--silent', 'qig', '--', ...args], { cwd: ROOT, env: { ...env, QIG_DATA_DIR: dir.path } });
    try {
      const created = JSON.parse((await qig('keys', 'create', '--name', 'shop-a', '--balance', '10.00')).stdout) as { id: string; key: string };
      assert.match(created.key, /^sk-qig-/);
      const listed = JSON.parse((await qig('keys', 'list', '--json')).stdout) as Array<{ id: string; balance: string }>;
      assert.deepEqual(listed.map((key) => [key.id, key.balance]), [[created.id, '10.00']]);
    } finally {
      dir.remove();
    }
  });
});
