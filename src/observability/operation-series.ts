// The per-operation metrics on the request path, counted in plain numbers and handed to prom-client
// only when /metrics is scraped. prom-client's own `inc`/`observe` validate and hash the label set on
// every call (children from `labels()` too), which profiled at about 2.5% of a small query's CPU;
// here a request adds to the fields of its operation's series and nothing else.
//
// The counter stays a prom-client Counter (its `collect` hook adds what was counted since the last
// scrape). The duration histogram is a metric of the registry's own shape (`get()` answering name,
// help, type and values as prom-client's Histogram does), so the exposition is prom-client's.
import type { Counter, Registry } from 'prom-client';

interface SeriesLabels {
  operation: string;
  type: string;
}

/** What becomes of an operation that did not succeed (rare: counted on the prom-client counter at once). */
export type FailureCounter = (labels: SeriesLabels, outcome: string) => void;

/** One operation name and type: what succeeded since the last scrape, and every duration observed. */
export class OperationSeries {
  readonly labels: SeriesLabels;
  readonly successLabels: SeriesLabels & { outcome: 'success' };
  /** Successes not yet handed to the counter. */
  pendingSuccesses = 0;
  /** Per bucket (not cumulative), the last one beyond the highest bound. */
  readonly bucketCounts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];
  readonly #countFailure: FailureCounter;

  constructor(labels: SeriesLabels, bounds: readonly number[], countFailure: FailureCounter) {
    this.labels = labels;
    this.successLabels = { ...labels, outcome: 'success' };
    this.#bounds = bounds;
    this.#countFailure = countFailure;
    this.bucketCounts = new Float64Array(bounds.length + 1);
  }

  /** An operation of this name and type ended: `success` or an error code; its duration in seconds (null: not timed). */
  record(outcome: string, seconds: number | null): void {
    if (outcome === 'success') this.pendingSuccesses++;
    else this.#countFailure(this.labels, outcome);
    if (seconds !== null) this.observe(seconds);
  }

  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.bucketCounts[i]! += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

interface ValuePair {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** Every operation series, and the two metrics they feed. */
export class OperationSeriesSet {
  readonly #series = new Map<string, Map<string, OperationSeries>>();
  readonly #bounds: readonly number[];
  readonly #countFailure: FailureCounter;

  constructor(bounds: readonly number[], countFailure: FailureCounter = () => {}) {
    this.#bounds = bounds;
    this.#countFailure = countFailure;
  }

  /** The series of an operation name and type (made on first use; names are bounded by the caller). */
  get(operation: string, type: string): OperationSeries {
    let byType = this.#series.get(operation);
    if (!byType) this.#series.set(operation, (byType = new Map()));
    let series = byType.get(type);
    if (!series) byType.set(type, (series = new OperationSeries({ operation, type }, this.#bounds, this.#countFailure)));
    return series;
  }

  *all(): Iterable<OperationSeries> {
    for (const byType of this.#series.values()) yield* byType.values();
  }

  /** Hands the successes counted since the last scrape to the counter (its `collect` hook). */
  flushSuccesses(counter: Counter<'operation' | 'type' | 'outcome'>): void {
    for (const series of this.all()) {
      if (series.pendingSuccesses === 0) continue;
      counter.inc(series.successLabels, series.pendingSuccesses);
      series.pendingSuccesses = 0;
    }
  }

  /** A histogram in the registry: the durations of every series, exposed as prom-client exposes one. */
  registerHistogram(registry: Registry, name: string, help: string): void {
    const bounds = this.#bounds;
    const metric = {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => {
        const values: ValuePair[] = [];
        for (const series of this.all()) {
          let cumulative = 0;
          bounds.forEach((le, i) => {
            cumulative += series.bucketCounts[i]!;
            values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: `${name}_bucket` });
          });
          values.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${name}_bucket` });
          values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${name}_sum` });
          values.push({ labels: { ...series.labels }, value: series.count, metricName: `${name}_count` });
        }
        return { name, help, type: 'histogram', values, aggregator: 'sum' };
      },
      reset: () => {
        for (const series of this.all()) {
          series.bucketCounts.fill(0);
          series.sum = 0;
          series.count = 0;
        }
      },
    };
    // The registry takes any metric with a name and get() (prom-client's types list its own classes only).
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
