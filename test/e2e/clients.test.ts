/**
 * The clients people already use, changed only by their base URL: the Vercel AI SDK with its
 * OpenAI, OpenAI-compatible and fal providers (pinned to the newest line that runs on Node 20),
 * against the real server and its built-in engine. Generations and edits with one to three
 * images, n > 1, sizes, and the errors each client raises as its own class. Every OpenAI answer
 * is checked against OpenAI's published schema. The README's client examples run as written.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createFal } from '@ai-sdk/fal';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateImage } from 'ai';
import sharp from 'sharp';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { gradientImage } from '../helpers/images.js';
import { assertOpenAiSchema } from '../helpers/openai-schema.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url);
const EXAMPLES = ['qig-client.ts', 'openai.ts', 'ai-sdk-openai.ts', 'ai-sdk-openai-compatible.ts', 'ai-sdk-fal.ts', 'fal-client.ts'];

let server: TestGateway;
/** Every OpenAI-shaped answer body the clients received, for the schema check. */
const answers: Array<{ path: string; status: number; body: string }> = [];

/** fetch for the clients: records what the OpenAI routes answered. */
const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const path = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).pathname;
  if (path.startsWith('/v1/images/')) answers.push({ path, status: response.status, body: await response.clone().text() });
  return response;
};

async function dimensions(bytes: Uint8Array): Promise<[number, number]> {
  const meta = await sharp(bytes).metadata();
  return [meta.width ?? 0, meta.height ?? 0];
}

before(async () => {
  server = await startTestGateway();
});
after(() => server.close());

describe('Vercel AI SDK, OpenAI provider', () => {
  const openai = () => createOpenAI({ baseURL: `${server.url}/v1`, apiKey: server.key, fetch: recordingFetch });

  it('generates with a Qwen model id, n > 1 and a size', async () => {
    const { images } = await generateImage({ model: openai().image('qwen-image-2.0'), prompt: 'a red kite', n: 2, size: '512x512' });
    assert.equal(images.length, 2);
    for (const image of images) assert.deepEqual(await dimensions(image.uint8Array), [512, 512]);
  });

  it('generates with a gpt-image-* name (served by the default model), which asks for no response_format', async () => {
    const { images } = await generateImage({ model: openai().image('gpt-image-1'), prompt: 'a lighthouse', n: 2, size: '1024x1024' });
    assert.equal(images.length, 2);
    assert.deepEqual(await dimensions(images[0]!.uint8Array), [1024, 1024]);
  });

  for (const count of [1, 2, 3]) {
    it(`edits ${count} image(s) sent as multipart with no response_format`, async () => {
      const inputs = await Promise.all(Array.from({ length: count }, (_, i) => gradientImage(512 + 64 * i, 512, 'png')));
      const { images } = await generateImage({ model: openai().image('qwen-image-edit-plus'), prompt: { text: 'make it black and white', images: inputs }, n: 2 });
      assert.equal(images.length, 2);
      const stats = await sharp(images[0]!.uint8Array).stats();
      assert.ok(Math.abs(stats.channels[0]!.mean - stats.channels[2]!.mean) < 2, 'black and white');
    });
  }

  it('raises APICallError with the status for a bad key (401) and a bad size (400)', async () => {
    const bad = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-wrong', fetch: recordingFetch });
    await assert.rejects(generateImage({ model: bad.image('qwen-image-2.0'), prompt: 'x', maxRetries: 0 }), (error: unknown) => APICallError.isInstance(error) && error.statusCode === 401);
    await assert.rejects(
      generateImage({ model: openai().image('qwen-image-2.0'), prompt: 'x', size: '5000x5000', maxRetries: 0 }),
      (error: unknown) => APICallError.isInstance(error) && error.statusCode === 400 && /size/.test(error.message),
    );
  });

  it('asks for n images in one request only with maxImagesPerCall (one request per image for a Qwen id otherwise)', async () => {
    const requested: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if (init?.body instanceof FormData) requested.push(String(init.body.get('n')));
      return recordingFetch(input, init);
    };
    const model = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: server.key, fetch: counting }).image('qwen-image-edit-plus');
    const prompt = { text: 'make it black and white', images: [await gradientImage(512, 512)] };
    assert.equal((await generateImage({ model, prompt, n: 3 })).images.length, 3);
    assert.deepEqual(requested, ['1', '1', '1']);
    requested.length = 0;
    assert.equal((await generateImage({ model, prompt, n: 3, maxImagesPerCall: 6 })).images.length, 3);
    assert.deepEqual(requested, ['3']);
  });
});

describe('Vercel AI SDK, OpenAI-compatible provider', () => {
  const compatible = () => createOpenAICompatible({ name: 'qig', baseURL: `${server.url}/v1`, apiKey: server.key, fetch: recordingFetch });

  it('generates and edits', async () => {
    const generated = await generateImage({ model: compatible().imageModel('qwen-image-2.0'), prompt: 'a lighthouse', size: '768x512' });
    assert.deepEqual(await dimensions(generated.image.uint8Array), [768, 512]);
    const edited = await generateImage({ model: compatible().imageModel('qwen-image-edit-plus'), prompt: { text: 'rotate 90 degrees clockwise', images: [await gradientImage(768, 512)] } });
    // qwen-image-edit-plus makes about 1 MP in the shape of the last image: turned, it is portrait.
    assert.deepEqual(await dimensions(edited.image.uint8Array), [832, 1248]);
  });

  it('raises APICallError 401 for a bad key', async () => {
    const bad = createOpenAICompatible({ name: 'qig', baseURL: `${server.url}/v1`, apiKey: 'sk-wrong' });
    await assert.rejects(generateImage({ model: bad.imageModel('qwen-image-2.0'), prompt: 'x', maxRetries: 0 }), (error: unknown) => APICallError.isInstance(error) && error.statusCode === 401);
  });
});

describe('Vercel AI SDK, fal provider (fal.run form under /fal-run)', () => {
  const fal = () => createFal({ baseURL: `${server.url}/fal-run`, apiKey: server.key });

  it('generates, n > 1, with a size', async () => {
    const { images } = await generateImage({ model: fal().image('qwen/qwen-image-2.0'), prompt: 'a red kite', n: 2, size: '512x512' });
    assert.equal(images.length, 2);
    assert.deepEqual(await dimensions(images[0]!.uint8Array), [512, 512]);
    // qwen-image takes only its five native sizes, and says so in fal's 422.
    await assert.rejects(
      generateImage({ model: fal().image('fal-ai/qwen-image'), prompt: 'x', size: '512x512', maxRetries: 0 }),
      (error: unknown) => APICallError.isInstance(error) && error.statusCode === 422 && /1328\*1328/.test(error.message),
    );
  });

  it('edits one image (image_url) and several (useMultipleImages: image_urls)', async () => {
    const one = await generateImage({ model: fal().image('fal-ai/qwen-image-edit-plus'), prompt: { text: 'make it black and white', images: [await gradientImage(512, 512)] } });
    assert.equal(one.images.length, 1);
    const three = await generateImage({
      model: fal().image('fal-ai/qwen-image-edit-plus'),
      prompt: { text: 'make it black and white', images: await Promise.all([512, 576, 640].map((w) => gradientImage(w, 512))) },
      providerOptions: { fal: { useMultipleImages: true } },
    });
    assert.equal(three.images.length, 1);
  });

  it('raises APICallError 401 for a bad key and 422 for bad input', async () => {
    const bad = createFal({ baseURL: `${server.url}/fal-run`, apiKey: 'wrong' });
    await assert.rejects(generateImage({ model: bad.image('fal-ai/qwen-image'), prompt: 'x', maxRetries: 0 }), (error: unknown) => APICallError.isInstance(error) && error.statusCode === 401);
    await assert.rejects(
      generateImage({ model: fal().image('qwen/qwen-image-2.0'), prompt: 'x', providerOptions: { fal: { num_images: 'many' } }, maxRetries: 0 }),
      (error: unknown) => APICallError.isInstance(error) && error.statusCode === 422 && /num_images/.test(error.message),
    );
  });

  it('answers fal.run\'s result body: images with url, width, height, content_type; and a request id header', async () => {
    const response = await fetch(`${server.url}/fal-run/qwen/qwen-image-2.0`, {
      method: 'POST',
      headers: { authorization: `Key ${server.key}`, 'content-type': 'application/json', 'x-request-id': 'client-req-42' },
      body: JSON.stringify({ prompt: 'a kite', image_size: { width: 512, height: 512 } }),
    });
    const body = (await response.json()) as any;
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(response.headers.get('x-request-id'), 'client-req-42');
    assert.match(response.headers.get('x-fal-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(Object.keys(body.images[0]).sort(), ['content_type', 'file_name', 'file_size', 'height', 'url', 'width']);
    assert.deepEqual([body.images[0].width, body.images[0].height], [512, 512]);
    const wrongMethod = await fetch(`${server.url}/fal-run/fal-ai/qwen-image`, { headers: { authorization: `Key ${server.key}` } });
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get('allow')], [405, 'POST']);
  });
});

describe('OpenAI answers against OpenAI\'s published schema', () => {
  it('every answer the clients above received, and an SSE stream, errors included', async () => {
    const streamed = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a kite', size: '640x480', stream: true }),
    });
    const events = (await streamed.text()).split('\n\n').filter((block) => block.startsWith('event: '));
    assert.ok(events.length > 0);
    for (const block of events) assertOpenAiSchema('ImageGenCompletedEvent', JSON.parse(block.slice(block.indexOf('data: ') + 6)));
    for (const body of [{ prompt: 'a kite', size: '1024x1024' }, { prompt: 'a kite', size: '1280x720', response_format: 'url' }]) {
      const response = await recordingFetch(`${server.url}/v1/images/generations`, { method: 'POST', headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await response.text();
    }
    assert.ok(answers.length >= 10, `${answers.length} answers`);
    for (const answer of answers) assertOpenAiSchema(answer.status === 200 ? 'ImagesResponse' : 'ErrorResponse', JSON.parse(answer.body));
    const sized = answers.filter((a) => a.status === 200).map((a) => JSON.parse(a.body).size as unknown);
    assert.ok(sized.includes('1024x1024') && sized.includes(undefined), 'a size OpenAI allows is given, another left out');
  });
});

describe('the README\'s client examples', () => {
  it('each example runs as written against the server and says what it made', { timeout: 120_000 }, async () => {
    const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
    for (const example of EXAMPLES) {
      const code = readFileSync(new URL(`examples/${example}`, ROOT), 'utf8').trim();
      assert.ok(readme.includes(code), `README.md shows examples/${example} as it is`);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${example}`], {
        cwd: ROOT,
        env: { ...process.env, QIG_URL: server.url, QIG_API_KEY: server.key },
      });
      assert.match(stdout, /https?:\/\/|bytes/, `${example}: ${stdout}`);
    }
  });
});
