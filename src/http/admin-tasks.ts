/**
 * What an operator watches, behind the admin token: recent tasks of every key with their engine,
 * timings, attempts, errors and charges (GET /admin/v1/tasks), and each engine with its
 * capabilities, routes and circuit state (GET /admin/v1/engines).
 */
import type { RouteEntry } from '../domain/channels.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatAmount } from '../domain/money.js';
import type { TaskRecord } from '../domain/task.js';
import type { EngineCapabilities } from '../engines/engine.js';
import { zodToAppError } from '../dialects/zod-errors.js';
import { guardAdmin } from './admin-guard.js';
import type { EngineHealth } from '../services/engine-guard.js';
import type { TaskStore } from '../store/ports.js';

export interface AdminTaskDeps {
  adminToken: string;
  tasks: Pick<TaskStore, 'list'>;
  currency: string;
  /** Each engine's circuit state and load. */
  engineHealth: () => EngineHealth[];
  capabilities: (engine: string) => EngineCapabilities | undefined;
  /** The routes in force: channels (engines) by model, family or "*", highest priority first. */
  routes: () => Readonly<Record<string, readonly RouteEntry[]>>;
}

export const adminTaskQuerySchema = z
  .object({
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']).optional(),
    keyId: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).optional(),
    offset: z.coerce.number({ error: 'must be a number' }).int().min(0).optional(),
  })
  .strict();

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const amount = (micros: number | null) => (micros === null ? null : formatAmount(micros));

function taskView(task: TaskRecord, currency: string) {
  const { spec, billing } = task;
  return {
    id: task.id,
    keyId: task.keyId,
    model: task.model,
    kind: task.kind,
    status: task.status,
    origin: task.origin,
    engine: task.engine,
    prompt: spec.prompt,
    n: spec.n,
    size: `${spec.size.width}*${spec.size.height}`,
    inputs: task.inputs.length,
    outputs: task.outputs.length,
    attempts: task.attempts,
    createdAt: iso(task.createdAt),
    startedAt: iso(task.startedAt),
    finishedAt: iso(task.finishedAt),
    queuedMs: task.startedAt === null ? null : task.startedAt - task.createdAt,
    runMs: task.startedAt === null || task.finishedAt === null ? null : task.finishedAt - task.startedAt,
    error: task.error,
    warnings: task.warnings,
    billing: {
      state: billing.state,
      unitPrice: amount(billing.unitPriceMicros),
      held: amount(billing.holdMicros),
      charged: amount(billing.chargedMicros),
      currency,
    },
  };
}


export async function adminTaskRoutes(app: FastifyInstance, deps: AdminTaskDeps): Promise<void> {
  guardAdmin(app, deps.adminToken);

  app.get('/admin/v1/tasks', async (request) => {
    const parsed = adminTaskQuerySchema.safeParse(request.query);
    if (!parsed.success) throw zodToAppError(parsed.error);
    const { status, keyId, model } = parsed.data;
    const limit = parsed.data.limit ?? 50;
    const offset = parsed.data.offset ?? 0;
    const { tasks, total } = await deps.tasks.list({ status, keyId, model, limit, offset });
    return { data: tasks.map((task) => taskView(task, deps.currency)), total, limit, offset };
  });

  app.get('/admin/v1/engines', async () => {
    // As before channels had priorities and weights: each route's engine names, highest priority first.
    const routes = Object.fromEntries(Object.entries(deps.routes()).map(([model, entries]) => [model, [...entries].sort((a, b) => b.priority - a.priority).map((e) => e.channel)]));
    const routedBy = (name: string) =>
      Object.entries(routes)
        .filter(([, engines]) => engines.includes(name))
        .map(([model, engines]) => ({ model, position: engines.indexOf(name) + 1, of: engines.length }));
    return {
      data: deps.engineHealth().map(({ name, type, models, ...health }) => ({
        name,
        type,
        models,
        capabilities: deps.capabilities(name) ?? null,
        routes: routedBy(name),
        health: { ...health, retryAt: iso(health.retryAt) },
      })),
      routes,
    };
  });
}
