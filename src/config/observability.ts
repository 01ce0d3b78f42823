// The observability settings: METRICS_TOKEN (the /metrics endpoint) and the OTEL_* variables of
// OpenTelemetry's OTLP exporter, read here like every other setting so a bad value stops the start.
import { z } from 'zod';

/** The /metrics endpoint: the bearer token scrapers send, or null when the endpoint is off (404). */
export interface MetricsSettings {
  token: string | null;
}

/** Traces over OTLP/HTTP (JSON); null when neither OTEL_EXPORTER_OTLP_ENDPOINT nor …_TRACES_ENDPOINT is set. */
export interface TracingSettings {
  /** Where spans are posted: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  tracesUrl: string;
  /** OTEL_EXPORTER_OTLP_HEADERS (e.g. an API key of the collector). */
  headers: Record<string, string>;
  serviceName: string;
}

const otlpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://localhost:4318' });

/** `key=value,key=value`, values percent-encoded (the OpenTelemetry specification's format). */
const otlpHeaders = z.string().transform((value, ctx) => {
  const headers: Record<string, string> = {};
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = entry.indexOf('=');
    const name = at > 0 ? entry.slice(0, at).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'expected key=value pairs separated by commas (e.g. api-key=secret)' });
      return z.NEVER;
    }
    try {
      headers[name.toLowerCase()] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      // A lone % is not percent-encoding: said, rather than sent as it stands.
      ctx.addIssue({ code: 'custom', message: `the value of ${name} is not percent-encoded correctly` });
      return z.NEVER;
    }
  }
  return headers;
});

export const OBSERVABILITY_ENV = {
  /** Bearer token of /metrics; unset: no /metrics endpoint. */
  METRICS_TOKEN: z.string().trim().min(16, 'use at least 16 characters (better: a random 32+ character string, e.g. `openssl rand -hex 32`)').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: otlpHeaders.optional(),
  /** Only OTLP over HTTP with JSON bodies is built in (every OpenTelemetry Collector accepts it). */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/json'], { error: 'only http/json is supported (OTLP over HTTP with JSON bodies, port 4318 of a collector)' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/json'], { error: 'only http/json is supported (OTLP over HTTP with JSON bodies, port 4318 of a collector)' }).optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(255).default('gatehouse'),
};

type ObservabilityEnv = z.output<z.ZodObject<typeof OBSERVABILITY_ENV>>;

export function metricsSettings(e: ObservabilityEnv): MetricsSettings {
  return { token: e.METRICS_TOKEN ?? null };
}

export function tracingSettings(e: ObservabilityEnv): TracingSettings | null {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : null);
  if (!tracesUrl) return null;
  return {
    tracesUrl,
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    serviceName: e.OTEL_SERVICE_NAME,
  };
}
