/**
 * Every Prometheus metric of a node, in one registry. Fed by the node's own task events (the node
 * that ends a task records its timings, images and charge, once), by the services through the
 * `ServiceMetrics` port (engine calls, image intake), by the HTTP hooks, and read from the queue,
 * the engines and the body guard at each scrape.
 *
 * Labels stay bounded: models come from the catalog, engines from the configured names and then
 * the channels added at runtime (at most MAX_ENGINE_LABELS distinct, "other" after that), error
 * kinds from the catalog, and an upstream's own codes are kept as they are only for the first
 * MAX_UPSTREAM_CODES distinct ones of each engine ("other" after that). No id is ever a label.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { findModel } from '../domain/models.js';
import { MICROS_PER_UNIT } from '../domain/money.js';
import { isTerminal, type TaskRecord } from '../domain/task.js';
import type { TaskEvent } from '../events/events.js';
import type { QueueStats } from '../queue/queue.js';
import type { EngineHealth } from '../services/engine-guard.js';
import type { IntakeRejection, ServiceMetrics, UpstreamFailure } from '../services/metrics.js';

/** Distinct engine (channel) names kept as labels; later ones count as "other". Above the catalog's own channel limit. */
export const MAX_ENGINE_LABELS = 256;
const ENGINE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Distinct upstream codes kept per engine; later ones count as "other". */
export const MAX_UPSTREAM_CODES = 20;
/** What an upstream code must look like to be kept: short, without spaces or quotes. */
const UPSTREAM_CODE = /^[\w.:-]{1,64}$/;

export interface MetricsOptions {
  /** The configured engine names (channels added at runtime join them, up to MAX_ENGINE_LABELS). */
  engines: readonly string[];
  /** The price list's currency, the `currency` label of amounts charged. */
  currency: string;
}

/** What the gauges read at each scrape; each process has its own. */
export interface LoadSources {
  queueStats(): Promise<QueueStats>;
  inflightBodyBytes(): number;
  engineHealth(): EngineHealth[];
}

export interface HttpMetrics extends ServiceMetrics {
  registry: Registry;
  /** Records one of this node's task events. */
  taskEvent(event: TaskEvent): void;
  /** Records one finished request; `route` (null: none matched) and `elapsedMs` are read from it when not given. */
  observe(request: FastifyRequest, reply: FastifyReply, route?: string | null, elapsedMs?: number): void;
  /** Registers the gauges read from this process's queue, body guard and engines (once). */
  watch(sources: LoadSources): void;
}

export function createMetrics(options: MetricsOptions): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qig_' });
  const labels = boundedLabels(options.engines);
  const taskTransitions = new Counter({
    name: 'qig_task_transitions_total',
    help: 'Tasks entering each status.',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const queueWait = new Histogram({
    name: 'qig_task_queue_wait_seconds',
    help: 'Time from submit to a worker starting the task, by model, engine and outcome; recorded when the task ends, by the node that ended it.',
    labelNames: ['model', 'engine', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800],
    registers: [registry],
  });
  const taskDuration = new Histogram({
    name: 'qig_task_duration_seconds',
    help: 'Time from a worker starting the task to its ending, by model, engine and outcome; recorded by the node that ended it.',
    labelNames: ['model', 'engine', 'outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  const images = new Counter({
    name: 'qig_images_produced_total',
    help: 'Output images of ended tasks, by model.',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const charged = new Counter({
    name: 'qig_charged_amount_total',
    help: 'Amount charged for ended tasks, in the configured currency, by model.',
    labelNames: ['model', 'currency'] as const,
    registers: [registry],
  });
  const upstreamCalls = new Counter({
    name: 'qig_upstream_calls_total',
    help: 'Calls to an engine (start or poll), by engine.',
    labelNames: ['engine', 'call'] as const,
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'qig_upstream_errors_total',
    help: 'Engine calls that failed, by engine, catalog error kind and the upstream\'s own code ("none" without one, "other" past the first few distinct ones).',
    labelNames: ['engine', 'kind', 'code'] as const,
    registers: [registry],
  });
  const intakeBytes = new Counter({
    name: 'qig_intake_bytes_total',
    help: 'Bytes of input images received for intake, downloaded (url) or in the request (inline).',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const intakeRejections = new Counter({
    name: 'qig_intake_rejections_total',
    help: 'Inputs refused on arrival, by reason: an image intake rule, a URL that could not be downloaded (url_*), a request body refused (body_*).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'qig_http_request_duration_seconds',
    help: 'HTTP request duration by route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });

  function taskEnded(task: TaskRecord): void {
    const model = labels.model(task.model);
    const series = { model, engine: labels.engine(task.engine), outcome: task.status };
    if (task.startedAt !== null) {
      queueWait.observe(series, Math.max(0, task.startedAt - task.createdAt) / 1000);
      if (task.finishedAt !== null) taskDuration.observe(series, Math.max(0, task.finishedAt - task.startedAt) / 1000);
    }
    images.inc({ model }, task.outputs.length);
    const micros = task.billing.chargedMicros ?? 0;
    if (micros > 0) charged.inc({ model, currency: options.currency }, micros / MICROS_PER_UNIT);
  }

  return {
    registry,
    taskEvent(event) {
      if (event.type !== 'status') return;
      taskTransitions.inc({ status: event.status });
      // Only an ending recorded by a worker carries its task; a task canceled while queued never started.
      if (event.task && isTerminal(event.status)) taskEnded(event.task);
    },
    upstreamCall(engine: string, call: 'start' | 'poll', failure: UpstreamFailure | null) {
      const name = labels.engine(engine);
      upstreamCalls.inc({ engine: name, call });
      if (failure) upstreamErrors.inc({ engine: name, kind: failure.kind, code: labels.upstreamCode(name, failure.upstreamCode) });
    },
    intakeBytes(source: 'url' | 'inline', bytes: number) {
      intakeBytes.inc({ source }, bytes);
    },
    intakeRejected(reason: IntakeRejection) {
      intakeRejections.inc({ reason });
    },
    observe(request, reply, route = request.routeOptions.url ?? null, elapsedMs = reply.elapsedTime) {
      duration.observe({ method: request.method, route: route ?? 'unmatched', status: String(reply.statusCode) }, elapsedMs / 1000);
    },
    watch(sources) {
      registerLoadGauges(registry, sources);
    },
  };
}

/** The label values allowed for models, engines and upstream codes. */
function boundedLabels(engines: readonly string[]) {
  const configured = new Set(engines);
  const codes = new Map<string, Set<string>>();
  return {
    model: (id: string): string => (findModel(id) ? id : 'other'),
    engine(name: string | null): string {
      if (name === null) return 'none';
      if (configured.has(name)) return name;
      if (!ENGINE_NAME.test(name) || configured.size >= MAX_ENGINE_LABELS) return 'other';
      configured.add(name);
      return name;
    },
    upstreamCode(engine: string, code: string | undefined): string {
      if (code === undefined || code === '') return 'none';
      if (!UPSTREAM_CODE.test(code)) return 'other';
      let seen = codes.get(engine);
      if (!seen) codes.set(engine, (seen = new Set()));
      if (seen.has(code)) return code;
      if (seen.size >= MAX_UPSTREAM_CODES) return 'other';
      seen.add(code);
      return code;
    },
  };
}

function registerLoadGauges(registry: Registry, sources: LoadSources): void {
  new Gauge({
    name: 'qig_queue_tasks',
    help: 'Tasks in the queue by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      // Without Redis the counts are unknown: the gauge is left out rather than failing the scrape.
      const stats = await sources.queueStats().catch(() => null);
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
      for (const health of sources.engineHealth()) {
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
      this.set(sources.inflightBodyBytes());
    },
  });
}
