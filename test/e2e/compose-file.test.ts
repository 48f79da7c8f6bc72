/**
 * compose.yaml as the gateway reads it: with .env.example's values interpolated the way Compose
 * does, each gateway node's environment (on top of the image's ENV) passes the real config loader
 * with the role, stores and URLs intended; it uses documented variables only; every variable it
 * interpolates is in .env.example and every one there is used. (`.ci/run` also validates the file
 * with Debian's docker-compose; images cannot be pulled or built here, so nothing is started.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { parseEnv, parseStages } from '../helpers/dockerfile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** KEY=value lines, as Compose reads an env file. */
function readEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) values.set(match[1] as string, (match[2] as string).trim());
  }
  return values;
}

/** Compose's interpolation of one string: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}. */
function interpolate(text: string, values: ReadonlyMap<string, string>, used: Set<string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}|\$(\w+)/g, (whole, name?: string, colon?: string, kind?: string, operand?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const key = (name ?? bare) as string;
    used.add(key);
    const value = values.get(key);
    const missing = value === undefined || (colon === ':' && value === '');
    if (!missing) return value;
    if (kind === '?') throw new Error(`${key}: ${operand}`);
    return kind === '-' ? (operand ?? '') : '';
  });
}

function interpolateAll(node: unknown, values: ReadonlyMap<string, string>, used: Set<string>): unknown {
  if (typeof node === 'string') return interpolate(node, values, used);
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, values, used));
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateAll(value, values, used)]));
  return node;
}

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: { test: string[] };
}

function composeWith(values: ReadonlyMap<string, string>): { services: Record<string, Service>; used: Set<string> } {
  const used = new Set<string>();
  const raw = parse(read('compose.yaml'), { merge: true }) as unknown;
  const interpolated = interpolateAll(raw, values, used) as { services: Record<string, Service> };
  return { services: interpolated.services, used };
}

/** The image's final-stage ENV, which the nodes' environment is added to. */
function imageEnv(): Record<string, string> {
  const final = parseStages(read('Dockerfile')).at(-1);
  assert.ok(final);
  return Object.fromEntries(final.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => parseEnv(i)));
}

describe('compose.yaml', () => {
  const example = readEnvFile(read('.env.example'));
  const { services, used } = composeWith(example);

  it('interpolates only variables .env.example lists, and uses every one it lists', () => {
    assert.deepEqual([...used].filter((name) => !example.has(name)).sort(), [], 'variables compose.yaml reads but .env.example does not list');
    assert.deepEqual([...example.keys()].filter((name) => !used.has(name)).sort(), [], 'variables .env.example lists but compose.yaml does not read');
  });

  it('refuses to start without the secrets .env must set', () => {
    for (const name of ['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'MINIO_ROOT_PASSWORD', 'QIG_S3_ACCESS_KEY', 'QIG_S3_SECRET_KEY', 'QIG_ADMIN_TOKEN', 'QIG_PUBLIC_URL', 'QIG_SECRET_KEY']) {
      const without = new Map(example);
      without.delete(name);
      assert.throws(() => composeWith(without), new RegExp(`${name}: set ${name} in \\.env`));
    }
  });

  it('wires API and worker nodes through documented variables that the gateway accepts', () => {
    const documented = new Set(
      [...(/## Configuration\n([\s\S]*?)\n## /.exec(read('README.md'))?.[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1] as string),
    );
    const image = imageEnv();
    const gateways = { api: services.api, worker: services.worker };
    for (const [role, service] of Object.entries(gateways)) {
      assert.ok(service?.build && service.environment, `${role}: built here, with an environment`);
      assert.deepEqual(Object.keys(service.environment).filter((name) => !documented.has(name)), [], `${role}: variables not in the README's Configuration table`);
      for (const dependency of ['postgres', 'redis']) assert.equal(service.depends_on?.[dependency]?.condition, 'service_healthy', `${role} waits for ${dependency}`);
      assert.equal(service.depends_on?.['minio-setup']?.condition, 'service_completed_successfully', `${role} waits for the bucket`);

      const config = loadConfig({ ...image, ...service.environment }, '/app');
      assert.equal(config.role, role);
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.port, 8080);
      assert.equal(config.dataDir, '/data');
      assert.equal(config.databaseUrl, `postgres://qig:${example.get('POSTGRES_PASSWORD')}@postgres:5432/qig`);
      assert.equal(config.redisUrl, `redis://:${example.get('REDIS_PASSWORD')}@redis:6379`);
      // Workers hand out URLs too: they must name the API's public address, not their own.
      assert.equal(config.publicUrl, example.get('QIG_PUBLIC_URL'));
      assert.equal(config.publicUrlExplicit, true);
      assert.deepEqual(config.s3, {
        bucket: example.get('QIG_S3_BUCKET'),
        endpoint: 'http://minio:9000',
        region: 'us-east-1',
        prefix: '',
        forcePathStyle: true,
        credentials: { accessKeyId: example.get('QIG_S3_ACCESS_KEY'), secretAccessKey: example.get('QIG_S3_SECRET_KEY') },
      });
      assert.equal(config.adminToken, role === 'api' ? example.get('QIG_ADMIN_TOKEN') : null, `the admin API on API nodes only`);
      assert.deepEqual(config.notices, [], `${role}: no ignored settings`);
      assert.equal(config.engines.dashscope, undefined, 'no DashScope engine while DASHSCOPE_API_KEY is empty');
      assert.equal(config.tracing.endpoint, null, 'no tracing while OTEL_EXPORTER_OTLP_ENDPOINT is empty');
      assert.equal(config.metricsToken, null, '/metrics open while QIG_METRICS_TOKEN is empty');
      assert.deepEqual(config.secretKey, { current: example.get('QIG_SECRET_KEY'), previous: [] }, 'upstream keys entered at runtime are encrypted alike on every node');
    }
    assert.deepEqual(services.api?.ports, [`${example.get('QIG_PORT')}:8080`], 'the API is published');
    assert.equal(services.worker?.ports, undefined, 'workers are not published');
  });

  it('creates the bucket the nodes use, with the credentials they use, after MinIO is healthy', () => {
    const setup = services['minio-setup'];
    assert.equal(setup?.depends_on?.minio?.condition, 'service_healthy');
    assert.equal(setup?.environment?.BUCKET, services.api?.environment?.QIG_S3_BUCKET);
    assert.equal(setup?.environment?.ACCESS_KEY, services.api?.environment?.AWS_ACCESS_KEY_ID);
    assert.equal(setup?.environment?.SECRET_KEY, services.api?.environment?.AWS_SECRET_ACCESS_KEY);
    for (const name of ['postgres', 'redis', 'minio']) assert.ok(services[name]?.healthcheck?.test.length, `${name} has a health check`);
  });
});
