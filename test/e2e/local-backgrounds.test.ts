/**
 * End to end: the background operations of the built-in CPU engine through the real server, in
 * English and Chinese, in the DashScope dialect (image as a data: URI) and the OpenAI dialect
 * (multipart). Remove the background gives a PNG with alpha; the others an opaque picture.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { subjectScene } from '../unit/engines/local/matting/scenes.js';

const SYNC = '/api/v1/services/aigc/multimodal-generation/generation';
const SIDE = 512;
/** The middle of the subject's body, and two background corners. */
const BODY = [Math.round(SIDE * 0.45), Math.round(SIDE * 0.55)] as const;
const FAR = SIDE - 6;

let server: TestGateway;
let subject: Buffer;
let scenery: Buffer;

before(async () => {
  const { raster } = subjectScene('plain', SIDE, SIDE);
  subject = await sharp(raster.data, { raw: { width: SIDE, height: SIDE, channels: 3 } }).png().toBuffer();
  scenery = await gradientImage(SIDE, SIDE, 'png');
  server = await startTestGateway();
});

after(async () => {
  await server.close();
});

interface Decoded {
  channels: number;
  data: Buffer;
  contentType: string | null;
}

async function decode(bytes: Buffer, contentType: string | null): Promise<Decoded> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { channels: info.channels, data, contentType };
}

async function viaDashScope(text: string, inputs: Buffer[]): Promise<Decoded & { warnings: string }> {
  const content = [...inputs.map((image) => ({ image: `data:image/png;base64,${image.toString('base64')}` })), { text }];
  const response = await fetch(`${server.url}${SYNC}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content }] }, parameters: { n: 1, size: `${SIDE}*${SIDE}`, seed: 3, watermark: false } }),
  });
  const json = (await response.json()) as Record<string, any>;
  assert.equal(response.status, 200, JSON.stringify(json));
  const image = await fetch(json.output.choices[0].message.content[0].image);
  return { ...(await decode(Buffer.from(await image.arrayBuffer()), image.headers.get('content-type'))), warnings: JSON.stringify(json) };
}

async function viaOpenAi(prompt: string, inputs: Buffer[]): Promise<Decoded> {
  const form = new FormData();
  inputs.forEach((image, i) => form.append('image[]', new Blob([image], { type: 'image/png' }), `in${i}.png`));
  form.append('prompt', prompt);
  form.append('size', `${SIDE}x${SIDE}`);
  form.append('response_format', 'b64_json');
  const response = await fetch(`${server.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${server.key}` }, body: form });
  const json = (await response.json()) as Record<string, any>;
  assert.equal(response.status, 200, JSON.stringify(json));
  return decode(Buffer.from(json.data[0].b64_json, 'base64'), `image/${json.output_format}`);
}

/** Alpha at the centre of the subject's body and in a background corner. */
function alphaAt(image: Decoded, x: number, y: number): number {
  return image.data[(y * SIDE + x) * image.channels + 3]!;
}

function rgbAt(image: Decoded, x: number, y: number): number[] {
  const i = (y * SIDE + x) * image.channels;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

const dialects = [
  ['DashScope', viaDashScope],
  ['OpenAI', viaOpenAi],
] as const;

for (const [dialect, send] of dialects) {
  describe(`local engine backgrounds (${dialect})`, () => {
    for (const prompt of ['remove the background', '抠图']) {
      it(`"${prompt}" gives a PNG with a transparent background and an opaque subject`, async () => {
        const image = await send(prompt, [subject]);
        assert.equal(image.contentType, 'image/png');
        assert.equal(image.channels, 4);
        assert.ok(alphaAt(image, ...BODY) > 240, `subject alpha ${alphaAt(image, ...BODY)}`);
        assert.equal(alphaAt(image, 5, 5), 0);
        assert.equal(alphaAt(image, FAR, FAR), 0);
      });
    }

    for (const prompt of ['put it on a blue background', '换成蓝色背景']) {
      it(`"${prompt}" puts the subject on the colour`, async () => {
        const image = await send(prompt, [subject]);
        assert.equal(image.channels, 3);
        const [r, g, b] = rgbAt(image, 5, 5);
        assert.ok(b! > 150 && r! < 80, `corner ${r},${g},${b}`);
        assert.ok(rgbAt(image, ...BODY)[0]! > 120, 'the orange subject stays');
      });
    }

    for (const prompt of ['put image 1 on the background of image 2', '把图1的背景换成图2']) {
      it(`"${prompt}" shows image 2 around the subject of image 1`, async () => {
        const image = await send(prompt, [subject, scenery]);
        const plain = rgbAt(image, 5, 5);
        // The plain backdrop was light grey (≈232); image 2 is a coloured gradient.
        assert.ok(Math.max(...plain) - Math.min(...plain) > 30 || Math.max(...plain) < 190, `corner ${plain}`);
        assert.ok(rgbAt(image, ...BODY)[0]! > 120, 'the orange subject stays');
      });
    }

    for (const prompt of ['blur the background strongly', '背景虚化']) {
      it(`"${prompt}" answers an opaque picture with the subject kept`, async () => {
        const image = await send(prompt, [subject]);
        assert.equal(image.channels, 3);
        assert.ok(rgbAt(image, ...BODY)[0]! > 120, 'the orange subject stays');
      });
    }
  });
}

describe('local engine backgrounds: refusals', () => {
  it('still refuses a described scene as the background', async () => {
    const response = await fetch(`${server.url}${SYNC}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${subject.toString('base64')}` }, { text: '把背景换成海滩' }] }] }, parameters: { n: 1 } }),
    });
    const json = (await response.json()) as Record<string, any>;
    assert.equal(response.status, 400);
    assert.match(json.message, /generative model/);
  });
});
