/**
 * End to end on the local engine: Chinese text drawn through the DashScope and OpenAI dialects, and
 * text-to-image answered with a typographic placeholder card that says what it is.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startImageServer, type ImageServer } from '../helpers/image-server.js';

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';
/** A flat, dark picture: every near-white pixel of an answer is drawn text. */
const BACKGROUND = { r: 40, g: 60, b: 80 };

let images: ImageServer;
let server: TestGateway;
let plain: Buffer;

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, any> }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function download(url: string): Promise<{ data: Buffer; width: number; height: number }> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const { data, info } = await sharp(Buffer.from(await response.arrayBuffer())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Near-white pixels in the top-left quarter, and anywhere in the bottom half or the right third. */
function whereWhite(image: { data: Buffer; width: number; height: number }): { topLeft: number; elsewhere: number } {
  let topLeft = 0;
  let elsewhere = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 3;
      if (image.data[i]! < 230 || image.data[i + 1]! < 230 || image.data[i + 2]! < 230) continue;
      if (x < image.width / 2 && y < image.height / 4) topLeft++;
      else if (y > image.height / 2 || x > (image.width * 2) / 3) elsewhere++;
    }
  }
  return { topLeft, elsewhere };
}

before(async () => {
  plain = await sharp({ create: { width: 768, height: 512, channels: 3, background: BACKGROUND } }).png().toBuffer();
  images = await startImageServer();
  images.put('/plain.png', plain);
  server = await startTestGateway({ config: { fetch: { allowHosts: [images.hostPort] } } });
});

after(async () => {
  await server.close();
  await images.close();
});

describe('local engine: Chinese text end to end', () => {
  it('draws 你好 Qwen in the top-left corner through the DashScope dialect (在左上角添加文字)', async () => {
    const { status, json } = await post(SYNC, {
      model: 'qwen-image-edit-plus',
      input: { messages: [{ role: 'user', content: [{ image: images.url('/plain.png') }, { text: '在左上角添加文字“你好 Qwen”' }] }] },
      parameters: { n: 1, size: '768*512', seed: 3 },
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.output.warnings, undefined);
    const image = await download(json.output.choices[0].message.content[0].image);
    assert.deepEqual([image.width, image.height], [768, 512]);
    const white = whereWhite(image);
    assert.ok(white.topLeft > 300, `text pixels in the top-left: ${white.topLeft}`);
    assert.equal(white.elsewhere, 0);
  });

  it('draws "你好 Qwen" at the top left through the OpenAI dialect (/v1/images/edits)', async () => {
    const { status, json } = await post('/v1/images/edits', {
      model: 'qwen-image-edit-plus',
      prompt: 'add the text "你好 Qwen" at the top left',
      images: [`data:image/png;base64,${plain.toString('base64')}`],
      size: '768x512',
    });
    assert.equal(status, 200, JSON.stringify(json));
    const image = await download(json.data[0].url);
    const white = whereWhite(image);
    assert.ok(white.topLeft > 300, `text pixels in the top-left: ${white.topLeft}`);
    assert.equal(white.elsewhere, 0);
  });

  it('answers text-to-image with a typographic card labelled a placeholder', async () => {
    const submit = await post('/api/v1/services/aigc/text2image/image-synthesis', { model: 'qwen-image-plus', input: { prompt: '一张海报，标题为“新年快乐”' }, parameters: { size: '1472*1104' } }, { 'x-dashscope-async': 'enable' });
    assert.equal(submit.status, 200, JSON.stringify(submit.json));
    let output: Record<string, any> = {};
    for (let i = 0; i < 400 && !['SUCCEEDED', 'FAILED'].includes(output.task_status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const response = await fetch(`${server.url}/api/v1/tasks/${submit.json.output.task_id}`, { headers: { authorization: `Bearer ${server.key}` } });
      output = ((await response.json()) as Record<string, any>).output;
    }
    assert.equal(output.task_status, 'SUCCEEDED', JSON.stringify(output));
    assert.match(output.warnings.join('\n'), /placeholder.*typographic card of the prompt, not a generated image/);
    const [result] = output.results as Array<{ actual_prompt: string; url: string }>;
    assert.match(result!.actual_prompt, /^typographic placeholder card, not a generated image \(title "新年快乐"/);
    const card = await download(result!.url);
    assert.deepEqual([card.width, card.height], [1472, 1104]);
  });
});
