/**
 * The HTTP server of a worker-only process (QIG_ROLE=worker): /healthz, /readyz and /metrics on
 * PORT for probes and scraping, and nothing else — a worker takes no API traffic.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger.js';
import type { TaskQueue } from '../queue/queue.js';
import type { EngineHealth } from '../services/engine-guard.js';
import type { HttpMetrics } from './metrics.js';
import { opsRoutes, type DisabledCredential, type ReadinessCheck } from './ops.js';

export interface WorkerOpsDeps {
  logger: Logger;
  queue: TaskQueue;
  metrics: HttpMetrics;
  metricsToken: string | null;
  readiness: readonly ReadinessCheck[];
  engineHealth: () => EngineHealth[];
  disabledCredentials: () => DisabledCredential[];
}

export async function buildWorkerOpsApp(deps: WorkerOpsDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Widened to fastify's base logger so the instance keeps fastify's default logger type (the
    // plugins are typed against it); the rule cannot see that the generic needs it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  const { metrics } = deps;
  metrics.watch({ queueStats: () => deps.queue.stats(), inflightBodyBytes: () => 0, engineHealth: deps.engineHealth });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request, reply);
    done();
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NotFound', message: `No route ${request.method} ${request.url.split('?')[0]}: this is a worker; only /healthz, /readyz and /metrics are served.` } }),
  );
  await app.register(opsRoutes, { checks: deps.readiness, queueStats: () => deps.queue.stats(), engineHealth: deps.engineHealth, disabledCredentials: deps.disabledCredentials, metrics, metricsToken: deps.metricsToken });
  return app;
}
