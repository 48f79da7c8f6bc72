// The Vercel AI SDK with its OpenAI-compatible provider.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateImage } from 'ai';

const qwen = createOpenAICompatible({ name: 'qwen-image-gateway', baseURL: `${process.env.QIG_URL ?? 'http://127.0.0.1:8080'}/v1`, apiKey: process.env.QIG_API_KEY ?? '' });

const { image } = await generateImage({ model: qwen.imageModel('qwen-image-2.0'), prompt: 'a lighthouse at dawn', size: '1024x1024' });
console.log(image.mediaType, image.uint8Array.length, 'bytes');
