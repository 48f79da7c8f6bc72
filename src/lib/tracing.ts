/**
 * OpenTelemetry spans around the work a request and a task do (the request, image intake, each
 * engine call, storing outputs), and the W3C `traceparent` sent on to upstreams. Off unless the
 * composition root starts an exporter (OTEL_EXPORTER_OTLP_ENDPOINT): then every helper here returns
 * at once, without creating a span or a context.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('qwen-image-gateway');
let enabled = false;

/** Called by the composition root once an exporter is registered (and again when it stops). */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** Runs `work` inside a span named `name` (a child of the active one), recording a thrown error on it. */
export function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return enabled ? spanned(name, attributes, false, work) : work();
}

/** The same, as a trace of its own whatever is active (a task's run: its request ended long ago). */
export function inRootSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return enabled ? spanned(name, attributes, true, work) : work();
}

function spanned<T>(name: string, attributes: Attributes, root: boolean, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, root }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** An HTTP request's server span, a child of the caller's `traceparent` when it sent one. */
export function startRequestSpan(name: string, headers: Record<string, string | string[] | undefined>, attributes: Attributes): { span: Span; context: Context } | null {
  if (!enabled) return null;
  const parent = propagation.extract(context.active(), headers);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` with `active` as the current trace context (the request's span, for its handler). */
export function withTraceContext(active: Context | null, fn: () => void): void {
  if (active === null) fn();
  else context.with(active, fn);
}

/** `headers` with the active span's `traceparent` (and `tracestate`) added, for an upstream call. */
export function withTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (!enabled) return headers;
  const carrier = { ...headers };
  propagation.inject(context.active(), carrier);
  return carrier;
}
