// Webhook history retention: events older than WEBHOOK_RETENTION go, with their deliveries, once
// none of those is still pending (a delivery being retried is never cut short). At start, then daily.
import type { EntityManager } from '@mikro-orm/sql';
import type { Services } from '../context.ts';
import { WebhookDelivery, WebhookEvent } from './entities.ts';

const DAY_MS = 86_400_000;
const BATCH = 500;

/** Deletes old events whose deliveries are all finished (by `services.clock`); returns how many. */
export async function pruneWebhookEvents(em: EntityManager, services: Pick<Services, 'clock' | 'config'>): Promise<number> {
  const cutoff = new Date(services.clock.now().getTime() - services.config.webhooks.retentionMs);
  let deleted = 0;
  let after = '';
  for (;;) {
    const old = await em.find(WebhookEvent, { createdAt: { $lt: cutoff }, id: { $gt: after } }, { fields: ['id'], orderBy: { id: 'asc' }, limit: BATCH });
    if (!old.length) return deleted;
    const ids = old.map((event) => event.id);
    const pending = await em.find(WebhookDelivery, { event: { $in: ids }, status: 'pending' }, { fields: ['event'] });
    const keep = new Set(pending.map((delivery) => delivery.event.id));
    const done = ids.filter((id) => !keep.has(id));
    // Deliveries go with their event (foreign key, on delete cascade).
    if (done.length) deleted += await em.nativeDelete(WebhookEvent, { id: { $in: done } });
    em.clear();
    if (old.length < BATCH) return deleted;
    after = ids.at(-1)!;
  }
}

/** Prunes now, then every day until stopped (an unref'd timer; each run a background task). */
export async function startWebhookRetention(services: Services): Promise<{ stop(): void }> {
  const prune = async () => {
    const deleted = await pruneWebhookEvents(services.orm.em.fork(), services);
    if (deleted > 0) services.logger.info({ deleted }, 'webhook events pruned');
  };
  await prune();
  const timer = setInterval(() => services.background.run('prune webhook events', prune), DAY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
