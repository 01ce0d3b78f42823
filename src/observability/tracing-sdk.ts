// The OpenTelemetry SDK set up for Gatehouse: one tracer provider of this server's own (not the
// global one, so two servers in one process trace apart), batching spans to OTLP/HTTP (JSON).
// Imported only by tracing.ts, when tracing is configured.
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import type { TracingSettings } from '../config/observability.ts';
import type { Tracing } from './tracing.ts';
import { tracingPlugin } from './tracing-plugin.ts';

const INSTRUMENTATION = 'gatehouse-graphql';

export function createTracing(settings: TracingSettings, logger: Logger): Tracing {
  // The SDK reports export failures (collector down) through its diagnostic logger: into ours, at warn.
  diag.setLogger(diagLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  // Short timeouts: a collector that does not answer must not hold up a shutdown (the last flush) for long.
  const exporter = new OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers, timeoutMillis: 5_000 });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter, exportTimeoutMillis: 5_000 })],
  });
  return {
    plugin: tracingPlugin(provider.getTracer(INSTRUMENTATION), new W3CTraceContextPropagator()),
    shutdown: () => provider.shutdown(),
  };
}

function diagLogger(logger: Logger): DiagLogger {
  const child = logger.child({ component: 'opentelemetry' });
  return {
    error: (message, ...args) => child.warn({ args }, message),
    warn: (message, ...args) => child.warn({ args }, message),
    info: (message, ...args) => child.debug({ args }, message),
    debug: (message, ...args) => child.debug({ args }, message),
    verbose: (message, ...args) => child.trace({ args }, message),
  };
}
