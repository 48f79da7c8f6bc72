/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT):
 * spans go in batches to `<endpoint>/v1/traces` as OTLP/HTTP JSON; the exporter also honours the
 * standard OTEL_EXPORTER_OTLP_HEADERS. Unset, nothing is registered and the span helpers in
 * lib/tracing.ts return at once.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { AppConfig } from '../config/load.js';
import { setTracingEnabled } from '../lib/tracing.js';

/** Starts tracing if configured; returns the function that flushes and stops it. */
export function startTracing(config: AppConfig): (() => Promise<void>) | null {
  const { endpoint, serviceName } = config.tracing;
  if (endpoint === null) return null;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'qig.role': config.role }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }))],
  });
  // The global tracer, the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  setTracingEnabled(true);
  return async () => {
    setTracingEnabled(false);
    await provider.shutdown();
    // Unregistered, so a later start in the same process (tests) registers afresh.
    trace.disable();
    context.disable();
    propagation.disable();
  };
}
