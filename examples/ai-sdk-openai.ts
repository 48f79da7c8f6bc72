// The Vercel AI SDK with its OpenAI provider: a Qwen model id (or a gpt-image-* name) and the base URL.
import { readFileSync } from 'node:fs';
import { createOpenAI } from '@ai-sdk/openai';
import { generateImage } from 'ai';

const openai = createOpenAI({ baseURL: `${process.env.QIG_URL ?? 'http://127.0.0.1:8080'}/v1`, apiKey: process.env.QIG_API_KEY ?? '' });

const { images } = await generateImage({
  model: openai.image('qwen-image-edit-plus'),
  prompt: { text: 'make it black and white', images: [readFileSync('examples/sample.png')] },
  n: 2,
  maxImagesPerCall: 6, // both images in one request (the SDK sends one per image for ids it does not know)
});
for (const image of images) console.log(image.mediaType, image.uint8Array.length, 'bytes');
