// The per-operation series counted in plain numbers (src/observability/operation-series.ts) expose
// what prom-client's own Counter and Histogram would: the same text for the same observations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { OperationSeriesSet } from '../../src/observability/operation-series.ts';

const BOUNDS = [0.001, 0.01, 0.1, 1];
const VALUES = [0.0005, 0.001, 0.002, 0.01, 0.5, 1, 7, Number.NaN];

test('series expose the exposition prom-client gives for the same observations', async () => {
  const ours = new Registry();
  const set = new OperationSeriesSet(BOUNDS);
  const counter: Counter<'operation' | 'type' | 'outcome'> = new Counter({ name: 'ops_total', help: 'h', labelNames: ['operation', 'type', 'outcome'], registers: [ours], collect: () => set.flushSuccesses(counter) });
  set.registerHistogram(ours, 'op_seconds', 'durations');

  const theirs = new Registry();
  const reference = new Counter({ name: 'ops_total', help: 'h', labelNames: ['operation', 'type', 'outcome'], registers: [theirs] });
  const histogram = new Histogram({ name: 'op_seconds', help: 'durations', labelNames: ['operation', 'type'], buckets: BOUNDS, registers: [theirs] });

  for (const [operation, type] of [['Viewer', 'query'], ['Login', 'mutation']] as const) {
    const series = set.get(operation, type);
    for (const value of VALUES) {
      series.observe(value);
      series.pendingSuccesses++;
      if (Number.isFinite(value)) histogram.observe({ operation, type }, value);
      reference.inc({ operation, type, outcome: 'success' });
    }
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  // A second scrape hands over nothing twice.
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.equal(set.get('Viewer', 'query').pendingSuccesses, 0);
});
