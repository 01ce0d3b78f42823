// The metrics of a running Gatehouse, in one prom-client Registry of its own (not prom-client's global
// one: two servers in one process, as in tests and benchmarks, count apart). Domains count what they
// own through `services.metrics`; the registry hook below lets a domain add metrics of its own, e.g.
// webhooks (src/webhooks/):
//
//   const deliveries = services.metrics.counter({ name: 'gatehouse_webhook_deliveries_total',
//     help: 'Webhook delivery attempts by outcome.', labelNames: ['outcome'] as const });
//   services.metrics.gauge({ name: 'gatehouse_webhook_backlog', help: 'Deliveries waiting.',
//     async collect() { this.set(await countPending()); } });
//
// Label values are bounded (src/observability/labels.ts): no email, token or free text, and no value
// a client can vary at will without it being capped.
import { Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';
import { BoundedLabelValues, CODE_WORD, ERROR_CODE, GRAPHQL_NAME } from './labels.ts';
import { OperationSeriesSet } from './operation-series.ts';

declare module '../context.ts' {
  interface Services {
    /** Counters, gauges and histograms served at /metrics (when METRICS_TOKEN is set). */
    metrics: GatehouseMetrics;
  }
}

/** Every metric name starts so, and names one thing in one unit (Prometheus' naming practice). */
export const METRIC_PREFIX = 'gatehouse_';

/** Distinct operation names counted apart beyond the trusted documents' (the rest are `other`). */
export const OPERATION_NAME_LIMIT = 100;

export type LoginOutcome = 'success' | 'failure';
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';
export type SubscriptionTransport = 'websocket' | 'sse';

/** Seconds; an operation is mostly a few milliseconds, a login the cost of one argon2 verification. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface GatehouseMetrics {
  readonly registry: Registry;
  /** A sign-in that succeeded or failed (password, passkey, OAuth…); `reason` is a code, never the email. */
  recordLogin(outcome: LoginOutcome, method: string, reason?: string): void;
  /** An attempt the throttle refused with RATE_LIMITED. */
  recordThrottled(limit: 'ip_budget' | 'login'): void;
  /** A GraphQL operation ended: `outcome` is `success` or an error code; duration in seconds (null: not timed). */
  recordOperation(operationName: string | null, type: OperationType, outcome: string, seconds: number | null): void;
  /** The same, for one operation name and type: the plugin keeps it per parsed document, so a request only adds numbers. */
  operation(operationName: string | null, type: OperationType): OperationRecorder;
  /**
   * Operation names always counted apart (the trusted documents'), beyond OPERATION_NAME_LIMIT;
   * `only`: no other name is (with TRUSTED_DOCUMENTS, another document is an admin's or refused).
   */
  knowOperationNames(names: Iterable<string>, only?: boolean): void;
  /** A subscription started (+1) or ended (-1). */
  trackSubscription(transport: SubscriptionTransport, delta: 1 | -1): void;
  /** The registry hook: a metric of another domain, registered here (names must start with `gatehouse_`). */
  counter<T extends string>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T>;
  gauge<T extends string>(config: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T>;
  histogram<T extends string>(config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T>;
}

export interface OperationRecorder {
  record(outcome: string, seconds: number | null): void;
}

function checkName(name: string): void {
  if (!name.startsWith(METRIC_PREFIX)) throw new Error(`metric ${name}: names start with ${METRIC_PREFIX}`);
}

export function createMetrics(): GatehouseMetrics {
  const registry = new Registry();
  const registers = [registry];
  const logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Sign-ins by outcome (success, failure), method (password, passkey, oauth:<provider>…; a failed second step: second_factor:<totp, recovery_code, passkey>) and failure reason.',
    labelNames: ['outcome', 'method', 'reason'] as const,
    registers,
  });
  const throttled = new Counter({
    name: 'gatehouse_throttled_attempts_total',
    help: 'Attempts refused with RATE_LIMITED, by limit: ip_budget (auth requests per IP and minute) or login (failure backoff).',
    labelNames: ['limit'] as const,
    registers,
  });
  // Successes and durations are counted in plain numbers and handed over at scrape time (operation-series.ts).
  // Failures (rare) go to the counter at once; `operations` and `outcomes` are declared below, read only when one happens.
  const series = new OperationSeriesSet(DURATION_BUCKETS, ({ operation, type }, outcome) =>
    operations.inc({ operation, type, outcome: ERROR_CODE.test(outcome) ? outcomes.value(outcome) : 'other' }),
  );
  const operations: Counter<'operation' | 'type' | 'outcome'> = new Counter({
    name: 'gatehouse_graphql_operations_total',
    help: 'GraphQL operations by operation name, type and outcome (success, or the code of the first error).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers,
    collect() {
      series.flushSuccesses(operations);
    },
  });
  series.registerHistogram(
    registry,
    'gatehouse_graphql_operation_duration_seconds',
    'Time from receiving a GraphQL query or mutation to its result (parse, context, execution), by operation name and type.',
  );
  const subscriptions = new Gauge({
    name: 'gatehouse_active_subscriptions',
    help: 'GraphQL subscriptions running now, by transport (websocket: graphql-ws, sse: GraphQL over server-sent events).',
    labelNames: ['transport'] as const,
    registers,
  });
  // Present from the first scrape, so a rate() over them starts at 0 rather than at the first event.
  for (const transport of ['websocket', 'sse'] as const) subscriptions.set({ transport }, 0);

  const operationNames = new BoundedLabelValues(OPERATION_NAME_LIMIT, GRAPHQL_NAME);
  const outcomes = new BoundedLabelValues(64, /^(success|[A-Z][A-Z0-9_]{0,47})$/);
  const codeWords = new BoundedLabelValues(64, CODE_WORD);
  /** The series of an operation (its name capped by `operationNames`): the recorder the plugin keeps. */
  const recorderOf = (operationName: string | null, type: OperationType): OperationRecorder =>
    series.get(operationName === null ? 'anonymous' : operationNames.value(operationName), type);

  return {
    registry,
    recordLogin(outcome, method, reason) {
      const labels = { outcome, method: codeWords.value(method), ...(reason ? { reason: codeWords.value(reason) } : {}) };
      logins.inc(labels);
    },
    recordThrottled(limit) {
      throttled.inc({ limit });
    },
    recordOperation(operationName, type, outcome, seconds) {
      recorderOf(operationName, type).record(outcome, seconds);
    },
    operation: recorderOf,
    knowOperationNames(names, only = false) {
      operationNames.know(names, only);
    },
    trackSubscription(transport, delta) {
      subscriptions.inc({ transport }, delta);
    },
    counter(config) {
      checkName(config.name);
      return new Counter({ ...config, registers });
    },
    gauge(config) {
      checkName(config.name);
      return new Gauge({ ...config, registers });
    },
    histogram(config) {
      checkName(config.name);
      return new Histogram({ ...config, registers });
    },
  };
}
