// Notices changes made outside this process — the command line, another instance, a restore — and
// hands them to the domains that keep something in step with the database (the maintenance state,
// the credentials of live connections). Our own writes publish directly.
// - SQLite: `PRAGMA data_version` changes on our connection exactly when another connection
//   commits, so a poll costs one pragma and the handlers run only after an outside write.
// - PostgreSQL: the handlers run every SYNC_INTERVAL (each does an indexed read at most). With Redis,
//   changes arrive at once as events; the poll is what catches a script or an instance without Redis.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { dialectOfOrm, type Orm } from '../db/orm.ts';

export const OUTSIDE_CHANGES_INTERVAL_MS = 300;

/** Runs after an outside write (on PostgreSQL: after every poll). Failures are logged; the next poll retries. */
export interface OutsideChangeHandler {
  readonly name: string;
  run(): Promise<void>;
}

export interface OutsideChangesDeps {
  /** Read at each poll: a restore swaps the connection underneath. */
  orm(): Orm;
  logger: Logger;
  config: Pick<Config, 'syncIntervalMs'>;
  /** Runs a poll where it may use the database (the database gate: never on a connection a restore is closing). */
  gated(poll: () => Promise<void>): Promise<void>;
}

export interface OutsideChangesWatcher {
  stop(): Promise<void>;
}

export async function watchOutsideChanges(
  deps: OutsideChangesDeps,
  handlers: readonly OutsideChangeHandler[],
  intervalMs?: number,
): Promise<OutsideChangesWatcher> {
  const sqlite = dialectOfOrm(deps.orm()) === 'sqlite';
  const dataVersion = async (): Promise<unknown> => {
    const rows = await deps.orm().em.getConnection().execute<Array<{ data_version: number }>>('pragma data_version');
    return rows[0]?.data_version;
  };
  let seen = sqlite ? await dataVersion() : null;
  let inFlight: Promise<void> | null = null;

  async function poll(): Promise<void> {
    try {
      if (sqlite) {
        const version = await dataVersion();
        if (version === seen) return;
        seen = version;
      }
    } catch (error) {
      // A failed poll (e.g. the database busy or being swapped) is retried on the next tick.
      deps.logger.warn({ err: error }, 'outside changes: poll failed');
      return;
    }
    for (const handler of handlers) {
      try {
        await handler.run();
      } catch (error) {
        // One handler failing must not keep the others from catching up; the next change retries it.
        deps.logger.warn({ err: error, handler: handler.name }, 'outside changes: handler failed');
      }
    }
  }

  const timer = setInterval(
    () => {
      inFlight ??= deps.gated(poll).finally(() => (inFlight = null));
    },
    intervalMs ?? (sqlite ? OUTSIDE_CHANGES_INTERVAL_MS : deps.config.syncIntervalMs),
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
