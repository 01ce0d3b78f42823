// Audit log retention: events older than AUDIT_RETENTION_DAYS are deleted at start and then once a
// day. This is the only deletion the append-only log knows.
import type { EntityManager } from '@mikro-orm/sql';
import type { Services } from '../context.ts';
import { AuditEvent } from './entities.ts';

const DAY_MS = 86_400_000;

/** Deletes events older than the retention period (by `services.clock`); returns how many. */
export async function pruneAuditEvents(em: EntityManager, services: Pick<Services, 'clock' | 'config'>): Promise<number> {
  const cutoff = new Date(services.clock.now().getTime() - services.config.audit.retentionDays * DAY_MS);
  return em.nativeDelete(AuditEvent, { at: { $lt: cutoff } });
}

/**
 * Prunes now, then every day until stopped. The timer is unref'd (it never keeps the process
 * alive) and each run is a background task, so shutdown waits for one in progress.
 */
export async function startAuditRetention(services: Services): Promise<{ stop(): void }> {
  const prune = async () => {
    const deleted = await pruneAuditEvents(services.orm.em.fork(), services);
    if (deleted > 0) services.logger.info({ deleted, retentionDays: services.config.audit.retentionDays }, 'audit events pruned');
  };
  await prune();
  const timer = setInterval(() => services.background.run('prune audit events', prune), DAY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
