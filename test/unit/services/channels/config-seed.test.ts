/**
 * The config file as the catalog's seed: an item is applied when its text changed since it was
 * last applied, so a change made at runtime lasts until the file's own entry changes; keys become
 * credentials that refer back to the file; and the catalog's rules refuse what the config refuses.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { CatalogContent, ChannelRecord, CredentialRecord } from '../../../../src/domain/channels.js';
import { AppError } from '../../../../src/domain/errors.js';
import type { EngineConfig } from '../../../../src/engines/options.js';
import { checkCatalog } from '../../../../src/services/channels/catalog-rules.js';
import { applySeed, type CatalogSeed } from '../../../../src/services/channels/config-seed.js';
import { configSecret } from '../../../../src/services/channels/records.js';

const EMPTY: CatalogContent = { channels: [], routes: {}, prices: { perImage: {}, perEngine: {} }, seeds: {} };

function seedOf(engines: Record<string, EngineConfig>, routes: CatalogSeed['routes'] = { '*': [{ channel: Object.keys(engines)[0] as string, priority: 1, weight: 1 }] }): CatalogSeed {
  return { engines, routes, prices: { perImage: { 'qwen-image-edit-plus': '0.20' }, perEngine: {} } };
}

/** A config key's credential id: the channel and the first 8 hex digits of the key's SHA-256. */
const idOf = (channel: string, apiKey: string) => `${channel}~${createHash('sha256').update(apiKey).digest('hex').slice(0, 8)}`;

const cloud: EngineConfig = {
  type: 'dashscope',
  baseUrl: 'http://127.0.0.1:9/',
  apiKey: 'sk-first-account-1234',
  credentials: [{ apiKey: 'sk-second-account-5678', label: 'second', weight: 3, qps: 2 }],
  cost: { '*': '0.10' },
};

describe('the config file as the seed of the catalog', () => {
  it('turns an engine into a channel whose keys are credentials pointing back at the file', () => {
    const applied = applySeed(EMPTY, seedOf({ cloud }), 1_000);
    assert.ok(applied);
    checkCatalog(applied.content);
    const [channel] = applied.content.channels;
    assert.equal(channel?.name, 'cloud');
    assert.deepEqual(channel?.engine, { type: 'dashscope', baseUrl: 'http://127.0.0.1:9/' }, 'no key, credential or cost in the engine options');
    assert.deepEqual(channel?.cost, { '*': '0.10' });
    assert.deepEqual(
      channel?.credentials.map((c) => [c.id, c.label, c.last4, c.secret, c.weight, c.qps]),
      [
        [idOf('cloud', 'sk-first-account-1234'), 'config #1', '1234', { source: 'config', path: 'engines.cloud.apiKey' }, 1, null],
        [idOf('cloud', 'sk-second-account-5678'), 'second', '5678', { source: 'config', path: 'engines.cloud.credentials.0.apiKey' }, 3, 2],
      ],
    );
    assert.equal(configSecret({ cloud }, 'engines.cloud.credentials.0.apiKey'), 'sk-second-account-5678');
    assert.ok(!JSON.stringify(applied).includes('sk-first-account'), 'neither the catalog nor its audit holds a key');
    assert.deepEqual(applied.audit.map((a) => `${a.actor} ${a.action} ${a.subject}`), ['config file channel.create channel:cloud', 'config file route.set route:*', 'config file prices.set prices']);
  });

  it('applies an item again only when its text in the file changed', () => {
    const seed = seedOf({ cloud, cpu: { type: 'local' } });
    const first = applySeed(EMPTY, seed, 1_000);
    assert.ok(first);
    // The console changed the route and removed the cpu channel: a restart with the same file keeps that.
    const edited: CatalogContent = { ...first.content, channels: first.content.channels.filter((c) => c.name !== 'cpu'), routes: { '*': [{ channel: 'cloud', priority: 5, weight: 2 }] } };
    assert.equal(applySeed(edited, seed, 2_000), null, 'nothing changed in the file, nothing is applied');
    // Key order in the file does not matter.
    const reordered = seedOf({ cpu: { type: 'local' }, cloud: { cost: { '*': '0.10' }, credentials: cloud.credentials, apiKey: cloud.apiKey, baseUrl: 'http://127.0.0.1:9/', type: 'dashscope' } as EngineConfig }, seed.routes);
    assert.equal(applySeed(edited, reordered, 2_000), null);
    // The file's route changes: it wins for that item only.
    const rerouted = applySeed(edited, { ...seed, routes: { '*': [{ channel: 'cloud', priority: 1, weight: 1 }, { channel: 'cpu', priority: 0, weight: 1 }] } }, 3_000);
    assert.ok(rerouted);
    assert.deepEqual(rerouted.content.routes['*']?.map((e) => e.channel), ['cloud', 'cpu']);
    assert.ok(rerouted.content.channels.some((c) => c.name === 'cpu'), 'a channel the file routes to comes back');
    checkCatalog(rerouted.content);
  });

  it('keeps the disable state of a re-seeded key that did not change, and starts a new key clean', () => {
    const first = applySeed(EMPTY, seedOf({ cloud }), 1_000);
    assert.ok(first);
    const disabled = { kind: 'arrears' as const, code: 'Arrearage', reason: 'in arrears', model: null, at: 1_500, nextTestAt: 61_500, strikes: 1 };
    const channels = first.content.channels.map((c) => ({ ...c, credentials: c.credentials.map((x) => (x.id === idOf('cloud', 'sk-first-account-1234') ? { ...x, disabled } : x)) }));
    const changed = applySeed({ ...first.content, channels }, seedOf({ cloud: { ...cloud, cost: { '*': '0.12' } } }), 2_000);
    assert.deepEqual(changed?.content.channels[0]?.credentials[0]?.disabled, disabled);
    const rekeyed = applySeed({ ...first.content, channels }, seedOf({ cloud: { ...cloud, apiKey: 'sk-replaced-key-9999' } }), 2_000);
    assert.equal(rekeyed?.content.channels[0]?.credentials[0]?.disabled, null);
  });

  it('keeps the ids and disable states of the keys still in the file when keys are reordered or removed', () => {
    const three: EngineConfig = { type: 'dashscope', baseUrl: 'http://127.0.0.1:9/', credentials: [{ apiKey: 'sk-key-aaaa-0001' }, { apiKey: 'sk-key-bbbb-0002' }, { apiKey: 'sk-key-cccc-0003' }] };
    const first = applySeed(EMPTY, seedOf({ cloud: three }), 1_000);
    assert.ok(first);
    const disabled = { kind: 'auth' as const, code: 'InvalidApiKey', reason: 'revoked', model: null, at: 1_500, nextTestAt: 61_500, strikes: 2 };
    const ccc = idOf('cloud', 'sk-key-cccc-0003');
    const channels = first.content.channels.map((c) => ({ ...c, credentials: c.credentials.map((x) => (x.id === ccc ? { ...x, disabled } : x)) }));
    // The first key leaves the file and the others swap places.
    const two: EngineConfig = { ...three, credentials: [{ apiKey: 'sk-key-cccc-0003' }, { apiKey: 'sk-key-bbbb-0002' }] };
    const next = applySeed({ ...first.content, channels }, seedOf({ cloud: two }), 2_000);
    const credentials = next?.content.channels[0]?.credentials ?? [];
    assert.deepEqual(credentials.map((c) => [c.id, c.last4, c.secret]), [
      [ccc, '0003', { source: 'config', path: 'engines.cloud.credentials.0.apiKey' }],
      [idOf('cloud', 'sk-key-bbbb-0002'), '0002', { source: 'config', path: 'engines.cloud.credentials.1.apiKey' }],
    ]);
    assert.deepEqual(credentials[0]?.disabled, disabled, 'the disabled key is still disabled after moving');
    assert.equal(credentials[1]?.disabled, null);
    // The same key listed twice still gets unique ids.
    const twice = applySeed(EMPTY, seedOf({ cloud: { ...three, credentials: [{ apiKey: 'sk-key-aaaa-0001' }, { apiKey: 'sk-key-aaaa-0001' }] } }), 1_000);
    assert.ok(twice);
    checkCatalog(twice.content);
  });

  it("keeps the console's keys and the channel's switch when the file's entry of the channel changes", () => {
    const first = applySeed(EMPTY, seedOf({ cloud }), 1_000);
    assert.ok(first);
    const [channel] = first.content.channels;
    assert.ok(channel);
    const entered = { ...(channel.credentials[0] as CredentialRecord), id: 'cr_console1', label: 'entered', last4: '9999', secret: { source: 'stored' as const, ciphertext: 'v1.x.y.z.w' } };
    const edited: CatalogContent = { ...first.content, channels: [{ ...channel, enabled: false, cost: { '*': '0.11' }, credentials: [...channel.credentials, entered] }] };
    const next = applySeed(edited, seedOf({ cloud: { ...cloud, timeoutSeconds: 90, cost: { '*': '0.13' } } }), 2_000);
    const after = next?.content.channels[0];
    assert.equal(after?.enabled, false, 'a channel switched off in the console stays off');
    assert.deepEqual(after?.cost, { '*': '0.13' }, 'the cost comes from the file');
    assert.equal(after?.engine.timeoutSeconds, 90, 'the engine options come from the file');
    assert.deepEqual(after?.credentials.map((c) => c.label), ['config #1', 'second', 'entered'], 'the key entered in the console stays');
  });
});

describe('the catalog rules', () => {
  const valid = (applySeed(EMPTY, seedOf({ cloud, cpu: { type: 'local' } }), 1_000) as { content: CatalogContent }).content;
  const refused = (content: CatalogContent, pattern: RegExp) =>
    assert.throws(() => checkCatalog(content), (error: unknown) => error instanceof AppError && error.kind === 'invalid_parameter' && pattern.test(error.message));

  it('refuses engine options the config schema refuses, naming the field', () => {
    refused({ ...valid, channels: valid.channels.map((c) => (c.name === 'cloud' ? { ...c, engine: { ...c.engine, region: 'mars' } } : c)) }, /channel cloud: engine\.region/);
    refused({ ...valid, channels: valid.channels.map((c) => (c.name === 'cloud' ? { ...c, engine: { ...c.engine, apiKey: 'sk-x' } } : c)) }, /engine\.apiKey: keys go in credentials/);
    refused({ ...valid, channels: valid.channels.map((c) => (c.name === 'cpu' ? { ...c, credentials: valid.channels[0]?.credentials ?? [] } : c)) }, /cpu\.credentials: a local engine takes no upstream key/);
  });

  it('refuses routes to channels that do not exist, unknown models, prices of unknown models', () => {
    refused({ ...valid, routes: { '*': [{ channel: 'nope', priority: 1, weight: 1 }] } }, /routes\.\*\.0\.channel: channel "nope" does not exist/);
    refused({ ...valid, routes: { 'qwen-image-edit-pluss': [{ channel: 'cpu', priority: 1, weight: 1 }] } }, /unknown model "qwen-image-edit-pluss"/);
    refused({ ...valid, routes: { '*': [{ channel: 'cpu', priority: 1, weight: 0 }] } }, /routes\.\*\.0\.weight/);
    refused({ ...valid, prices: { perImage: { '*': '0.1234567' }, perEngine: {} } }, /prices\.perImage\.\*: must be a decimal amount/);
    refused({ ...valid, prices: { perImage: {}, perEngine: { ghost: { '*': '1' } } } }, /prices\.perEngine\.ghost: channel "ghost" does not exist/);
    refused({ ...valid, channels: valid.channels.map((c) => (c.name === 'cloud' ? { ...c, credentials: c.credentials.map((x) => ({ ...x, weight: 2000 })) } : c)) }, /credentials\.cloud~[0-9a-f]{8}\.weight/);
  });

  it('refuses more than 500 credentials over the whole catalog (each change rewrites it)', () => {
    const [first] = valid.channels[0]?.credentials ?? [];
    assert.ok(first);
    const keyed = (count: number) => Array.from({ length: count }, (_, c) => ({ ...(valid.channels[0] as ChannelRecord), name: `cloud-${c}`, credentials: Array.from({ length: 100 }, (_, i) => ({ ...first, id: `cr_${c}_${i}` })) }));
    checkCatalog({ ...valid, routes: {}, channels: keyed(5) });
    const six = keyed(6);
    refused({ ...valid, routes: {}, channels: six }, /^credentials: at most 500 credentials over all channels \(600\)/);
  });
});
