// fal's own client, `@fal-ai/client`: its hosts are fixed, so it goes through the gateway's proxy.
import { readFileSync } from 'node:fs';
import { createFalClient } from '@fal-ai/client';

const base = process.env.QIG_URL ?? 'http://127.0.0.1:8080';
const fal = createFalClient({ credentials: process.env.QIG_API_KEY, proxyUrl: { url: `${base}/fal/proxy`, when: 'always' } });
const image = `data:image/png;base64,${readFileSync('examples/sample.png').toString('base64')}`;

// The queue: submit, follow the status, read the result.
const queued = await fal.subscribe('fal-ai/qwen-image-edit-plus', {
  input: { prompt: 'make it black and white', image_urls: [image] },
  onQueueUpdate: (update) => console.log('status:', update.status),
});
console.log('queued result:', queued.data.images[0]?.url);

// The synchronous form: one call answered with the result.
const ran = await fal.run('fal-ai/qwen-image', { input: { prompt: 'a lighthouse at dawn', image_size: 'square' } });
console.log('run result:', ran.data.images[0]?.url);
