/**
 * (j) Background removal at 1024×1024 on the local engine: the matte (segmentation at 400 px, graph
 * cut, guided filter to full size) cold — the first call in the process, before the JIT warmed up —
 * and warm (median of BENCH_RUNS), each background operation as a whole engine call (PNG in, raw
 * pixels out), and the peak RSS the process added. Run alone for a clean peak:
 * BENCH=j node --import tsx bench/run.ts, or node --import tsx bench/backgrounds.ts.
 */
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { EngineCall } from '../src/engines/engine.js';
import { createLocalEngine } from '../src/engines/local/index.js';
import { matteOf } from '../src/engines/local/ops/matting/matte.js';
import type { Raster } from '../src/engines/local/raster/raster.js';
import { iou, subjectScene, type Backdrop } from '../test/unit/engines/local/matting/scenes.js';
import { median, table } from './lib/report.js';

const SIZE = 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** A fresh copy, so the per-picture matte cache does not answer. */
const copy = (raster: Raster): Raster => ({ ...raster, data: Buffer.from(raster.data) });

function timed<T>(work: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = work();
  return { ms: performance.now() - start, value };
}

function call(prompt: string, images: Buffer[]): EngineCall {
  return {
    taskId: 'bench',
    requestId: 'bench',
    model: 'qwen-image-edit-plus',
    family: 'qwen-image-edit-plus',
    kind: 'edit',
    prompt,
    negativePrompt: null,
    n: 1,
    size: { width: SIZE, height: SIZE },
    sizeSource: 'request',
    seed: 1,
    promptExtend: false,
    watermark: false,
    inputs: images.map((bytes, index) => ({ index, contentType: 'image/png', width: SIZE, height: SIZE, bytes: bytes.length, read: async () => bytes, signedUrl: () => '' })),
    signal: new AbortController().signal,
    log: () => {},
  };
}

export async function benchBackgrounds(): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const scenes = Object.fromEntries((['plain', 'studio', 'busy'] as const).map((kind) => [kind, subjectScene(kind, SIZE, SIZE)])) as Record<Backdrop, ReturnType<typeof subjectScene>>;
  const cold = timed(() => matteOf(copy(scenes.plain.raster)));
  const rows: Array<Array<string | number>> = [['matte, plain (cold: first call)', cold.ms.toFixed(0), iou(cold.value.alpha, scenes.plain.mask).toFixed(3), cold.value.busy ?? '—']];
  for (const kind of ['plain', 'studio', 'busy'] as const) {
    const runs = Array.from({ length: RUNS }, () => timed(() => matteOf(copy(scenes[kind].raster))));
    const last = runs.at(-1)!.value;
    rows.push([`matte, ${kind} (warm, median of ${RUNS})`, median(runs.map((r) => r.ms)).toFixed(0), iou(last.alpha, scenes[kind].mask).toFixed(3), last.busy ?? '—']);
  }
  table(`Background matte at ${SIZE}×${SIZE}`, ['case', 'ms', 'IoU', 'warning'], rows);

  const engine = createLocalEngine();
  const png = (raster: Raster): Promise<Buffer> => sharp(raster.data, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer();
  const subject = await png(scenes.studio.raster);
  const scenery = await png(scenes.busy.raster);
  const calls: Array<[string, Buffer[]]> = [
    ['remove the background', [subject]],
    ['white background', [subject]],
    ['put image 1 on the background of image 2', [subject, scenery]],
    ['blur the background', [subject]],
  ];
  const engineRows = [];
  for (const [prompt, images] of calls) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      await engine.start(call(prompt, images));
      times.push(performance.now() - start);
    }
    engineRows.push([`engine: PNG → ${prompt}`, median(times).toFixed(0)]);
  }
  table(`Background operations, whole engine calls at ${SIZE}×${SIZE} (median of ${RUNS})`, ['call', 'ms'], engineRows);
  // maxRSS is the process's peak in KiB (Linux); the added figure includes the test pictures (~10 MB).
  const peakMb = (process.resourceUsage().maxRSS * 1024 - rssBefore) / 2 ** 20;
  console.log(`peak RSS added by this section: ${peakMb.toFixed(0)} MB (RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MB)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchBackgrounds();
