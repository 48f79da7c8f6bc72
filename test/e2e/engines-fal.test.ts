/** End to end: the real gateway with the fal engine against the fake fal queue. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { colourFor } from '../fakes/dashscope-kit.js';
import { call, editBody, fetchOutput, SYNC_PATH } from '../fakes/dashscope-client.js';
import { startFakeFal, type FakeFal } from '../fakes/fal.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';

let fake: FakeFal;
let server: TestGateway;
let png: Buffer;

before(async () => {
  fake = await startFakeFal({ queuedQueries: 0, runningQueries: 1 });
  png = await gradientImage(640, 480);
  server = await startTestGateway({
    config: {
      engines: { fal: { type: 'fal', baseUrl: fake.url, apiKey: fake.apiKey } },
      routes: { '*': ['fal', 'local'] },
      fetch: { allowHosts: [fake.hostPort] },
    },
  });
});

after(async () => {
  await server.close();
  await fake.close();
});

describe('gateway → fal engine', () => {
  it('runs an edit on fal, polls its queue, and re-hosts the images; what fal cannot do is named', async () => {
    const { status, json } = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'make it blue', { n: 2, size: '768*512', seed: 11 }));
    assert.equal(status, 200, JSON.stringify(json));
    const request = [...fake.requests.values()].at(-1)!;
    assert.equal(request.endpoint, 'fal-ai/qwen-image-edit-plus');
    assert.deepEqual(request.input.image_size, { width: 768, height: 512 });
    const urls = json.output.choices[0].message.content.map((c: { image: string }) => c.image);
    assert.equal(urls.length, 2);
    for (const [i, url] of urls.entries()) {
      const image = await fetchOutput(server, url);
      assert.deepEqual([image.width, image.height], [768, 512]);
      assert.deepEqual(image.mean, Object.values(colourFor(11, i)));
    }
    assert.ok(json.output.warnings.some((w: string) => /prompt_extend is not available/.test(w)), JSON.stringify(json.output.warnings));
  });

  it('falls back to the local engine for a model fal does not serve', async () => {
    const { status, json } = await call(server, 'POST', '/api/v1/services/aigc/text2image/image-synthesis', { model: 'qwen-image-plus', input: { prompt: 'a kite' } }, { 'x-dashscope-async': 'enable' });
    assert.equal(status, 200, JSON.stringify(json));
  });
});
