/**
 * `npm run bench`: every benchmark, printed as tables. Pick some with BENCH=a,b,c:
 *   a task GET vs bare node:http · b sync edit stages · c memory under a burst of large bodies ·
 *   d multipart vs base64 upload · e passthrough/rehost overhead · f local engine vs ImageMagick ·
 *   g SSE subscribers · h queue throughput (BullMQ needs REDIS_URL) · i CJK text and the placeholder card ·
 *   j background removal (local engine) · k channels' selection and bookkeeping per task ·
 *   l this gateway vs Portkey's open-source gateway vs the upstream directly (BENCH_ROUNDS rounds).
 * Numbers are wall-clock on this machine; nothing here asserts on time.
 */
import { cpus } from 'node:os';
import { benchTaskGet } from './http-task-get.js';
import { benchMemoryBurst } from './memory-burst.js';
import { benchSyncEdit } from './sync-edit.js';
import { benchUpload } from './upload.js';
import { benchPassthrough } from './passthrough.js';
import { benchLocalOps } from './local-ops.js';
import { benchSse } from './sse.js';
import { benchQueue } from './queue.js';
import { benchCjkText } from './cjk-text.js';
import { benchBackgrounds } from './backgrounds.js';
import { benchChannels } from './channels.js';
import { benchPortkey } from './portkey.js';

const sections: Record<string, () => Promise<void>> = {
  a: benchTaskGet,
  b: benchSyncEdit,
  c: benchMemoryBurst,
  d: benchUpload,
  e: benchPassthrough,
  f: benchLocalOps,
  g: benchSse,
  h: benchQueue,
  i: benchCjkText,
  j: benchBackgrounds,
  k: benchChannels,
  l: benchPortkey,
};

const chosen = (process.env.BENCH ?? Object.keys(sections).join(',')).split(',').map((s) => s.trim());
console.log(`# qwen-image-gateway benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
for (const name of chosen) {
  const section = sections[name];
  if (!section) throw new Error(`unknown benchmark section ${name}; known: ${Object.keys(sections).join(', ')}`);
  await section();
}
