/** Operations endpoints: liveness, readiness, Prometheus metrics. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueStats } from '../queue/queue.js';
import type { EngineHealth } from '../services/engine-guard.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
  /**
   * Reported, not required: the node still serves without it (submits are accepted while Redis
   * is away), so a load balancer should not take it out of rotation for it.
   */
  degradedOnly?: boolean;
}

/** How long one readiness check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 3_000;

async function runCheck({ name, check, degradedOnly }: ReadinessCheck): Promise<{ name: string; ok: boolean; required: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timedOut]);
    return { name, ok: true, required: !degradedOnly };
  } catch (error) {
    return { name, ok: false, required: !degradedOnly, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export interface OpsDeps {
  checks: readonly ReadinessCheck[];
  queueStats(): Promise<QueueStats>;
  engineHealth(): EngineHealth[];
}

export interface HttpMetrics {
  registry: Registry;
  taskTransitions: Counter<'status'>;
  /** Records one finished request. */
  observe(request: FastifyRequest, reply: FastifyReply): void;
}

export function createMetrics(deps: { queueStats(): Promise<QueueStats>; inflightBodyBytes(): number; engineHealth(): EngineHealth[] }): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qig_' });
  const taskTransitions = new Counter({
    name: 'qig_task_transitions_total',
    help: 'Tasks entering each status.',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'qig_queue_tasks',
    help: 'Tasks in the queue by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      // Without Redis the counts are unknown: the gauge is left out rather than failing the scrape.
      const stats = await deps.queueStats().catch(() => null);
      this.reset();
      if (!stats) return;
      this.set({ state: 'waiting' }, stats.waiting);
      this.set({ state: 'delayed' }, stats.delayed);
      this.set({ state: 'active' }, stats.active);
    },
  });
  new Gauge({
    name: 'qig_engine_state',
    help: 'Engine circuit state (0 closed, 1 half-open, 2 open), calls in flight and waiting.',
    labelNames: ['engine', 'measure'] as const,
    registers: [registry],
    collect() {
      for (const health of deps.engineHealth()) {
        this.set({ engine: health.name, measure: 'circuit' }, health.state === 'closed' ? 0 : health.state === 'half-open' ? 1 : 2);
        this.set({ engine: health.name, measure: 'in_flight' }, health.inFlight);
        this.set({ engine: health.name, measure: 'waiting' }, health.waiting);
      }
    },
  });
  new Gauge({
    name: 'qig_inflight_body_bytes',
    help: 'Request body bytes being received.',
    registers: [registry],
    collect() {
      this.set(deps.inflightBodyBytes());
    },
  });
  const duration = new Histogram({
    name: 'qig_http_request_duration_seconds',
    help: 'HTTP request duration by route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  return {
    registry,
    taskTransitions,
    observe(request, reply) {
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    },
  };
}

export async function opsRoutes(app: FastifyInstance, deps: OpsDeps & { metrics: HttpMetrics }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(deps.checks.map(runCheck));
    // Engines are reported, not required: with every circuit open the API still takes and queues tasks.
    const ready = results.every((r) => r.ok || !r.required);
    const queue = await deps.queueStats().catch(() => null);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? (results.every((r) => r.ok) ? 'ready' : 'degraded') : 'not ready', checks: results, queue, engines: deps.engineHealth() });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
