/**
 * (c) Peak RSS of the server while 20 requests, each carrying three 8 MB images as base64 data
 * URIs (about 32 MB of JSON each), arrive at once. Past the configured in-flight body budget the
 * server must answer 503 with Retry-After rather than run out of memory.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { spawnServer } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/stores.js';
import { memoryOf, table } from './lib/report.js';

/** A noise PNG of about `megabytes` MB (noise does not compress). */
async function noisePng(megabytes: number): Promise<Buffer> {
  const side = Math.floor(Math.sqrt((megabytes * 1024 * 1024) / 3));
  const raw = randomBytes(side * side * 3);
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
}

export async function benchMemoryBurst(): Promise<void> {
  const dir = tempDir('qig-bench-');
  const images = await Promise.all([1, 2, 3].map(() => noisePng(7.9)));
  const server = await spawnServer({ PORT: '0', QIG_DATA_DIR: dir.path });
  try {
    const key = /(sk-qig-\w+)/.exec(server.output())?.[1] as string;
    const pid = server.child.pid as number;
    const before = memoryOf(pid, (p) => readFileSync(p, 'utf8'));
    const body = JSON.stringify({
      model: 'qwen-image-edit-plus',
      input: { messages: [{ role: 'user', content: [...images.map((png) => ({ image: `data:image/png;base64,${png.toString('base64')}` })), { text: 'make it black and white' }] }] },
      parameters: { n: 1, size: '1024*1024' },
    });
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${server.url}/api/v1/services/aigc/multimodal-generation/generation`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body,
        }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), code: ((await r.json()) as { code?: string }).code })),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = memoryOf(pid, (p) => readFileSync(p, 'utf8'));
    const counts = new Map<string, number>();
    for (const s of statuses) counts.set(`${s.status}${s.code ? ` ${s.code}` : ''}${s.retryAfter ? ` (Retry-After ${s.retryAfter})` : ''}`, (counts.get(`${s.status}${s.code ? ` ${s.code}` : ''}${s.retryAfter ? ` (Retry-After ${s.retryAfter})` : ''}`) ?? 0) + 1);
    table(
      `(c) 20 requests at once, each with three ${(images[0]!.length / 1048576).toFixed(1)} MB PNGs as base64 (${(body.length / 1048576).toFixed(1)} MB of JSON each)`,
      ['measure', 'value'],
      [
        ['server RSS before (MB)', before.rssMb],
        ['server peak RSS (MB)', after.peakMb],
        ['wall time (s)', seconds],
        ...[...counts].map(([answer, count]) => [`answers ${answer}`, count] as [string, number]),
      ],
    );
  } finally {
    await server.stop();
    dir.remove();
  }
}
