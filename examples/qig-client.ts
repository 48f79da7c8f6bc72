// The gateway's typed client (npm install $QIG_URL/sdk/client.tgz): DashScope's native API, typed.
import { createClient } from '@qwen-image-gateway/client';

const qig = createClient({ baseUrl: process.env.QIG_URL ?? 'http://127.0.0.1:8080', apiKey: process.env.QIG_API_KEY ?? '' });

const edited = await qig.edit({ model: 'qwen-image-edit-plus', images: ['examples/sample.png'], prompt: 'make it black and white', n: 2 });
console.log('edited:', edited.urls[0]);
console.log('saved:', await edited.download('out'));

const task = await qig.generate({ model: 'qwen-image-plus', prompt: 'a lighthouse at dawn' }, { async: true });
const generated = await task.wait({ onProgress: (t) => console.log('status:', t.status, t.queuePosition ?? '') });
console.log('generated:', generated.urls[0]);
