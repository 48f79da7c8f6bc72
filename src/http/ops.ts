/** Operations endpoints: liveness, readiness, Prometheus metrics (behind a bearer token when one is set). */
import type { FastifyInstance } from 'fastify';
import type { QueueStats } from '../queue/queue.js';
import type { EngineHealth } from '../services/engine-guard.js';
import { bearerCheck } from './bearer.js';
import type { HttpMetrics } from './metrics.js';

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
  /** Upstream accounts out of rotation, and why (shown, not required: other channels serve). */
  disabledCredentials(): DisabledCredential[];
}

/**
 * /readyz is open to anyone: the codes only, no label, key tail or upstream message (the admin
 * console shows those).
 */
export interface DisabledCredential {
  channel: string;
  credential: string;
  kind: string;
  code: string;
  since: string;
  nextTestAt: string;
}

export async function opsRoutes(app: FastifyInstance, deps: OpsDeps & { metrics: HttpMetrics; metricsToken: string | null }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(deps.checks.map(runCheck));
    // Engines are reported, not required: with every circuit open the API still takes and queues tasks.
    const ready = results.every((r) => r.ok || !r.required);
    const queue = await deps.queueStats().catch(() => null);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? (results.every((r) => r.ok) ? 'ready' : 'degraded') : 'not ready', checks: results, queue, engines: deps.engineHealth(), disabledCredentials: deps.disabledCredentials() });
  });

  const authorized = deps.metricsToken === null ? null : bearerCheck(deps.metricsToken);
  app.get('/metrics', async (request, reply) => {
    if (authorized && !authorized(request.headers.authorization)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'unauthorized', message: '/metrics needs "Authorization: Bearer <QIG_METRICS_TOKEN>".' } });
    }
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
