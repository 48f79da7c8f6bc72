/**
 * (b) A sync edit of a 1024×1024 input on the local engine, split into its stages: intake
 * (probe, validate, store the input), the engine's own work, and encode + store of the output;
 * then the same edit through HTTP end to end.
 */
import { DiskBlobStore } from '../src/blobs/disk-store.js';
import type { EngineCall, EngineImage } from '../src/engines/engine.js';
import { createLocalEngine } from '../src/engines/local/index.js';
import { encodeImage } from '../src/images/encode.js';
import { intakeImage } from '../src/images/intake.js';
import { spawnServer } from '../test/helpers/process.js';
import { tempDir } from '../test/helpers/stores.js';
import { photoPng } from './lib/photo.js';
import { median, table, timeIt } from './lib/report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);

function call(input: Buffer, prompt: string): EngineCall {
  return {
    taskId: 'bench', requestId: 'bench', model: 'qwen-image-edit-plus', family: 'qwen-image-edit-plus', kind: 'edit', prompt, negativePrompt: null,
    n: 1, size: { width: 1024, height: 1024 }, sizeSource: 'default', seed: 1, promptExtend: false, watermark: false,
    inputs: [{ index: 0, contentType: 'image/png', width: 1024, height: 1024, bytes: input.length, read: async () => input, signedUrl: () => '' }],
    signal: new AbortController().signal, log: () => {},
  };
}

export async function benchSyncEdit(): Promise<void> {
  const dir = tempDir('qig-bench-');
  const blobs = new DiskBlobStore(dir.path);
  const engine = createLocalEngine();
  const input = await photoPng(1024, 1024);
  const rows: Array<Array<string | number>> = [];
  try {
    for (const prompt of ['make it black and white', 'cartoon style']) {
      const intake: number[] = [];
      const work: number[] = [];
      const encode: number[] = [];
      const store: number[] = [];
      for (let run = 0; run <= RUNS; run += 1) {
        // Each run stores a different input, as real traffic does (content addressing makes repeats free).
        const bytes = Buffer.concat([input, Buffer.from(String(run))]);
        const a = await timeIt(async () => {
          const image = await intakeImage(bytes, { field: 'image' });
          return blobs.put(image.data, image.contentType);
        });
        const b = await timeIt(() => engine.start(call(input, prompt)));
        const result = b.value;
        if (result.status !== 'done') throw new Error('the local engine should finish in start');
        const c = await timeIt(() => encodeImage(result.images[0] as Extract<EngineImage, { kind: 'raw' }>, { format: 'png', watermark: false }));
        const d = await timeIt(() => blobs.put(Buffer.concat([c.value.data, Buffer.from(String(run))]), c.value.contentType));
        if (run === 0) continue; // warm-up
        intake.push(a.ms);
        work.push(b.ms);
        encode.push(c.ms);
        store.push(d.ms);
      }
      rows.push([prompt, median(intake), median(work), median(encode), median(store), median(intake) + median(store), median(intake) + median(encode) + median(store)]);
    }

    const server = await spawnServer({ PORT: '0', QIG_DATA_DIR: dir.path });
    const key = /(sk-qig-\w+)/.exec(server.output())?.[1] as string;
    const totals: number[] = [];
    try {
      for (let run = 0; run <= RUNS; run += 1) {
        const image = `data:image/png;base64,${input.toString('base64')}`;
        const { ms, value } = await timeIt(() =>
          fetch(`${server.url}/api/v1/services/aigc/multimodal-generation/generation`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image }, { text: 'make it black and white' }] }] }, parameters: { n: 1, size: '1024*1024', seed: run } }),
          }).then((r) => r.status),
        );
        if (value !== 200) throw new Error(`sync edit answered ${value}`);
        if (run > 0) totals.push(ms);
      }
    } finally {
      await server.stop();
    }
    table(
      `(b) sync edit of a 1024×1024 PNG on the local engine, median of ${RUNS} runs (ms)`,
      ['instruction', 'intake + store input', 'engine', 'encode PNG', 'store output', 'intake + storage', 'intake + encode + storage'],
      rows,
    );
    table('(b) the same black-and-white edit through HTTP (base64 data URI in, URL out)', ['measure', 'ms'], [['median request time', median(totals)]]);
  } finally {
    dir.remove();
  }
}
