/**
 * (d) An edit with three 8 MB images: multipart to /v1/images/edits (streamed, octet-stream
 * parts) against the same images as base64 JSON to the DashScope route. Time until the task is
 * accepted (created, after upload, parsing and intake), whole request time, and the server's peak
 * RSS — each way on a fresh server.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { spawnServer } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/stores.js';
import { median, memoryOf, table } from './lib/report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function noisePng(megabytes: number): Promise<Buffer> {
  const side = Math.floor(Math.sqrt((megabytes * 1024 * 1024) / 3));
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
}

/** `YYYY-MM-DD HH:mm:ss.SSS` (server local time, same machine) back to epoch ms. */
function parseTaskTime(text: string): number {
  const [date, time] = text.split(' ') as [string, string];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm, rest] = time.split(':') as [string, string, string];
  const [ss, ms] = rest.split('.').map(Number) as [number, number];
  return new Date(y, m - 1, d, Number(hh), Number(mm), ss, ms).getTime();
}

type Send = (url: string, key: string, images: Buffer[]) => Promise<number>;

const multipartEdit: Send = async (url, key, images) => {
  const form = new FormData();
  for (const [i, png] of images.entries()) form.append('image[]', new Blob([png], { type: 'application/octet-stream' }), `${i}.png`);
  form.append('prompt', 'make it black and white');
  form.append('model', 'qwen-image-edit-plus');
  form.append('size', '512x512');
  const response = await fetch(`${url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  await response.arrayBuffer();
  return response.status;
};

const base64Json: Send = async (url, key, images) => {
  const content = [...images.map((png) => ({ image: `data:image/png;base64,${png.toString('base64')}` })), { text: 'make it black and white' }];
  const response = await fetch(`${url}/api/v1/services/aigc/multimodal-generation/generation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content }] }, parameters: { size: '512*512' } }),
  });
  await response.arrayBuffer();
  return response.status;
};

async function scenario(name: string, send: Send, images: Buffer[]): Promise<Array<string | number>> {
  const dir = tempDir('qig-bench-');
  const server = await spawnServer({ PORT: '0', QIG_DATA_DIR: dir.path });
  try {
    const key = /(sk-qig-\w+)/.exec(server.output())?.[1] as string;
    const accepted: number[] = [];
    const totals: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = Date.now();
      const status = await send(server.url, key, images);
      totals.push(Date.now() - started);
      if (status !== 200) throw new Error(`${name} answered ${status}`);
      const list = (await (await fetch(`${server.url}/api/v1/tasks?page_size=1`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: Array<{ submit_time: string }> };
      accepted.push(parseTaskTime(list.data[0]!.submit_time) - started);
    }
    const memory = memoryOf(server.child.pid as number, (p) => readFileSync(p, 'utf8'));
    return [name, median(accepted), median(totals), memory.peakMb];
  } finally {
    await server.stop();
    dir.remove();
  }
}

export async function benchUpload(): Promise<void> {
  const images = await Promise.all([0, 1, 2].map(() => noisePng(7.9)));
  const rows = [await scenario('multipart to /v1/images/edits', multipartEdit, images), await scenario('base64 JSON to the DashScope route', base64Json, images)];
  table(
    `(d) an edit with three ${(images[0]!.length / 1048576).toFixed(1)} MB images, median of ${RUNS} sequential requests (ms)`,
    ['how', 'time to accepted', 'whole request', 'server peak RSS (MB)'],
    rows,
  );
}
