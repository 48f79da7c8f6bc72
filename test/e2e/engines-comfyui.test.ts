/** End to end: the real gateway with the ComfyUI engine against the fake ComfyUI (HTTP and /ws). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { colourFor } from '../fakes/dashscope-kit.js';
import { call, editBody, fetchOutput, SYNC_PATH, waitForTask } from '../fakes/dashscope-client.js';
import { startFakeComfy, type FakeComfy } from '../fakes/comfyui.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';

let fake: FakeComfy;
let server: TestGateway;
let png: Buffer;

before(async () => {
  fake = await startFakeComfy({ stepMs: 2 });
  png = await gradientImage(640, 480);
  server = await startTestGateway({
    config: {
      engines: { gpu: { type: 'comfyui', baseUrl: fake.url, lora: 'Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors' } },
      routes: { '*': ['gpu', 'local'] },
      fetch: { allowHosts: [fake.hostPort] },
    },
  });
});

after(async () => {
  await server.close();
  await fake.close();
});

describe('gateway → ComfyUI engine', () => {
  it('runs one prompt per image with seeds seed and seed + 1, and re-hosts the /view images', async () => {
    const { status, json } = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png, png], 'swap the colours', { n: 2, size: '512*512', seed: 20, prompt_extend: false }));
    assert.equal(status, 200, JSON.stringify(json));
    const prompts = [...fake.prompts.values()];
    assert.equal(prompts.length, 2);
    const samplers = prompts.map((p) => Object.values(p.graph).find((n) => n.class_type === 'KSampler')!.inputs);
    assert.deepEqual(samplers.map((s) => [s.seed, s.steps, s.cfg]), [[20, 4, 1], [21, 4, 1]], 'the LoRA brings 4 steps at cfg 1');
    const urls = json.output.choices[0].message.content.map((c: { image: string }) => c.image);
    for (const [i, url] of urls.entries()) {
      const image = await fetchOutput(server, url);
      assert.deepEqual([image.width, image.height], [512, 512]);
      assert.deepEqual(image.mean, Object.values(colourFor(20 + i, 0)));
    }
  });

  it('logs the sampler progress the websocket reports into the task log', async () => {
    // Long enough for a poll (every POLL_MS) to fall inside the sampling on a loaded machine.
    fake.options.stepMs = 1000;
    try {
      const submitted = await call(server, 'POST', SYNC_PATH, editBody('qwen-image-edit-plus', [png], 'swap the colours', { size: '512*512' }), { 'x-dashscope-async': 'enable' });
      const task = await waitForTask(server, submitted.json.output.task_id);
      assert.equal(task.output.task_status, 'SUCCEEDED');
      const logs = (await server.gateway.tasks.logs(submitted.json.output.task_id)).map((line) => line.message);
      assert.ok(logs.some((line) => /ComfyUI \(gpu\): prompt .* step \d\/4/.test(line)), logs.join('\n'));
    } finally {
      fake.options.stepMs = 2;
    }
  });
});
