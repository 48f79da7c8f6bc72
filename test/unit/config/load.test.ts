/** Configuration: env plus an optional JSON or YAML file; env wins; errors name the variable or key. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { tempDir } from '../../helpers/stores.js';

const dir = tempDir();
after(() => dir.remove());

function file(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

function failsWith(env: Record<string, string>, pattern: RegExp): void {
  assert.throws(() => loadConfig(env, dir.path), (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
}

describe('config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({}, dir.path);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(config.dataDir, join(dir.path, 'data'));
    assert.equal(config.adminToken, null);
    assert.equal(config.metricsToken, null);
    assert.equal(config.databaseUrl, null);
    assert.equal(config.role, 'all');
    assert.deepEqual(config.engines, { local: { type: 'local' } });
    assert.deepEqual(config.routes, { '*': [{ channel: 'local', priority: 1, weight: 1 }] });
    assert.equal(config.limits.syncWaitSeconds, 300);
    const { taskTimeoutSeconds, attemptsPerEngine, retryFirstDelaySeconds, retryMaxDelaySeconds, databasePoolSize } = config.limits;
    assert.deepEqual({ taskTimeoutSeconds, attemptsPerEngine, retryFirstDelaySeconds, retryMaxDelaySeconds, databasePoolSize }, { taskTimeoutSeconds: 1800, attemptsPerEngine: 3, retryFirstDelaySeconds: 1, retryMaxDelaySeconds: 30, databasePoolSize: 10 });
    assert.equal(config.files.urlTtlSeconds, 86400);
    assert.deepEqual(config.prices, { currency: 'CNY', perImage: {}, perEngine: {} });
    assert.ok(Object.isFrozen(config));
  });

  it('takes prices per engine for engines it defines (the implicit local engine and DASHSCOPE_API_KEY\'s included)', () => {
    const path = file('per-engine.json', JSON.stringify({ prices: { perImage: { '*': '0.20' }, perEngine: { local: { '*': '0.01' }, dashscope: { 'qwen-image-edit-plus': '0.15' } } } }));
    const config = loadConfig({ QIG_CONFIG: path, DASHSCOPE_API_KEY: 'sk-test' }, dir.path);
    assert.deepEqual(config.prices.perEngine, { local: { '*': '0.01' }, dashscope: { 'qwen-image-edit-plus': '0.15' } });
    assert.deepEqual(config.prices.perImage, { '*': '0.20' });
    failsWith({ QIG_CONFIG: path }, /prices\.perEngine\.dashscope: engine "dashscope" is not defined/);
  });

  it('refuses a price keyed by an unknown model, in perImage and perEngine alike, listing the valid keys', () => {
    const valid = /keys are model ids, families or "\*" \(valid: "\*", "qwen-image-edit", "qwen-image-edit-plus", "qwen-image-edit-plus-2025-10-30",.*"qwen-image"\)$/;
    for (const [name, prices] of [
      ['typo-engine.json', { perEngine: { local: { 'qwen-image-edit-pluss': '0.1' } } }],
      ['typo-image.json', { perImage: { 'qwen-image-edit-pluss': '0.1' } }],
    ] as const) {
      const path = file(name, JSON.stringify({ prices }));
      const where = 'perEngine' in prices ? 'prices\\.perEngine\\.local' : 'prices\\.perImage';
      failsWith({ QIG_CONFIG: path }, new RegExp(`^config file ${path}: ${where}\\.qwen-image-edit-pluss: unknown model "qwen-image-edit-pluss"`));
      failsWith({ QIG_CONFIG: path }, valid);
    }
    // A family, a dated snapshot and "*" are all keys.
    const good = file('keys.json', JSON.stringify({ prices: { perImage: { 'qwen-image-edit-plus-2025-12-15': '0.1', 'qwen-image-2.0-pro': '0.2', '*': '0.3' }, perEngine: { local: { 'qwen-image-edit-plus': '0.01' } } } }));
    assert.equal(loadConfig({ QIG_CONFIG: good }, dir.path).prices.perImage['qwen-image-2.0-pro'], '0.2');
  });

  it('bounds a price in the schema: at most 1000000, at most 6 decimals', () => {
    const at = (amount: string) => file(`amount-${amount}.json`, JSON.stringify({ prices: { perEngine: { local: { '*': amount } }, perImage: { 'qwen-image': amount } } }));
    for (const bad of ['99999999999999999999', '1000000.000001', '0.1234567', '-1', ' 0.1', '1e3']) {
      const path = at(bad);
      failsWith({ QIG_CONFIG: path }, new RegExp(`^config file ${path}: prices\\.perImage\\.qwen-image: must be a decimal amount from 0 to 1000000 with at most 6 decimals`));
      failsWith({ QIG_CONFIG: path }, /\nconfig file .*: prices\.perEngine\.local\.\*: must be a decimal amount from 0 to 1000000/);
    }
    for (const good of ['1000000', '1000000.000000', '0.000001', '0']) assert.equal(loadConfig({ QIG_CONFIG: at(good) }, dir.path).prices.perEngine.local?.['*'], good);
  });

  it('reads the environment', () => {
    const config = loadConfig({ PORT: '9090', HOST: '0.0.0.0', QIG_PUBLIC_URL: 'https://img.example.com/', QIG_ADMIN_TOKEN: 'admin-token-1', QIG_DATA_DIR: '/var/qig', QIG_ROLE: 'all' }, dir.path);
    assert.equal(config.port, 9090);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.publicUrl, 'https://img.example.com');
    assert.equal(config.publicUrlExplicit, true);
    assert.equal(config.adminToken, 'admin-token-1');
    assert.equal(config.dataDir, '/var/qig');
    assert.equal(loadConfig({ QIG_METRICS_TOKEN: 'scrape-token-1' }, dir.path).metricsToken, 'scrape-token-1');
    assert.equal(loadConfig({ QIG_CONFIG: file('m.json', '{"metricsToken": "file-token-1"}'), QIG_METRICS_TOKEN: 'env-token-1' }, dir.path).metricsToken, 'env-token-1');
    assert.deepEqual(loadConfig({ QIG_FETCH_ALLOW_HOSTS: ' 127.0.0.1:9000, minio:9000,' }, dir.path).fetch.allowHosts, ['127.0.0.1:9000', 'minio:9000']);
  });

  it('reads a JSON file, with env winning', () => {
    const path = file('c.json', JSON.stringify({
      server: { port: 7000 },
      engines: { cpu: { type: 'local' } },
      routes: { 'qwen-image-edit-plus': ['cpu'], '*': ['cpu'] },
      prices: { currency: 'CNY', perImage: { 'qwen-image-edit-plus': '0.18' } },
      fetch: { allowHosts: ['127.0.0.1:9000'] },
      limits: { syncWaitSeconds: 60 },
    }));
    const config = loadConfig({ QIG_CONFIG: path, PORT: '7001' }, dir.path);
    assert.equal(config.port, 7001);
    assert.deepEqual(config.routes['qwen-image-edit-plus'], [{ channel: 'cpu', priority: 1, weight: 1 }]);
    assert.deepEqual(config.fetch.allowHosts, ['127.0.0.1:9000']);
    assert.equal(config.prices.perImage['qwen-image-edit-plus'], '0.18');
    assert.equal(config.limits.syncWaitSeconds, 60);
    assert.equal(config.configFile, path);
  });

  it('reads a YAML file', () => {
    const path = file('c.yaml', 'server:\n  port: 7100\nfetch:\n  allowHosts:\n    - "localhost:9000"\n');
    const config = loadConfig({ QIG_CONFIG: path }, dir.path);
    assert.equal(config.port, 7100);
    assert.deepEqual(config.fetch.allowHosts, ['localhost:9000']);
  });

  it('names the variable or key that is wrong', () => {
    failsWith({ PORT: 'abc' }, /^PORT: must be a whole number from 0 to 65535 \(got "abc"\)/);
    failsWith({ PORT: '70000' }, /^PORT:/);
    failsWith({ QIG_ROLE: 'boss' }, /^QIG_ROLE: must be all, api or worker/);
    failsWith({ QIG_PUBLIC_URL: 'not a url' }, /^QIG_PUBLIC_URL/);
    failsWith({ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must start with postgres/);
    failsWith({ QIG_ADMIN_TOKEN: 'short' }, /^QIG_ADMIN_TOKEN: must be at least 8 characters$/);
    // A secret's value is never echoed in the error.
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2-password@db/x' }, dir.path), (error: unknown) => error instanceof ConfigError && /^DATABASE_URL: must start with postgres/.test(error.message) && !error.message.includes('hunter2'));
    assert.equal(loadConfig({ QIG_ADMIN_TOKEN: '  a-token-from-a-file\n' }, dir.path).adminToken, 'a-token-from-a-file');
    failsWith({ QIG_METRICS_TOKEN: 'short' }, /^QIG_METRICS_TOKEN: must be at least 8/);
    failsWith({ QIG_FETCH_ALLOW_HOSTS: '127.0.0.1:9000,minio' }, /^QIG_FETCH_ALLOW_HOSTS: must be a comma-separated list of "host:port"/);
    failsWith({ QIG_CONFIG: file('bad.json', '{"server": {"port": "x"}}') }, /server\.port/);
    failsWith({ QIG_CONFIG: file('bad2.json', '{"engines": {"a": {"type": "warp"}}}') }, /engines\.a\.type/);
    // An engine is a channel: its name follows the catalog's rule, so a seed never breaks it.
    failsWith({ QIG_CONFIG: file('bad2n.json', JSON.stringify({ engines: { ['e'.repeat(65)]: { type: 'local' } } })) }, /channel names use 1–64 letters/);
    failsWith({ QIG_CONFIG: file('bad3.json', '{"routes": {"*": ["nope"]}}') }, /routes\.\*: engine "nope" is not defined/);
    failsWith({ QIG_CONFIG: file('bad3p.json', '{"prices": {"perEngine": {"nope": {"*": "0.10"}}}}') }, /prices\.perEngine\.nope: engine "nope" is not defined under engines \(defined: local\)/);
    failsWith({ QIG_CONFIG: file('bad3q.json', '{"prices": {"perEngine": {"local": {"*": "ten"}}}}') }, /prices\.perEngine\.local\.\*: must be a decimal amount/);
    failsWith({ QIG_CONFIG: file('bad4.json', '{"fetch": {"allowHosts": ["no-port"]}}') }, /fetch\.allowHosts\.0: must be "host:port"/);
    failsWith({ QIG_CONFIG: file('bad5.json', '{"unknownKey": 1}') }, /unknownKey/);
    failsWith({ QIG_CONFIG: file('bad6.json', '{not json') }, /not valid JSON/);
    failsWith({ QIG_CONFIG: file('bad7.json', '{"limits": {"retryFirstDelaySeconds": 5, "retryMaxDelaySeconds": 2}}') }, /limits\.retryFirstDelaySeconds: must be at most limits\.retryMaxDelaySeconds \(2\)/);
    failsWith({ QIG_CONFIG: join(dir.path, 'missing.json') }, /^QIG_CONFIG: cannot read/);
  });
});
