// The Vercel AI SDK with its fal provider: fal's synchronous API is served under /fal-run.
import { readFileSync } from 'node:fs';
import { createFal } from '@ai-sdk/fal';
import { generateImage } from 'ai';

const fal = createFal({ baseURL: `${process.env.QIG_URL ?? 'http://127.0.0.1:8080'}/fal-run`, apiKey: process.env.QIG_API_KEY ?? '' });

const { image } = await generateImage({
  model: fal.image('fal-ai/qwen-image-edit-plus'),
  prompt: { text: 'make it black and white', images: [readFileSync('examples/sample.png')] },
});
console.log(image.mediaType, image.uint8Array.length, 'bytes');
