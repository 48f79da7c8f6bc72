/**
 * (k) Channels' bookkeeping per task: the route ordered by priority and weight (seeded by the
 * task id), a credential picked within the channel (guard, QPS bucket, statistics) for one start,
 * and the charge grouped by engine and credential with upstream costs — against a baseline
 * measured in the same run: the config-file router's plain array lookup, the same start on the
 * bare engine, and the charge without costs. Aim: under 50 µs per task.
 */
import type { RouteEntry } from '../src/domain/channels.js';
import { findModel } from '../src/domain/models.js';
import type { TaskOutput } from '../src/domain/task.js';
import { servesModel, type Engine } from '../src/engines/engine.js';
import { systemClock } from '../src/lib/clock.js';
import { ChannelEngine } from '../src/services/channels/channel-engine.js';
import { CredentialSlot } from '../src/services/channels/credential-slot.js';
import { EngineRouter } from '../src/services/router.js';
import { chargeOf } from '../src/services/run/ending.js';
import { engineCall } from '../test/fakes/dashscope-kit.js';
import { table } from './lib/report.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const GUARD = { maxConcurrent: 8, failureThreshold: 5, openMs: 30_000, outputs: 'rehost' } as const;

/** An upstream that answers at once, so only the gateway's own work is measured. */
function instant(name: string): Engine {
  return {
    name,
    type: 'bench',
    capabilities: { models: '*', maxImagesPerCall: 6, watermark: true, negativePrompt: true, promptExtend: true, seed: true, cancelRunning: false },
    start: async () => ({ status: 'done', images: [] }),
    poll: async () => ({ status: 'done', images: [] }),
    cancel: async () => {},
  };
}

function outputsOf(engine: string, credential: string | undefined): TaskOutput[] {
  return Array.from({ length: 4 }, (_, seed) => ({ blobId: `${seed}`, contentType: 'image/png', width: 8, height: 8, bytes: 1, seed, engine, ...(credential ? { credential } : {}) }));
}

const unitPrice = () => 200_000;
const unitCost = (_model: string, _engine: string | null, credential: string | null) => (credential === null ? 0 : 140_000);

async function perTask(run: (i: number) => Promise<void>): Promise<number> {
  for (let i = 0; i < 2000; i += 1) await run(i);
  const started = performance.now();
  for (let i = 0; i < TASKS; i += 1) await run(i);
  return ((performance.now() - started) * 1000) / TASKS;
}

export async function benchChannels(): Promise<void> {
  const model = findModel('qwen-image-edit-plus');
  if (!model) throw new Error('model missing');
  const names = ['main', 'second', 'backup'];

  // Baseline: one engine per name, the config's failover list.
  const bare = new Map(names.map((name) => [name, instant(name)]));
  const plainRoutes: Record<string, readonly string[]> = { '*': names };
  const baseline = await perTask(async () => {
    const route = (plainRoutes[model.id] ?? plainRoutes[model.family] ?? plainRoutes['*'] ?? [])
      .map((name) => bare.get(name))
      .filter((engine): engine is Engine => engine !== undefined && servesModel(engine, model.id, model.family));
    const first = route[0] as Engine;
    await first.start(engineCall());
    chargeOf(model.id, outputsOf(first.name, undefined), first.name, unitPrice);
  });

  // Channels: 3 channels of 4 credentials, two of them in the top priority, QPS and stats on.
  const channels = new Map(
    names.map((name) => {
      const slots = Array.from({ length: 4 }, (_, i) => {
        const slot = new CredentialSlot({ id: `${name}~${i}`, engine: instant(name), guard: GUARD, qps: 1e9, clock: systemClock });
        slot.update({ weight: i + 1 });
        return slot;
      });
      return [name, new ChannelEngine({ name, type: 'bench', enabled: true, guard: GUARD, slots, clock: systemClock })] as const;
    }),
  );
  const routes: Record<string, RouteEntry[]> = { '*': [{ channel: 'main', priority: 10, weight: 3 }, { channel: 'second', priority: 10, weight: 1 }, { channel: 'backup', priority: 1, weight: 1 }] };
  const router = new EngineRouter(channels, routes);
  const withChannels = await perTask(async (i) => {
    const first = router.route(model, `task-${i}`)[0] as ChannelEngine;
    const done = await first.start(engineCall());
    chargeOf(model.id, outputsOf(first.name, done.status === 'done' ? done.credential : undefined), first.name, unitPrice, unitCost);
  });

  table(`Channels: selection and bookkeeping per task (${TASKS} tasks, 3 channels × 4 credentials)`, ['', 'µs per task', 'ratio'], [
    ['baseline (array lookup, bare start, charge)', baseline, 1],
    ['channels (ordered route, credential pick, guard, QPS, stats, charge with costs)', withChannels, withChannels / baseline],
    ['overhead of channels (aim < 50 µs)', withChannels - baseline, ''],
  ]);
}
