// The official `openai` SDK, pointed at the gateway: only the base URL changes.
import { createReadStream } from 'node:fs';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: `${process.env.QIG_URL ?? 'http://127.0.0.1:8080'}/v1`, apiKey: process.env.QIG_API_KEY });

const generated = await client.images.generate({ model: 'qwen-image-2.0', prompt: 'a red kite over green hills', size: '1024x1024', response_format: 'url' });
console.log('generated:', generated.data?.[0]?.url);

const edited = await client.images.edit({ model: 'qwen-image-edit-plus', image: createReadStream('examples/sample.png'), prompt: 'make it black and white', response_format: 'url' });
console.log('edited:', edited.data?.[0]?.url);
