// What observability adds to a running server: with METRICS_TOKEN, the metrics plugin and the
// metrics read at scrape time; with OTEL_EXPORTER_OTLP_ENDPOINT, the tracing plugin. Both plugins
// go first in yoga's list (src/graphql-server.ts).
import type { Plugin } from 'graphql-yoga';
import { parse } from 'graphql';
import type { Services } from '../context.ts';
import type { TrustedDocuments } from '../config/trusted-documents.ts';
import { graphqlMetricsPlugin } from './graphql-metrics.ts';
import { operationNamesIn } from './operation.ts';
import { registerRuntimeMetrics } from './runtime-metrics.ts';
import { startTracing } from './tracing.ts';

export interface ObservabilityParts {
  /** The documents of TRUSTED_DOCUMENTS and the console: their operation names are counted apart. */
  trustedDocuments: TrustedDocuments | null;
  /** Whether an operation's context came over graphql-ws (else HTTP: SSE for a subscription). */
  isWebSocket(context: object): boolean;
  /** How many live connections are watched for revocation (src/realtime/connections.ts). */
  liveConnections(): number;
}

export interface Observability {
  plugins: Plugin[];
  /** Exports the spans still buffered. */
  close(): Promise<void>;
}

export async function startObservability(services: Services, parts: ObservabilityParts): Promise<Observability> {
  const { config, metrics } = services;
  const plugins: Plugin[] = [];
  if (config.metrics.token !== null) {
    // With TRUSTED_DOCUMENTS, their names only: anyone may send other documents to be refused.
    if (parts.trustedDocuments) metrics.knowOperationNames(operationNamesIn([...parts.trustedDocuments.documents].map((text) => parse(text))), true);
    registerRuntimeMetrics(metrics, {
      orm: () => services.orm,
      sqliteFile: config.databaseDialect === 'sqlite' ? config.databasePath : null,
      poolSize: config.databasePoolSize,
      liveConnections: parts.liveConnections,
    });
    plugins.push(graphqlMetricsPlugin(metrics, { transportOf: (context) => (parts.isWebSocket(context) ? 'websocket' : 'sse') }));
  }
  const tracing = await startTracing(config.tracing, services.logger);
  if (tracing) plugins.unshift(tracing.plugin);
  return {
    plugins,
    close: async () => {
      // A collector that is down must not make closing the server fail: the spans are lost, said once.
      await tracing?.shutdown().catch((error: unknown) => services.logger.warn({ err: error }, 'the last spans could not be exported'));
    },
  };
}
