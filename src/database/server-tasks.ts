// What a server does for database administration while it runs: removes temporary files that a
// crashed process left, holds its pid file, and takes scheduled backups (BACKUP_INTERVAL, keeping
// the newest BACKUP_KEEP automatic ones). The worker thread starts with the first task, not here.
import { dirname } from 'node:path';
import type { Services } from '../context.ts';
import { recordAudit, systemAuditScope } from '../audit/service.ts';
import type { Backup } from './catalog.ts';
import { removeStaleTempFiles, sqliteFile } from './files.ts';
import { holdServerPidFile } from './lock.ts';
import { backupNow, DATABASE_AUDIT_ACTIONS } from './service.ts';

/** How often the schedule looks whether a backup is due (at most). */
const SCHEDULE_TICK_MAX_MS = 60_000;

/**
 * A scheduled backup when the newest one is at least BACKUP_INTERVAL old (by services.clock), then
 * retention. Returns the backup, or null when none was due.
 */
export async function runDueBackup(services: Services): Promise<Backup | null> {
  const interval = services.config.backup.intervalMs;
  if (interval === null) return null;
  const { catalog, gate } = services.database;
  const newest = (await catalog.list()).find((b) => b.kind === 'scheduled');
  if (newest && services.clock.now().getTime() - newest.createdAt.getTime() < interval) return null;
  const backup = await backupNow(services, { kind: 'scheduled', label: null, createdBy: 'system' });
  await gate.run(() =>
    recordAudit(systemAuditScope(services.orm.em.fork(), services), {
      action: DATABASE_AUDIT_ACTIONS.backup,
      targetType: 'backup',
      targetId: backup.name,
      details: { kind: 'scheduled' },
    }),
  );
  const deleted = await services.database.exclusive(() => catalog.applyRetention(services.config.backup.keep));
  services.logger.info({ backup: backup.name, deleted }, 'scheduled backup taken');
  return backup;
}

export interface DatabaseAdministration {
  stop(): void;
}

/** Starts what a server needs; the command line needs none of it. Does nothing off SQLite. */
export function startDatabaseAdministration(services: Services): DatabaseAdministration {
  let live: string;
  try {
    live = sqliteFile(services.config);
  } catch {
    // Not a SQLite file: the operations answer UNSUPPORTED_DATABASE, nothing runs in the background.
    return { stop: () => undefined };
  }
  const removed = [...removeStaleTempFiles(dirname(live)), ...removeStaleTempFiles(services.config.backup.dir)];
  if (removed.length) services.logger.warn({ removed }, 'removed temporary files an interrupted backup, restore or upload left');
  const releasePidFile = holdServerPidFile(live, services.clock.now());
  const interval = services.config.backup.intervalMs;
  let timer: NodeJS.Timeout | undefined;
  if (interval !== null) {
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      services.background.run('scheduled backup', () => runDueBackup(services).finally(() => (running = false)));
    };
    tick();
    timer = setInterval(tick, Math.min(interval, SCHEDULE_TICK_MAX_MS));
    timer.unref();
  }
  return {
    stop() {
      clearInterval(timer);
      releasePidFile();
    },
  };
}
