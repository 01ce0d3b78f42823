// Notices changes made outside this process — the command line, another instance, a restore —
// and publishes them. Our own writes publish directly.
// - SQLite: `PRAGMA data_version` changes on our connection exactly when another connection
//   commits, so a poll costs one pragma and the maintenance row is re-read only after an outside write.
// - PostgreSQL: the maintenance row is re-read every SYNC_INTERVAL (one indexed read), and live
//   connections' credentials are re-checked (nothing to read while there are none). With Redis,
//   changes arrive at once as events; the poll is what catches a script or an instance without Redis.
import type { Services } from '../context.ts';
import { dialectOfOrm } from '../db/orm.ts';

export const MAINTENANCE_WATCH_INTERVAL_MS = 300;

export interface MaintenanceWatcher {
  stop(): Promise<void>;
}

export async function startMaintenanceWatcher(
  services: Pick<Services, 'orm' | 'maintenance' | 'logger' | 'database' | 'config'>,
  intervalMs?: number,
  /** Also run after every outside write (e.g. re-checking live connections' credentials). */
  onOutsideWrite: () => Promise<void> = async () => undefined,
): Promise<MaintenanceWatcher> {
  const sqlite = dialectOfOrm(services.orm) === 'sqlite';
  // Read through services.orm each time: a restore may swap the connection underneath.
  const dataVersion = async (): Promise<unknown> => {
    const rows = await services.orm.em.getConnection().execute<Array<{ data_version: number }>>('pragma data_version');
    return rows[0]?.data_version;
  };
  let seen = sqlite ? await dataVersion() : null;
  let inFlight: Promise<void> | null = null;

  async function check(): Promise<void> {
    try {
      if (sqlite) {
        const version = await dataVersion();
        if (version === seen) return;
        seen = version;
      }
      if (await services.maintenance.reload(services.orm.em.fork())) {
        services.logger.info({ maintenance: services.maintenance.current.enabled }, 'maintenance mode changed by another process');
      }
      // On PostgreSQL every poll: a write by a script or a process without Redis announces nothing.
      await onOutsideWrite();
    } catch (error) {
      // A failed poll (e.g. the database busy or being swapped) is retried on the next tick.
      services.logger.warn({ err: error }, 'maintenance watcher: poll failed');
    }
  }

  const timer = setInterval(
    () => {
      // Through the database gate: never on a connection a restore is closing.
      inFlight ??= services.database.gate.run(check).finally(() => (inFlight = null));
    },
    intervalMs ?? (sqlite ? MAINTENANCE_WATCH_INTERVAL_MS : services.config.syncIntervalMs),
  );
  // The watcher must never keep a process alive on its own.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
