/**
 * The built-in CPU engine says what it is: /v1/models names each model's engine (generative or
 * not) and describes the built-in one, each task it ran carries one warning saying so (and a task
 * an upstream ran carries none), and an edit it cannot do is refused in one short message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILT_IN_WARNING } from '../../src/domain/built-in-engine.js';
import { AppError } from '../../src/domain/errors.js';
import { listModels } from '../../src/domain/models.js';
import type { Engine } from '../../src/engines/engine.js';
import { createLocalEngine } from '../../src/engines/local/index.js';
import { createScriptedEngine } from '../fakes/scripted-engine.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';

async function post(server: TestGateway, path: string, body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function models(server: TestGateway): Promise<Record<string, any>> {
  return (await fetch(`${server.url}/v1/models`)).json() as Promise<Record<string, any>>;
}

async function editBody(text: string): Promise<Record<string, unknown>> {
  const image = `data:image/png;base64,${(await gradientImage(640, 480, 'png')).toString('base64')}`;
  return { model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image }, { text }] }] }, parameters: { n: 2, size: '512*512' } };
}

const GENERATE = { model: 'qwen-image-2.0', input: { messages: [{ role: 'user', content: [{ text: 'a red kite' }] }] }, parameters: { size: '512*512' } };

async function withGateway(engines: Engine[] | null, run: (server: TestGateway) => Promise<void>): Promise<void> {
  const names = engines?.map((engine) => engine.name) ?? [];
  const server = await startTestGateway(
    engines === null
      ? {}
      : {
          engines: new Map(engines.map((engine) => [engine.name, engine])),
          config: { engines: Object.fromEntries(names.map((name) => [name, { type: 'local' }])), routes: { '*': names } },
          worker: { retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
        },
  );
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

describe('the built-in engine says what it is', () => {
  it('with nothing configured: the catalog names the built-in engine, each answer warns once, a refusal is short', async () => {
    await withGateway(null, async (server) => {
      const catalog = await models(server);
      assert.equal(catalog.object, 'list');
      assert.equal(catalog.data.length, listModels().length);
      for (const model of catalog.data) {
        assert.equal(model.object, 'model', 'the OpenAI fields are unchanged');
        assert.deepEqual(model.engine, { name: 'local', type: 'local', generative: false }, model.id);
      }
      assert.match(catalog.builtInEngine.summary, /classical edits.*not a generative model/);
      assert.equal(catalog.builtInEngine.connect, 'DASHSCOPE_API_KEY=sk-…');
      assert.equal(catalog.builtInEngine.docs, 'docs/local-engine.md#vocabulary');
      assert.ok(catalog.builtInEngine.vocabulary.some((entry: string) => entry.includes('黑白')));
      const one = (await (await fetch(`${server.url}/v1/models/qwen-image-edit-plus`)).json()) as Record<string, any>;
      assert.deepEqual(one.engine, { name: 'local', type: 'local', generative: false });

      const edited = await post(server, SYNC, await editBody('make it black and white'));
      assert.equal(edited.status, 200, JSON.stringify(edited.json));
      assert.deepEqual(edited.json.output.warnings, [BUILT_IN_WARNING], 'one warning for the task, not one per image');
      const generated = await post(server, SYNC, GENERATE);
      assert.equal(generated.status, 200);
      assert.equal(generated.json.output.warnings[0], BUILT_IN_WARNING);
      assert.match(generated.json.output.warnings.join('\n'), /placeholder/);
      // The queue dialects show a task's warnings as WARN lines of its logs (fal here; SeaArt shares them).
      const key = { authorization: `Key ${server.key}`, 'content-type': 'application/json' };
      const queued = (await (await fetch(`${server.url}/fal/fal-ai/qwen-image-2/text-to-image`, { method: 'POST', headers: key, body: JSON.stringify({ prompt: 'a red kite' }) })).json()) as { request_id: string };
      let status: Record<string, any> = {};
      for (let i = 0; i < 400 && status.status !== 'COMPLETED'; i += 1) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 25));
        status = (await (await fetch(`${server.url}/fal/fal-ai/qwen-image-2/requests/${queued.request_id}/status?logs=1`, { headers: key })).json()) as Record<string, any>;
      }
      assert.equal(status.status, 'COMPLETED', JSON.stringify(status));
      assert.ok(status.logs.some((line: { level: string; message: string }) => line.level === 'WARN' && line.message === BUILT_IN_WARNING), JSON.stringify(status.logs));
      // The OpenAI dialect has no warnings field: none is invented.
      const openai = await post(server, '/v1/images/generations', { model: 'qwen-image-2.0', prompt: 'a red kite', size: '512x512' });
      assert.equal(openai.status, 200);
      assert.equal(openai.json.warnings, undefined);

      const refused = await post(server, SYNC, await editBody('florp the wibble'));
      assert.equal(refused.status, 400);
      const message = refused.json.message as string;
      assert.ok(message.length <= 300, message);
      assert.match(message, /"florp the wibble" was not understood/);
      assert.match(message, /docs\/local-engine\.md#vocabulary/);
      assert.match(message, /DASHSCOPE_API_KEY=/);
    });
  });

  it('on an upstream engine: the catalog says generative, and answers carry no built-in warning', async () => {
    await withGateway([createScriptedEngine({ name: 'upstream' })], async (server) => {
      const catalog = await models(server);
      for (const model of catalog.data) assert.deepEqual(model.engine, { name: 'upstream', type: 'test-scripted', generative: true }, model.id);
      const edited = await post(server, SYNC, await editBody('make it black and white'));
      assert.equal(edited.status, 200, JSON.stringify(edited.json));
      assert.equal(edited.json.output.warnings, undefined, 'no warnings field when there is nothing to say');
      const generated = await post(server, SYNC, GENERATE);
      assert.equal(generated.json.output.warnings, undefined);
    });
  });

  it('warns when an upstream fails over to the built-in engine', async () => {
    const down = createScriptedEngine({ name: 'upstream', script: () => new AppError('engine_unavailable', 'the account is out of credit', { retryable: false }) });
    await withGateway([down, createLocalEngine({ name: 'cpu' })], async (server) => {
      const catalog = await models(server);
      assert.equal(catalog.data[0].engine.generative, true, 'the route starts upstream');
      const edited = await post(server, SYNC, await editBody('make it black and white'));
      assert.equal(edited.status, 200, JSON.stringify(edited.json));
      assert.deepEqual(edited.json.output.warnings, [BUILT_IN_WARNING]);
    });
  });
});
