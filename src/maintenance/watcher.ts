// Notices maintenance changes made by another process (the command line, a second server on the
// same file, a restore) and publishes them. SQLite's `PRAGMA data_version` changes on our own
// connection exactly when another connection commits, so a poll costs one pragma and the
// maintenance row is re-read only after an outside write. Our own writes publish directly.
import type { Services } from '../context.ts';

export const MAINTENANCE_WATCH_INTERVAL_MS = 300;

export interface MaintenanceWatcher {
  stop(): Promise<void>;
}

export async function startMaintenanceWatcher(
  services: Pick<Services, 'orm' | 'maintenance' | 'logger' | 'database'>,
  intervalMs = MAINTENANCE_WATCH_INTERVAL_MS,
  /** Also run after every outside write (e.g. re-checking live connections' credentials). */
  onOutsideWrite: () => Promise<void> = async () => undefined,
): Promise<MaintenanceWatcher> {
  // Read through services.orm each time: a restore may swap the connection underneath.
  const dataVersion = async (): Promise<unknown> => {
    const rows = await services.orm.em.getConnection().execute<Array<{ data_version: number }>>('pragma data_version');
    return rows[0]?.data_version;
  };
  let seen = await dataVersion();
  let inFlight: Promise<void> | null = null;

  async function check(): Promise<void> {
    try {
      const version = await dataVersion();
      if (version === seen) return;
      seen = version;
      if (await services.maintenance.reload(services.orm.em.fork())) {
        services.logger.info({ maintenance: services.maintenance.current.enabled }, 'maintenance mode changed by another process');
      }
      await onOutsideWrite();
    } catch (error) {
      // A failed poll (e.g. the database busy or being swapped) is retried on the next tick.
      services.logger.warn({ err: error }, 'maintenance watcher: poll failed');
    }
  }

  const timer = setInterval(() => {
    // Through the database gate: never on a connection a restore is closing.
    inFlight ??= services.database.gate.run(check).finally(() => (inFlight = null));
  }, intervalMs);
  // The watcher must never keep a process alive on its own.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
