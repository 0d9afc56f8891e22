import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { RequestHandler } from 'express';

// For tests and other in-process consumers of spans: the SDK's classes, of the version the provider uses.
export { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** The tracer every Rowline span comes from; `rowline.service` says which service made it. */
export const tracer = () => trace.getTracer('rowline');

/**
 * Whether the environment asks for traces, by the standard variables: off unless an OTLP endpoint or a
 * traces exporter is named, and `OTEL_SDK_DISABLED=true` wins.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER) return env.OTEL_TRACES_EXPORTER !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export type Tracing = { shutdown(): Promise<void> };

/**
 * Installs the process's tracer provider, W3C trace-context propagation and an AsyncLocalStorage context
 * manager: the OpenTelemetry API keeps these as process globals by design, so this runs once, at process
 * start (tracing-register.ts) or in a test. Without a `processor` it exports over OTLP/HTTP, configured by
 * the standard OTEL_EXPORTER_OTLP_* variables, and only when tracingRequested(); otherwise it does nothing
 * and every span below is a no-op.
 */
export function startTracing(opts: { serviceName: string; processor?: SpanProcessor; env?: NodeJS.ProcessEnv }): Tracing | null {
  const env = opts.env ?? process.env;
  if (!opts.processor && !tracingRequested(env)) return null;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || opts.serviceName }),
    spanProcessors: [opts.processor ?? new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** The active trace context as headers (`traceparent`, `tracestate`): for messages written now and sent later. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Runs `fn` in a new span, recording an exception and an error status when it throws. */
export async function inSpan<T>(name: string, opts: { kind?: SpanKind; attributes?: Attributes; parent?: Context }, fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes }, opts.parent ?? context.active(), async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * A server span per HTTP request, child of the caller's `traceparent`: how a subgraph's work joins the
 * gateway's trace. The span ends when the response is sent.
 */
export function traceRequests(service: string): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(`${service} ${req.method} ${req.path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'rowline.service': service, 'http.request.method': req.method, 'url.path': req.path },
    }, parent);
    res.on('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
