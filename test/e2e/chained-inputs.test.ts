/**
 * An earlier result as the next edit's input: the server's own signed file URL is read from its
 * blob store (the URL guard refuses its loopback address), with the signature and expiry checked
 * as GET /files checks them. Nothing may connect beyond 127.0.0.1 even if that failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BadRequestError, createClient, type QigClient } from '../../src/client/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { refusedConnects } from '../helpers/loopback-only.js';

const SAMPLE = new URL('../../examples/sample.png', import.meta.url).pathname;

let gw: TestGateway;
let qig: QigClient;

describe('a result URL as an input', { timeout: 120_000 }, () => {
  before(async () => {
    gw = await startTestGateway();
    qig = createClient({ baseUrl: gw.url, apiKey: gw.key, maxRetries: 0 });
  });
  after(async () => {
    await gw.close();
    assert.deepEqual(refusedConnects, []);
  });

  it('edits the image an earlier edit made, by its URL', async () => {
    const first = await qig.edit({ images: [SAMPLE], prompt: 'make it black and white' });
    const url = first.urls[0] as string;
    assert.ok(url.startsWith(`${gw.url}/files/`));
    const second = await qig.edit({ images: [url], prompt: 'rotate 90 degrees clockwise' });
    assert.equal(second.urls.length, 1);
    // The rotation turns the landscape sample upright: the input was the first result, read whole.
    assert.deepEqual([second.width, second.height], [first.height, first.width]);
  });

  it('refuses a tampered signature and an expired URL as GET /files would', async () => {
    const url = (await qig.edit({ images: [SAMPLE], prompt: 'sepia' })).urls[0] as string;
    const tampered = url.replace(/sig=[^&]+/, 'sig=AAAA');
    await assert.rejects(qig.edit({ images: [tampered], prompt: 'blur' }), (error) => error instanceof BadRequestError && error.code === 'InvalidURL' && /signature of this file URL is missing or wrong/.test(error.message));
    const expired = url.replace(/exp=\d+/, 'exp=1');
    await assert.rejects(qig.edit({ images: [expired], prompt: 'blur' }), (error) => error instanceof BadRequestError && error.code === 'InvalidURL');
    const unknown = `${gw.url}/files/${'0'.repeat(64)}.png?exp=9999999999&sig=x`;
    await assert.rejects(qig.edit({ images: [unknown], prompt: 'blur' }), BadRequestError);
  });
});
