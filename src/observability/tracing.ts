// OpenTelemetry traces, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT (or …_TRACES_ENDPOINT) is set:
// the SDK, the exporter and the plugin are imported here on demand, so a server without it neither
// loads nor exports anything. Nothing in this module imports OpenTelemetry itself.
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { TracingSettings } from '../config/observability.ts';

export interface Tracing {
  /** Opens a span for every GraphQL operation (first in the plugin list, beside the metrics plugin). */
  plugin: Plugin;
  /** Sends the spans not yet exported, then stops the exporter. */
  shutdown(): Promise<void>;
}

export async function startTracing(settings: TracingSettings | null, logger: Logger): Promise<Tracing | null> {
  if (!settings) return null;
  const { createTracing } = await import('./tracing-sdk.ts');
  const tracing = createTracing(settings, logger);
  logger.info({ tracesUrl: settings.tracesUrl, serviceName: settings.serviceName }, 'exporting traces over OTLP');
  return tracing;
}
