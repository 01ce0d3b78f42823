// The webhook part of /metrics, through the registry hook of src/observability/metrics.ts:
// attempts by outcome, how long they take, and the backlog (deliveries still to be made, and how
// long the oldest due one has waited), read from the database at scrape time, so every instance
// reports the same backlog whichever one delivers.
import type { Counter, Histogram } from 'prom-client';
import type { Services } from '../context.ts';
import { WebhookDelivery } from './entities.ts';

/** succeeded; retrying (failed, will be tried again); failed (its retry period is over). */
export type AttemptMetricOutcome = 'succeeded' | 'retrying' | 'failed';

export interface WebhookMetrics {
  attempts: Counter<'outcome'>;
  durations: Histogram<'outcome'>;
}

const perRegistry = new WeakMap<object, WebhookMetrics>();

/** The webhook metrics of this server (registered once per registry). */
export function webhookMetrics(services: Pick<Services, 'metrics' | 'orm' | 'clock'>): WebhookMetrics {
  const known = perRegistry.get(services.metrics.registry);
  if (known) return known;
  const metrics: WebhookMetrics = {
    attempts: services.metrics.counter({ name: 'gatehouse_webhook_attempts_total', help: 'Webhook delivery attempts by outcome: succeeded, retrying (failed, tried again later) or failed (given up).', labelNames: ['outcome'] as const }),
    durations: services.metrics.histogram({
      name: 'gatehouse_webhook_attempt_duration_seconds',
      help: 'How long a webhook delivery attempt took, from sending to the answer (or the timeout).',
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
  };
  services.metrics.gauge({
    name: 'gatehouse_webhook_backlog',
    help: 'Webhook deliveries not yet made (pending: due now or waiting for a retry).',
    async collect() {
      this.set(await services.orm.em.fork().count(WebhookDelivery, { status: 'pending' }));
    },
  });
  services.metrics.gauge({
    name: 'gatehouse_webhook_backlog_oldest_due_seconds',
    help: 'How long the longest-waiting due webhook delivery has been due (0: none is).',
    async collect() {
      const now = services.clock.now();
      const [oldest] = await services.orm.em.fork().find(WebhookDelivery, { status: 'pending', nextAttemptAt: { $lte: now } }, { orderBy: { nextAttemptAt: 'asc' }, limit: 1, fields: ['nextAttemptAt'] });
      this.set(oldest ? Math.max(0, (now.getTime() - oldest.nextAttemptAt.getTime()) / 1000) : 0);
    },
  });
  perRegistry.set(services.metrics.registry, metrics);
  return metrics;
}
