/** End to end: the real gateway with reseller engines (nebula and OpenAI styles) against the fake reseller. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { colourFor } from '../fakes/dashscope-kit.js';
import { call, editBody, fetchOutput, SYNC_PATH } from '../fakes/dashscope-client.js';
import { startFakeReseller, type FakeReseller } from '../fakes/reseller.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';

let fake: FakeReseller;
let server: TestGateway;
let png: Buffer;

before(async () => {
  fake = await startFakeReseller();
  png = await gradientImage(640, 480);
  server = await startTestGateway({
    config: {
      engines: {
        nebula: { type: 'openai-compatible', style: 'nebula', baseUrl: fake.url, apiKey: fake.apiKey },
        shop: { type: 'openai-compatible', style: 'openai', baseUrl: fake.url, apiKey: fake.apiKey, responseFormat: 'b64_json' },
      },
      routes: { 'qwen-image-edit-plus': ['nebula'], 'qwen-image-2.0-pro': ['shop'], '*': ['local'] },
      fetch: { allowHosts: [fake.hostPort] },
    },
  });
});

after(async () => {
  await server.close();
  await fake.close();
});

describe('gateway → reseller engines', () => {
  it('edits through a nebula-style reseller, downloading and re-hosting its URLs', async () => {
    const { status, json } = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'make it blue', { n: 2, size: '768*512', seed: 77, negative_prompt: 'blur' }));
    assert.equal(status, 200, JSON.stringify(json));
    const request = fake.requests.find((r) => r.style === 'nebula')!;
    assert.equal(request.body.parameters.negative_prompt, 'blur');
    const urls = json.output.choices[0].message.content.map((c: { image: string }) => c.image);
    for (const [i, url] of urls.entries()) {
      const image = await fetchOutput(server, url);
      assert.deepEqual([image.width, image.height], [768, 512]);
      assert.deepEqual(image.mean, Object.values(colourFor(77, i)));
    }
  });

  it('generates through an OpenAI-style reseller answering base64', async () => {
    const { status, json } = await call(server, 'POST', SYNC_PATH, { model: 'qwen-image-2.0-pro', input: { messages: [{ role: 'user', content: [{ text: 'a lighthouse' }] }] }, parameters: { size: '512*512', seed: 3 } });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(fake.requests.at(-1)!.style, 'openai');
    const image = await fetchOutput(server, json.output.choices[0].message.content[0].image);
    assert.deepEqual([image.width, image.height], [512, 512]);
  });
});
